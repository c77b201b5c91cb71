import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {userInfo} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {runSsh} from '../helpers/ssh.js'
import {type Sshd, startSshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const login = userInfo().username
const PTY_DRIVER = fileURLToPath(new URL('../helpers/pty-session.py', import.meta.url))
const PASSPHRASE = 'correct horse battery staple'

/** How an organisation's existing CA key was made, by the tools people use. */
interface ExistingCA {
  /** Writes the private key at `path` (with PASSPHRASE when `encrypted`). */
  make(path: string): Promise<void>
  encrypted: boolean
  label: string
}

const sshKeygen = (args: string[]) => execa('ssh-keygen', ['-q', ...args], {stdin: 'ignore'})

const OPENSSH_ED25519_ENCRYPTED: ExistingCA = {
  encrypted: true,
  label: 'encrypted OpenSSH ed25519',
  make: async (path) => void (await sshKeygen(['-t', 'ed25519', '-N', PASSPHRASE, '-C', 'corp-ca', '-f', path])),
}
const PEM_RSA: ExistingCA = {
  encrypted: false,
  label: 'PEM (PKCS#1) RSA',
  make: async (path) => void (await sshKeygen(['-t', 'rsa', '-b', '3072', '-m', 'PEM', '-N', '', '-f', path])),
}
const PEM_ECDSA_ENCRYPTED: ExistingCA = {
  encrypted: true,
  label: 'encrypted PEM (PKCS#8) ECDSA',
  make: async (path) => void (await execa('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-aes-256-cbc', '-pass', `pass:${PASSPHRASE}`, '-out', path])),
}
const PPK_RSA_ENCRYPTED: ExistingCA = {
  encrypted: true,
  label: 'encrypted PuTTY PPK v2 RSA',
  make: async (path) => {
    await sshKeygen(['-t', 'rsa', '-b', '3072', '-N', '', '-f', `${path}.source`])
    writeFileSync(`${path}.passphrase-for-puttygen`, `${PASSPHRASE}\n`)
    await execa('puttygen', [`${path}.source`, '-O', 'private', '--ppk-param', 'version=2', '--new-passphrase', `${path}.passphrase-for-puttygen`, '-o', path])
  },
}

/** The public key of an existing CA, as the hosts and clients that trust it hold it (made without fleetctl). */
async function publicLine(ca: ExistingCA, path: string): Promise<string> {
  if (path.endsWith('.ppk')) return (await execa('puttygen', [`${path}.source`, '-O', 'public-openssh'])).stdout.trim()
  return (await execa('ssh-keygen', ['-y', '-P', ca.encrypted ? PASSPHRASE : '', '-f', path])).stdout.trim()
}

const sshFingerprint = async (line: string, dir: string) => {
  writeFileSync(join(dir, 'fp.pub'), `${line}\n`)
  return (await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'fp.pub')])).stdout.split(' ')[1]
}

describe.each([
  {host: PEM_RSA, hostFile: 'corp_host_ca.pem', user: OPENSSH_ED25519_ENCRYPTED, userFile: 'corp_user_ca', viaPublicKeyFiles: false},
  {host: OPENSSH_ED25519_ENCRYPTED, hostFile: 'corp_host_ca', user: PEM_ECDSA_ENCRYPTED, userFile: 'corp_user_ca.pem', viaPublicKeyFiles: true},
  {host: PEM_ECDSA_ENCRYPTED, hostFile: 'corp_host_ca.p8', user: PPK_RSA_ENCRYPTED, userFile: 'corp_user_ca.ppk', viaPublicKeyFiles: false},
])('ca import: user CA $user.label, host CA $host.label', ({host, hostFile, user, userFile, viaPublicKeyFiles}) => {
  const tmp = tmpDir()
  const dir = tmp.path
  const home = join(dir, 'state')
  let sshd: Sshd | undefined
  let hostCALine: string
  let userCALine: string

  beforeAll(async () => {
    await user.make(join(dir, userFile))
    await host.make(join(dir, hostFile))
    writeFileSync(join(dir, 'passphrase'), `${PASSPHRASE}\n`, {mode: 0o600})
    // What the fleet already has before fleetctl: sshd trusts the user CA, clients the host CA.
    userCALine = await publicLine(user, join(dir, userFile))
    hostCALine = `@cert-authority 127.0.0.1,localhost ${await publicLine(host, join(dir, hostFile))}`
    writeFileSync(join(dir, 'trusted_user_ca.pub'), `${userCALine}\n`)
  })

  afterAll(async () => {
    await sshd?.stop()
    tmp.remove()
  })

  const ok = async (args: string[]) => {
    const result = await fleetctl(args, {cwd: dir, home})
    if (result.exitCode !== 0) throw new Error(`fleetctl ${args.join(' ')} failed (${result.exitCode}):\n${result.stderr}`)
    return result
  }

  it('imports both CAs, stores them 0600 and prints the fingerprints ssh-keygen prints', async () => {
    for (const [type, ca, file, line] of [
      ['user', user, userFile, userCALine],
      ['host', host, hostFile, hostCALine.split(' ').slice(2).join(' ')],
    ] as const) {
      const args = ['ca', 'import', '--type', type, '--key', file, ...(ca.encrypted ? ['--passphrase-file', 'passphrase'] : [])]
      const result = await ok(args)
      const expected = await sshFingerprint(line, dir)
      expect(result.stdout).toContain(expected)
      const stored = join(home, 'ca', `${type}_ca`)
      expect(statSync(stored).mode & 0o777).toBe(0o600)
      // The stored key is unencrypted OpenSSH that ssh-keygen reads, and it is the same key.
      const derived = (await execa('ssh-keygen', ['-y', '-P', '', '-f', stored])).stdout.trim()
      expect(derived.split(' ').slice(0, 2)).toEqual(line.split(' ').slice(0, 2))
      const exported = (await ok(['ca', 'export', '--type', type, '--format', 'public-key'])).stdout.trim()
      expect(exported.split(' ').slice(0, 2)).toEqual(line.split(' ').slice(0, 2))
    }
  })

  it('a host that already trusted the CAs accepts the certificates fleetctl then issues (real sshd and ssh)', async () => {
    if (viaPublicKeyFiles) {
      // The keys stay where they are; fleetctl gets their public halves in RFC 4716 and PEM form.
      await sshKeygen(['-t', 'ed25519', '-N', '', '-f', join(dir, 'host')])
      writeFileSync(join(dir, 'host.rfc4716'), (await execa('ssh-keygen', ['-e', '-f', join(dir, 'host.pub')])).stdout)
      await ok(['auth', 'sign', '--host=127.0.0.1,localhost', '--public-key', 'host.rfc4716', '--out', 'host'])
      await sshKeygen(['-t', 'rsa', '-b', '3072', '-N', '', '-f', join(dir, 'user')])
      writeFileSync(join(dir, 'user.spki'), (await execa('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', join(dir, 'user.pub')])).stdout)
      await ok(['auth', 'sign', `--user=${login}`, '--ttl', '1h', '--public-key', 'user.spki', '--out', 'user'])
    } else {
      await ok(['auth', 'sign', '--host=127.0.0.1,localhost', '--out', 'host'])
      await ok(['auth', 'sign', `--user=${login}`, '--ttl', '1h', '--out', 'user'])
    }

    sshd = await startSshd({
      dir,
      hostCertificates: [join(dir, 'host-cert.pub')],
      hostKeys: [join(dir, 'host')],
      trustedUserCAKeys: join(dir, 'trusted_user_ca.pub'),
    })
    // known_hosts holds only the old host CA: StrictHostKeyChecking passes on the new host certificate alone.
    const result = await runSsh({dir, identity: join(dir, 'user'), knownHosts: [hostCALine], port: sshd.port}, `${login}@127.0.0.1`, ['echo imported-ca-ok'])
    expect(result.stdout).toBe('imported-ca-ok')
    expect(sshd.output()).toContain(`Accepted certificate ID "${login}"`)
  })

  it('the same sshd refuses a certificate from a CA it never trusted', async () => {
    const other = join(dir, 'other-state')
    expect((await fleetctl(['ca', 'init'], {cwd: dir, home: other})).exitCode).toBe(0)
    expect((await fleetctl(['auth', 'sign', `--user=${login}`, '--out', 'other-user'], {cwd: dir, home: other})).exitCode).toBe(0)
    const result = await runSsh({dir, identity: join(dir, 'other-user'), knownHosts: [hostCALine], port: sshd!.port}, `${login}@127.0.0.1`, ['true'])
    expect(result.exitCode).toBe(255)
  })
})

describe('ca import refuses what it must', () => {
  const tmp = tmpDir()
  const dir = tmp.path
  const home = join(dir, 'state')

  beforeAll(async () => {
    await OPENSSH_ED25519_ENCRYPTED.make(join(dir, 'corp_ca'))
    writeFileSync(join(dir, 'wrong'), 'not the passphrase\n')
    writeFileSync(join(dir, 'right'), `${PASSPHRASE}\n`)
    await sshKeygen(['-t', 'rsa', '-b', '1024', '-N', '', '-f', join(dir, 'weak')])
  })

  afterAll(() => tmp.remove())

  const run = (args: string[]) => fleetctl(['ca', 'import', '--type', 'user', ...args], {cwd: dir, home})

  it('a protected key with no passphrase and no terminal: exit 2, names --passphrase-file', async () => {
    const result = await run(['--key', 'corp_ca'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('passphrase-protected, and no passphrase was given')
    expect(result.stderr).toContain('--passphrase-file')
  })

  it('a wrong passphrase: exit 2, says so', async () => {
    const result = await run(['--key', 'corp_ca', '--passphrase-file', 'wrong'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('the passphrase does not open this OpenSSH private key')
  })

  it('an RSA key under 2048 bits: exit 5', async () => {
    const result = await run(['--key', 'weak'])
    expect(result.exitCode).toBe(5)
    expect(result.stderr).toContain('1024 bits is too weak')
  })

  it('a public key: exit 2, asks for the private key', async () => {
    const result = await run(['--key', 'corp_ca.pub'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('this is a public key')
  })

  it('an existing CA: exit 4 without --force; with --force it is replaced and kept beside', async () => {
    expect((await fleetctl(['ca', 'init'], {home})).exitCode).toBe(0)
    const before = readFileSync(join(home, 'ca', 'user_ca'), 'utf8')
    const refused = await run(['--key', 'corp_ca', '--passphrase-file', 'right'])
    expect(refused.exitCode).toBe(4)
    expect(refused.stderr).toContain('--force')
    expect(readFileSync(join(home, 'ca', 'user_ca'), 'utf8')).toBe(before)

    const forced = await fleetctl(['ca', 'import', '--type', 'user', '--key', 'corp_ca', '--passphrase-file', 'right', '--force', '--json'], {cwd: dir, home})
    expect(forced.exitCode).toBe(0)
    const result = JSON.parse(forced.stdout) as {fingerprint: string; replaced: string}
    expect(readFileSync(result.replaced, 'utf8')).toBe(before)
    expect(result.fingerprint).toBe(await sshFingerprint(readFileSync(join(dir, 'corp_ca.pub'), 'utf8'), dir))
  })

  it('ca init then makes only the missing CA, keeps the imported one, and refuses once both exist', async () => {
    const partial = join(dir, 'partial-state')
    expect((await fleetctl(['ca', 'import', '--type', 'user', '--key', 'corp_ca', '--passphrase-file', 'right'], {cwd: dir, home: partial})).exitCode).toBe(0)
    const imported = readFileSync(join(partial, 'ca', 'user_ca'), 'utf8')
    const init = await fleetctl(['ca', 'init', '--json'], {cwd: dir, home: partial})
    expect(init.exitCode).toBe(0)
    const result = JSON.parse(init.stdout) as {hostCA: {existing?: boolean}; userCA: {existing?: boolean; fingerprint: string}}
    expect(result.userCA.existing).toBe(true)
    expect(result.hostCA.existing).toBeUndefined()
    expect(result.userCA.fingerprint).toBe(await sshFingerprint(readFileSync(join(dir, 'corp_ca.pub'), 'utf8'), dir))
    expect(readFileSync(join(partial, 'ca', 'user_ca'), 'utf8')).toBe(imported)
    expect(statSync(join(partial, 'ca', 'host_ca')).mode & 0o777).toBe(0o600)
    expect((await fleetctl(['ca', 'init'], {cwd: dir, home: partial})).exitCode).toBe(4)
  })

  it('asks for the passphrase on a terminal and imports with it', async () => {
    const fresh = join(dir, 'prompted-state')
    const env: Record<string, string> = {FLEETCTL_HOME: fresh, HOME: dir, NO_COLOR: '1', PATH: process.env.PATH ?? '', TERM: 'xterm'}
    const steps = [{expect: 'Passphrase for corp_ca'}, {send: `${PASSPHRASE}\r`}, {expect: 'Imported the user CA'}]
    const {stdout} = await execa('python3', [PTY_DRIVER, JSON.stringify(steps), '--', process.execPath, FLEETCTL_BIN, 'ca', 'import', '--type', 'user', '--key', 'corp_ca'], {
      cwd: dir,
      env,
      extendEnv: false,
      stdin: 'ignore',
      timeout: 60_000,
    })
    const session = JSON.parse(stdout) as {exitCode: number; failed: unknown; transcript: string}
    expect(session.failed, session.transcript).toBeNull()
    expect(session.exitCode).toBe(0)
    expect(session.transcript).not.toContain(PASSPHRASE)
    expect(statSync(join(fresh, 'ca', 'user_ca')).mode & 0o777).toBe(0o600)
  })
})
