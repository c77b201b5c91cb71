/**
 * A running `fleetctl proxy start` (the built CLI as a child process, so signals are real), fleet
 * hosts (real sshd) certified by its CAs, user certificates, and an ssh client configured for it.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa, type Options} from 'execa'

import {formatCAExport} from '../../src/ca/export.js'
import {issueCredentials} from '../../src/ca/credentials.js'
import {parsePublicKey} from '../../src/certs/index.js'
import {type Agent, startAgent} from './agent.js'
import {FLEETCTL_BIN, FLEETCTL_NODE_FLAGS} from './fleetctl.js'
import {type CommandResult, commandResult, type Daemon, startDaemon} from './processes.js'
import {keygen, type KeyPair, signCertificate} from './ssh-keygen.js'
import {type Sshd, startSshd} from './sshd.js'

export const LOGIN = 'root'
export const HOST_NAME = 'web1.fleet.test'
const PTY_DRIVER = fileURLToPath(new URL('pty-session.py', import.meta.url))

export interface RunningProxy extends Daemon {
  home: string
  /** The SSH port it listens on (127.0.0.1). */
  port: number
  webPort?: number
  /** Every JSON log line so far. */
  events(): {event: string; level: string; [field: string]: unknown}[]
  /** Audit log lines. */
  audit(): Promise<{event: string; [field: string]: unknown}[]>
  /** Audit log lines once `ready(lines)` holds (audit appends land just after the proxy logs the event). */
  auditUntil(ready: (lines: {event: string; [field: string]: unknown}[]) => boolean, timeoutMs?: number): Promise<{event: string; [field: string]: unknown}[]>
  /** Recording files (.cast) in the recordings folder. */
  recordings(): Promise<string[]>
  /** Wait until a log line with `event` (and matching `fields`) appears. */
  waitFor(event: string, match?: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
}

/**
 * `fleetctl proxy start` on loopback with kernel-chosen ports; ready at its proxy.listening line.
 * `nodeArgs` go to node itself (the bench profiles the proxy with `--cpu-prof`). `bin`: run this
 * installed `fleetctl` executable as it is (its own #! line) instead of this checkout's build.
 */
export async function startProxy(home: string, args: string[] = [], env: Record<string, string> = {}, nodeArgs: string[] = [], bin?: string): Promise<RunningProxy> {
  const [command, ...prefix] = bin ? [bin] : [process.execPath, ...FLEETCTL_NODE_FLAGS, ...nodeArgs, FLEETCTL_BIN]
  const daemon = await startDaemon(command!, [...prefix, 'proxy', 'start', '--listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', ...args], {
    env: {...process.env, ...env, FLEETCTL_HOME: home, NO_COLOR: '1'},
    ready: (output) => output.includes('"event":"proxy.listening"'),
    timeoutMs: 20_000,
    what: 'fleetctl proxy',
  })
  const events = () =>
    daemon
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as {event: string; level: string})
  const listening = events().find((e) => e.event === 'proxy.listening') as unknown as {ssh: string; web?: string}
  const port = Number(listening.ssh.split(':').at(-1))
  const webPort = listening.web ? Number(listening.web.split(':').at(-1)) : undefined
  return Object.assign(daemon, {
    home,
    port,
    webPort,
    events,
    async audit() {
      // Audit appends land just after the proxy logs an event, and session.end just after the
      // client has its exit status: read once the log is quiet (100 ms without growth) and every
      // session that started has ended, within 5 s.
      const read = async () => {
        const text = await readFile(join(home, 'audit.log'), 'utf8').catch(() => '')
        return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as {event: string})
      }
      const open = (lines: {event: string}[]) => lines.filter((e) => e.event === 'session.start').length - lines.filter((e) => e.event === 'session.end').length
      const deadline = Date.now() + 5000
      let lines = await read()
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        const again = await read()
        const quiet = again.length === lines.length
        lines = again
        if ((quiet && open(lines) <= 0) || Date.now() > deadline) return lines
      }
    },
    async auditUntil(ready: (lines: {event: string; [field: string]: unknown}[]) => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const lines = await this.audit()
        if (ready(lines) || Date.now() > deadline) return lines
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async recordings() {
      const dir = join(home, 'recordings')
      return (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cast')).map((f) => join(dir, f))
    },
    async waitFor(event: string, match: (line: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = events().find((e) => e.event === event && match(e))
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no ${event} in the proxy log:\n${daemon.output()}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  })
}

/** What most proxy tests start with: the proxy, one fleet host, a user's agent and a client config. */
export interface ProxyFleet {
  agent: Agent
  /** The ssh_config from writeClientConfig: `proxy`, `web1` (the host through the proxy), `web1s`. */
  config: string
  proxy: RunningProxy
  sshd: Sshd
  stop(): Promise<void>
}

/**
 * Starts the proxy on `home` (its first start makes the CAs), a fleet host, and an agent holding
 * `user`'s certificate (for the login LOGIN), with folders from `dir`.
 */
export async function startProxyFleet(dir: (name: string) => string, home: string, user: string): Promise<ProxyFleet> {
  const proxy = await startProxy(home)
  const sshd = await startFleetHost(dir('host'), home)
  const agent = await startAgent(dir('agent'))
  await agent.add(await fleetUser(dir('user'), home, user))
  const config = writeClientConfig(dir('client'), home, {hostPort: sshd.port, proxyPort: proxy.port})
  return {agent, config, proxy, sshd, stop: async () => void (await Promise.all([proxy.stop(), sshd.stop(), agent.stop()]))}
}

export type HostCertKind = 'fleet' | 'none' | 'other-ca' | 'other-name'

/** A real sshd that trusts the fleet user CA and presents a host certificate (or not, or a bad one). */
export async function startFleetHost(dir: string, home: string, cert: HostCertKind = 'fleet', sshdArgs: string[] = []): Promise<Sshd> {
  const hostKey = await keygen(dir, 'ssh_host_ed25519_key', 'ed25519')
  const certs: string[] = []
  if (cert === 'fleet' || cert === 'other-name') {
    const hosts = cert === 'fleet' ? [HOST_NAME, '127.0.0.1'] : ['db9.fleet.test']
    await issueCredentials({home, keySpec: {type: 'ed25519'}, publicKeyFile: `${hostKey.path}.pub`, out: hostKey.path, request: {kind: 'host', hosts}})
    certs.push(`${hostKey.path}-cert.pub`)
  } else if (cert === 'other-ca') {
    const otherCA = await keygen(dir, 'other_host_ca', 'ed25519')
    await signCertificate(otherCA, hostKey, {host: true, principals: [HOST_NAME, '127.0.0.1'], validity: '-5m:+1h'})
    certs.push(`${hostKey.path}-cert.pub`)
  }
  const userCA = join(dir, 'fleet_user_ca.pub')
  writeFileSync(userCA, `${userCAExport(home).replace(/^cert-authority /, '')}\n`)
  return startSshd({dir, hostCertificates: certs, hostKeys: [hostKey.path], trustedUserCAKeys: userCA, args: sshdArgs})
}

function userCAExport(home: string): string {
  const key = parsePublicKey(readFileSync(join(home, 'ca', 'user_ca.pub'), 'utf8')).key
  return formatCAExport({cluster: 'test', format: 'cert-authority', publicKey: key, type: 'user'})
}

export interface UserCertOptions {
  criticalOptions?: Record<string, string>
  extensions?: Record<string, string>
  principals?: string[]
  ttlSeconds?: number
}

/** A user key with a certificate from the fleet user CA: returns the private key path. */
export async function fleetUser(dir: string, home: string, name: string, options: UserCertOptions = {}): Promise<string> {
  const out = join(dir, name)
  await issueCredentials({
    home,
    keySpec: {type: 'ed25519'},
    out,
    request: {kind: 'user', user: name, principals: options.principals ?? [LOGIN], criticalOptions: options.criticalOptions, extensions: options.extensions, ttlSeconds: options.ttlSeconds},
  })
  return out
}

/** A user certificate signed by ssh-keygen with the fleet user CA and a validity interval (e.g. expired). */
export async function fleetUserWithValidity(dir: string, home: string, name: string, validity: string): Promise<string> {
  const key = await keygen(dir, name, 'ed25519')
  const ca: KeyPair = {path: join(home, 'ca', 'user_ca'), publicLine: readFileSync(join(home, 'ca', 'user_ca.pub'), 'utf8').trim()}
  await signCertificate(ca, key, {identity: name, principals: [LOGIN], validity})
  return key.path
}

export interface ClientOptions {
  proxyPort: number
  hostPort: number
  /** ForwardAgent for the proxy's Host block (default yes). */
  forwardAgentToProxy?: boolean
  forwardAgentToHost?: boolean
  /** Extra lines for the target's Host block. */
  hostLines?: string[]
  /** Check the host's certificate for its fleet name (default) or for the address dialed. */
  hostKeyAlias?: boolean
}

/**
 * An ssh_config with the proxy as `proxy` and the fleet host as `web1` (HostName 127.0.0.1, known
 * by its fleet name through HostKeyAlias, reached with ProxyJump proxy), and known_hosts trusting
 * only the fleet host CA.
 */
export function writeClientConfig(dir: string, home: string, options: ClientOptions): string {
  const knownHosts = writeFleetKnownHosts(join(dir, 'known_hosts'), home)
  const path = join(dir, 'ssh_config')
  writeFileSync(
    path,
    [
      'Host proxy',
      '  HostName 127.0.0.1',
      `  Port ${options.proxyPort}`,
      `  ForwardAgent ${options.forwardAgentToProxy === false ? 'no' : 'yes'}`,
      'Host web1',
      '  HostName 127.0.0.1',
      ...(options.hostKeyAlias === false ? [] : [`  HostKeyAlias ${HOST_NAME}`]),
      `  Port ${options.hostPort}`,
      '  ProxyJump proxy',
      `  ForwardAgent ${options.forwardAgentToHost ? 'yes' : 'no'}`,
      ...(options.hostLines ?? []).map((line) => `  ${line}`),
      // The subsystem form, as a ProxyCommand: ssh -A -p <port> proxy -s proxy:<host>:<port>
      'Host web1s',
      '  HostName 127.0.0.1',
      `  HostKeyAlias ${HOST_NAME}`,
      `  Port ${options.hostPort}`,
      `  ProxyCommand ssh -F ${path} -A -p ${options.proxyPort} 127.0.0.1 -s proxy:%h:%p`,
      ...clientDefaults(knownHosts),
      '',
    ].join('\n'),
  )
  return path
}

/** A known_hosts file that trusts the fleet host CA (of the state in `home`) for every name; returns its path. */
export function writeFleetKnownHosts(path: string, home: string): string {
  writeFileSync(path, `@cert-authority * ${readFileSync(join(home, 'ca', 'host_ca.pub'), 'utf8').trim()}\n`)
  return path
}

/**
 * The `Host *` block the tests' and benches' client configs end with: the test login, only the
 * given known_hosts (strictly), no prompts, no keys but the agent's.
 */
export function clientDefaults(knownHosts: string): string[] {
  return [
    'Host *',
    `  User ${LOGIN}`,
    `  UserKnownHostsFile ${knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  ConnectTimeout 10',
    '  IdentityFile /dev/null',
  ]
}

/** Run the real ssh (or scp/sftp) with the client config and an agent socket. */
export async function runClient(tool: 'scp' | 'sftp' | 'ssh', config: string, args: string[], options: Options & {agent?: string} = {}): Promise<CommandResult> {
  const {agent, ...rest} = options
  const stdin = rest.input === undefined && rest.inputFile === undefined ? {stdin: 'ignore' as const} : {}
  const result = await execa(tool, ['-F', config, ...args], {env: {SSH_AUTH_SOCK: agent ?? '', HOME: process.env.HOME}, reject: false, timeout: 60_000, ...stdin, ...rest} as Options)
  return commandResult(result)
}

export interface PtyStep {
  send?: string
  expect?: string
  /** Look for `expect` only in output after this step started. */
  new?: boolean
  timeout?: number
  resize?: [number, number]
  touch?: string
  sleep?: number
}

/** Run ssh under a real pseudo-terminal, driven step by step (type, wait for output, resize). */
export async function runPtySession(config: string, args: string[], steps: PtyStep[], agent: string): Promise<{exitCode: null | number; failed: null | PtyStep; transcript: string}> {
  const {stdout, stderr} = await execa('python3', [PTY_DRIVER, JSON.stringify(steps), '--', 'ssh', '-F', config, ...args], {
    env: {SSH_AUTH_SOCK: agent, TERM: 'xterm', HOME: process.env.HOME},
    stdin: 'ignore',
    timeout: 90_000,
  })
  try {
    return JSON.parse(stdout)
  } catch {
    throw new Error(`pty driver failed: ${stdout}\n${stderr}`)
  }
}

/** `asciinema cat` (an independent reader of asciicast v2); it wants a terminal, so it runs under script(1). */
export async function asciinemaCat(path: string): Promise<CommandResult> {
  return commandResult(await execa('script', ['-qec', `asciinema cat '${path}'`, '/dev/null'], {reject: false, stdin: 'ignore', timeout: 30_000}))
}
