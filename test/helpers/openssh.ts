/**
 * Fixtures built at test time from the real OpenSSH tools: keys and certificates made by
 * ssh-keygen, a foreground ssh-agent, a foreground sshd on a free loopback port, and the real
 * ssh client run with its own configuration. Every process is stopped by its PID.
 */
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const execFileP = promisify(execFile)

export type KeyKind = 'ed25519' | 'ecdsa' | 'rsa'

export const SSHD = '/usr/sbin/sshd'

/** A temporary directory; `remove()` deletes it. */
export async function tempDir(prefix = 'fleetctl-test-'): Promise<{path: string; remove(): Promise<void>}> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return {path, remove: () => rm(path, {recursive: true, force: true})}
}

/** A port that was free a moment ago: the kernel picks it for a listen on port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface KeyPair {
  /** Path of the private key; the public key is `${path}.pub`. */
  path: string
  publicLine: string
}

/** Generate a key pair with ssh-keygen (no passphrase). */
export async function keygen(dir: string, name: string, kind: KeyKind): Promise<KeyPair> {
  const path = join(dir, name)
  const bits = kind === 'rsa' ? ['-b', '3072'] : kind === 'ecdsa' ? ['-b', '256'] : []
  await execFileP('ssh-keygen', ['-q', '-t', kind, ...bits, '-N', '', '-C', name, '-f', path])
  return {path, publicLine: (await readFile(`${path}.pub`, 'utf8')).trim()}
}

export interface CertOptions {
  /** Sign a host certificate (-h) instead of a user certificate. */
  host?: boolean
  principals: string[]
  identity?: string
  /** ssh-keygen -V validity interval, e.g. '-5m:+1h'. */
  validity?: string
}

/** Certify `key` with `ca` via ssh-keygen -s; returns the certificate line (`${key.path}-cert.pub`). */
export async function signCertificate(ca: KeyPair, key: KeyPair, options: CertOptions): Promise<string> {
  const args = ['-q', '-s', ca.path, '-I', options.identity ?? 'test', '-n', options.principals.join(',')]
  if (options.host) args.push('-h')
  if (options.validity) args.push('-V', options.validity)
  // An RSA CA signs with rsa-sha2-512: OpenSSH 8.8+ refuses SHA-1 certificate signatures.
  if (ca.publicLine.startsWith('ssh-rsa ')) args.push('-t', 'rsa-sha2-512')
  args.push(`${key.path}.pub`)
  await execFileP('ssh-keygen', args)
  return (await readFile(`${key.path}-cert.pub`, 'utf8')).trim()
}

/** Decode the base64 blob of an OpenSSH public key or certificate line. */
export function lineBlob(line: string): Buffer {
  return Buffer.from(line.split(/\s+/)[1] ?? '', 'base64')
}

/** Wait until `text` shows up in a child's stderr, or fail with what it printed. */
function waitForOutput(child: ChildProcess, log: () => string, pattern: RegExp, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what} did not start in ${timeoutMs} ms:\n${log()}`)), timeoutMs)
    const onData = () => {
      if (pattern.test(log())) finish()
    }
    const onExit = (code: number | null) => finish(new Error(`${what} exited (${code}) before it was ready:\n${log()}`))
    function finish(err?: Error) {
      clearTimeout(timer)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      if (err) reject(err)
      else resolve()
    }
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
    onData()
  })
}

/** Stop a child we started, by its PID, and wait for it to go. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
  }, 3000)
  await exited
  clearTimeout(timer)
}

export interface Agent {
  socket: string
  pid: number
  /** `ssh-add` with this agent's socket. */
  add(...args: string[]): Promise<string>
  stop(): Promise<void>
}

/** A real ssh-agent in the foreground (`ssh-agent -D -a socket`). */
export async function startAgent(dir: string): Promise<Agent> {
  const socket = join(dir, 'agent.sock')
  const child = spawn('ssh-agent', ['-D', '-a', socket], {stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  // -D prints the SSH_AUTH_SOCK line on stdout once the socket is listening.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ssh-agent did not start:\n${out}`)), 10_000)
    const check = () => {
      if (out.includes('SSH_AUTH_SOCK')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`ssh-agent exited (${code}):\n${out}`))
    })
  })
  return {
    socket,
    pid: child.pid!,
    async add(...args: string[]) {
      const {stdout, stderr} = await execFileP('ssh-add', args, {env: {...process.env, SSH_AUTH_SOCK: socket}})
      return stdout + stderr
    },
    stop: () => stopChild(child),
  }
}

export interface SshdOptions {
  dir: string
  hostKey: KeyPair
  /** HostCertificate for the host key. */
  hostCertificate?: string
  /** TrustedUserCAKeys: the user CA public lines. */
  trustedUserCAs?: string[]
  /** AuthorizedKeysFile contents (public key lines). */
  authorizedKeys?: string[]
  extra?: string[]
}

export interface Sshd {
  port: number
  pid: number
  log(): string
  stop(): Promise<void>
}

/** A real sshd in the foreground on a free loopback port, with its own config and files. */
export async function startSshd(options: SshdOptions): Promise<Sshd> {
  const {dir} = options
  const lines = [
    'ListenAddress 127.0.0.1',
    `HostKey ${options.hostKey.path}`,
    'PidFile none',
    'UsePAM no',
    'PermitRootLogin yes',
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'LogLevel DEBUG1',
  ]
  if (options.hostCertificate) {
    const certPath = join(dir, 'sshd_host-cert.pub')
    await writeFile(certPath, options.hostCertificate + '\n')
    lines.push(`HostCertificate ${certPath}`)
  }
  if (options.trustedUserCAs) {
    const caPath = join(dir, 'trusted_user_cas')
    await writeFile(caPath, options.trustedUserCAs.join('\n') + '\n')
    lines.push(`TrustedUserCAKeys ${caPath}`)
  }
  const authorizedPath = join(dir, 'authorized_keys')
  await writeFile(authorizedPath, (options.authorizedKeys ?? []).join('\n') + '\n')
  lines.push(`AuthorizedKeysFile ${authorizedPath}`)
  lines.push(...(options.extra ?? []))
  const configPath = join(dir, 'sshd_config')
  await writeFile(configPath, lines.join('\n') + '\n')

  const port = await freePort()
  const child = spawn(SSHD, ['-D', '-e', '-f', configPath, '-p', String(port)], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()))
  await waitForOutput(child, () => log, /Server listening on 127\.0\.0\.1 port/, 'sshd')
  return {port, pid: child.pid!, log: () => log, stop: () => stopChild(child)}
}

export interface SshResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface SshRun {
  pid: number
  result: Promise<SshResult>
  stop(): Promise<void>
}

/** The environment for ssh: no agent unless the test gives one. */
function sshEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = {...process.env}
  delete env.SSH_AUTH_SOCK
  return {...env, ...extra}
}

/**
 * Run the real ssh client with nothing of the machine's configuration: `-F /dev/null`, its own
 * known_hosts file, BatchMode. `args` go after those (options, destination, command).
 */
export function runSsh(args: string[], options: {knownHosts: string; env?: NodeJS.ProcessEnv; timeoutMs?: number}): SshRun {
  // With an agent, ssh may use all its identities; without one, only the -i files given.
  const identitiesOnly = options.env?.SSH_AUTH_SOCK ? 'no' : 'yes'
  const child = spawn(
    'ssh',
    [
      '-F', '/dev/null',
      '-o', `UserKnownHostsFile=${options.knownHosts}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `IdentitiesOnly=${identitiesOnly}`,
      '-o', 'ConnectTimeout=10',
      ...args,
    ],
    {stdio: ['ignore', 'pipe', 'pipe'], env: sshEnv(options.env)},
  )
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const timeoutMs = options.timeoutMs ?? 20_000
  const result = new Promise<SshResult>((resolve) => {
    const timer = setTimeout(() => {
      stderr += `\n[test: ssh killed after ${timeoutMs} ms]`
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
    }, timeoutMs)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
  return {pid: child.pid!, result, stop: () => stopChild(child)}
}
