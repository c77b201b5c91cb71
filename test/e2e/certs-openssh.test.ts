import {readFileSync, writeFileSync} from 'node:fs'
import {userInfo} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseCertificateLine, parsePrivateKey, parsePublicKey, verifyCertificate} from '../../src/certs/index.js'
import {type Agent, startAgent} from '../helpers/agent.js'
import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {runSsh} from '../helpers/ssh.js'
import {type Sshd, startSshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const login = userInfo().username

async function ok(args: string[], home: string, cwd: string) {
  const result = await fleetctl(args, {cwd, home})
  if (result.exitCode !== 0) throw new Error(`fleetctl ${args.join(' ')} failed (${result.exitCode}):\n${result.stderr}`)
  return result
}

/** `ssh-keygen -L -f` output as a map of field name to value (multi-line fields joined). */
async function keygenList(certPath: string): Promise<Record<string, string>> {
  const {stdout} = await execa('ssh-keygen', ['-L', '-f', certPath])
  const fields: Record<string, string> = {}
  let current = ''
  for (const line of stdout.split('\n').slice(1)) {
    const field = /^\s{8}(\S[^:]*):\s?(.*)$/.exec(line)
    if (field) {
      current = field[1]
      fields[current] = field[2].trim()
    } else if (current) {
      fields[current] = `${fields[current]} ${line.trim()}`.trim()
    }
  }

  return fields
}

describe.each(['ed25519', 'ecdsa', 'rsa'] as const)('certificates against real OpenSSH, %s keys', (keyType) => {
  const tmp = tmpDir()
  const dir = tmp.path
  const home = join(dir, 'home')
  const otherHome = join(dir, 'other-home')
  let sshd: Sshd
  let agent: Agent | undefined
  let hostCALine: string
  let otherHostCALine: string

  beforeAll(async () => {
    await ok(['ca', 'init', '--cluster', 'test.example', '--key-type', keyType], home, dir)
    await ok(['ca', 'init', '--cluster', 'other.example', '--key-type', keyType], otherHome, dir)
    // The documented pipeline, run as a shell would.
    await execa('bash', ['-c', `node ${FLEETCTL_BIN} ca export --type user | sed s/cert-authority\\ // > user_ca.pub`], {cwd: dir, env: {FLEETCTL_HOME: home}})
    hostCALine = (await ok(['ca', 'export', '--type', 'host'], home, dir)).stdout.trim()
    otherHostCALine = (await ok(['ca', 'export', '--type', 'host'], otherHome, dir)).stdout.trim()

    await ok(['auth', 'sign', '--host=localhost,127.0.0.1', '--key-type', keyType, '--out', 'host'], home, dir)
    sshd = await startSshd({
      dir,
      hostCertificates: [join(dir, 'host-cert.pub')],
      hostKeys: [join(dir, 'host')],
      trustedUserCAKeys: join(dir, 'user_ca.pub'),
    })
    await ok(['auth', 'sign', `--user=${login}`, `--principals=${login},deploy`, '--key-type', keyType, '--ttl', '1h', '--out', 'user'], home, dir)
  })

  afterAll(async () => {
    await agent?.stop()
    await sshd?.stop()
    tmp.remove()
  })

  const client = (identity?: string, knownHosts = [hostCALine]) => ({dir, identity, knownHosts, port: sshd.port})

  it('writes files that ssh-keygen reads, with every field as issued', async () => {
    expect(readFileSync(join(dir, 'user_ca.pub'), 'utf8')).toMatch(/^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) \S+ clustername=test\.example&type=user\n$/)
    const user = await keygenList(join(dir, 'user-cert.pub'))
    const issued = parseCertificateLine(readFileSync(join(dir, 'user-cert.pub'), 'utf8')).certificate
    expect(user.Type).toBe(`${issued.algorithm} user certificate`)
    expect(user['Key ID']).toBe(`"${login}"`)
    expect(user.Serial).toBe(issued.serial.toString())
    expect(user.Principals).toBe(`${login} deploy`)
    expect(user['Critical Options']).toBe('(none)')
    expect(user.Extensions).toBe('permit-X11-forwarding permit-agent-forwarding permit-port-forwarding permit-pty permit-user-rc')
    expect(user['Signing CA']).toContain(keyType === 'rsa' ? '(using rsa-sha2-512)' : '(using')
    const [from, to] = /^from (\S+) to (\S+)$/.exec(user.Valid)!.slice(1)
    expect(Date.parse(to) - Date.parse(from)).toBe((3600 + 60) * 1000)

    const host = await keygenList(join(dir, 'host-cert.pub'))
    expect(host.Type).toMatch(/ host certificate$/)
    expect(host.Principals).toBe('localhost 127.0.0.1')
    expect(host['Key ID']).toBe('"localhost"')

    await ok(['auth', 'sign', '--user=ci', '--force-command=/usr/bin/uptime', '--source-address=127.0.0.1/32,::1', '--extensions=permit-pty', '--ttl=0', '--key-id=ci-bot', '--key-type', keyType, '--out', 'ci'], home, dir)
    const ci = await keygenList(join(dir, 'ci-cert.pub'))
    expect(ci['Critical Options']).toBe('force-command /usr/bin/uptime source-address 127.0.0.1/32,::1')
    expect(ci.Extensions).toBe('permit-pty')
    expect(ci.Valid).toMatch(/^after \S+$/)
    expect(ci['Key ID']).toBe('"ci-bot"')
  })

  it('logs in to a real sshd with the certificate and allocates a PTY, trusting the host through @cert-authority only', async () => {
    const result = await runSsh(client(join(dir, 'user')), `${login}@127.0.0.1`, ['-tt', 'tty; echo login-ok'])
    expect(result.stdout).toMatch(/\/dev\/pts\/\d+/)
    expect(result.stdout).toContain('login-ok')
    expect(result.exitCode).toBe(0)
    expect(sshd.output()).toMatch(/Accepted certificate ID "[^"]+" \(serial \d+\)/)
  })

  it('logs in with the key and certificate held in a real ssh-agent', async () => {
    agent = await startAgent(dir)
    await agent.add(join(dir, 'user'))
    expect((await agent.list()).some((l) => l.includes('-cert-v01@openssh.com'))).toBe(true)
    const result = await runSsh({...client(), agentSocket: agent.socket}, `${login}@127.0.0.1`, ['echo agent-ok'])
    expect(result.stdout).toBe('agent-ok')
  })

  it('is refused by sshd when expired', async () => {
    await ok(['auth', 'sign', `--user=${login}`, '--ttl=1s', '--key-type', keyType, '--out', 'expired'], home, dir)
    const validBefore = Number(parseCertificateLine(readFileSync(join(dir, 'expired-cert.pub'), 'utf8')).certificate.validBefore)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, validBefore * 1000 - Date.now()) + 1100))
    const result = await runSsh(client(join(dir, 'expired')), `${login}@127.0.0.1`, ['true'])
    expect(result.exitCode).toBe(255)
    expect(sshd.output()).toMatch(/Certificate invalid: expired/)
  })

  it('is refused by sshd for another principal', async () => {
    await ok(['auth', 'sign', '--user=somebody-else', '--key-type', keyType, '--out', 'other-user'], home, dir)
    const result = await runSsh(client(join(dir, 'other-user')), `${login}@127.0.0.1`, ['true'])
    expect(result.exitCode).toBe(255)
    expect(sshd.output()).toMatch(/Certificate invalid: name is not a listed principal/)
  })

  it('is refused by sshd when signed by another CA', async () => {
    await ok(['auth', 'sign', `--user=${login}`, '--key-type', keyType, '--out', 'other-ca'], otherHome, dir)
    const before = sshd.output().length
    const result = await runSsh(client(join(dir, 'other-ca')), `${login}@127.0.0.1`, ['true'])
    expect(result.exitCode).toBe(255)
    const otherCA = JSON.parse((await ok(['ca', 'export', '--type', 'user', '--json'], otherHome, dir)).stdout)
    const log = sshd.output().slice(before)
    expect(log).not.toMatch(/Accepted/)
    expect(log).toContain(`-CERT`)
    expect(log).toContain(`CA ${keyType === 'ed25519' ? 'ED25519' : keyType === 'ecdsa' ? 'ECDSA' : 'RSA'} ${otherCA.fingerprint}`)
  })

  it('is refused by ssh when the host certificate comes from another host CA', async () => {
    const result = await runSsh(client(join(dir, 'user'), [otherHostCALine]), `${login}@127.0.0.1`, ['true'])
    expect(result.exitCode).toBe(255)
    expect(result.stderr).toMatch(/Host key verification failed/)
  })

  it('verifies certificates that ssh-keygen -s makes with our CA key, and with its own CA', async () => {
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'kg')])
    await execa('ssh-keygen', ['-q', '-s', join(home, 'ca', 'user_ca'), '-I', 'kg-id', '-n', 'alice,bob', '-V', '-5m:+1h', '-z', '7', join(dir, 'kg.pub')])
    const ca = parsePrivateKey(readFileSync(join(home, 'ca', 'user_ca'), 'utf8'))
    const cert = parseCertificateLine(readFileSync(join(dir, 'kg-cert.pub'), 'utf8')).certificate
    expect(verifyCertificate(cert, {caKeys: [ca.publicKey], principal: 'bob', type: 'user'})).toMatchObject({ok: true})
    expect(cert).toMatchObject({keyId: 'kg-id', principals: ['alice', 'bob'], serial: 7n})

    const keygenCA = join(dir, `kg-ca-${keyType}`)
    await execa('ssh-keygen', ['-q', '-t', keyType, '-N', '', '-f', keygenCA])
    await execa('ssh-keygen', ['-q', '-s', keygenCA, '-h', '-I', 'h', '-n', 'web-1', join(dir, 'kg.pub')])
    const hostCert = parseCertificateLine(readFileSync(join(dir, 'kg-cert.pub'), 'utf8')).certificate
    const keygenCAKey = parsePublicKey(readFileSync(`${keygenCA}.pub`, 'utf8')).key
    expect(verifyCertificate(hostCert, {caKeys: [keygenCAKey], principal: 'web-1', type: 'host'})).toMatchObject({ok: true})
    expect(verifyCertificate(hostCert, {caKeys: [ca.publicKey], principal: 'web-1', type: 'host'})).toMatchObject({ok: false, reason: 'wrong-ca'})
  })

  it('signs an existing public key without touching its private key', async () => {
    writeFileSync(join(dir, 'marker'), '')
    await execa('ssh-keygen', ['-q', '-t', keyType, '-N', '', '-f', join(dir, 'existing')])
    const privateBefore = readFileSync(join(dir, 'existing'))
    const result = await ok(['auth', 'sign', '--host=web-1.example.com', '--public-key', 'existing.pub'], home, dir)
    expect(result.stdout.trim()).toBe('The credentials have been written to existing-cert.pub')
    expect(readFileSync(join(dir, 'existing'))).toEqual(privateBefore)
    const {stdout} = await execa('ssh-keygen', ['-L', '-f', join(dir, 'existing-cert.pub')])
    expect(stdout).toContain('web-1.example.com')
  })
})
