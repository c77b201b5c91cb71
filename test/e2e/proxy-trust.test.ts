/**
 * Trust at the proxy with real OpenSSH: host certificates (strict by default, the opt-out with
 * its warning, wrong CA, wrong name), user certificates (expired, wrong CA, no permit-pty,
 * force-command), and the web export that a real sshd takes as TrustedUserCAKeys.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {freePort} from '../helpers/processes.js'
import {fleetUser, fleetUserWithValidity, LOGIN, runClient, type RunningProxy, startFleetHost, startProxy, writeClientConfig} from '../helpers/proxy.js'
import {keygen, signCertificate} from '../helpers/ssh-keygen.js'
import {type Sshd, startSshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const HOST_NOT_CERTIFIED = 'ssh: handshake failed: remote host presented a public key, expected a host certificate'

describe('trust at the proxy', () => {
  const tmp = tmpDir('fleetctl-proxy-trust-')
  const home = join(tmp.path, 'home')
  const stops: (() => Promise<void>)[] = []
  let proxy: RunningProxy
  let good: Sshd
  let agent: Agent
  let subdirs = 0
  const dir = (name: string) => {
    const path = join(tmp.path, `${name}-${++subdirs}`)
    mkdirSync(path, {recursive: true})
    return path
  }

  async function host(kind: Parameters<typeof startFleetHost>[2]): Promise<Sshd> {
    const sshd = await startFleetHost(dir('host'), home, kind)
    stops.push(() => sshd.stop())
    return sshd
  }

  async function agentWith(keyPath: string): Promise<Agent> {
    const a = await startAgent(dir('agent'))
    stops.push(() => a.stop())
    await a.add(keyPath)
    return a
  }

  beforeAll(async () => {
    proxy = await startProxy(home)
    stops.push(() => proxy.stop())
    good = await host('fleet')
    agent = await agentWith(await fleetUser(dir('user'), home, 'carol'))
  })

  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()))
    tmp.remove()
  })

  const ssh = (sshd: Sshd, args: string[], options: {agent?: Agent; hostKeyAlias?: boolean; proxyPort?: number} = {}) =>
    runClient('ssh', writeClientConfig(dir('client'), home, {hostKeyAlias: options.hostKeyAlias, hostPort: sshd.port, proxyPort: options.proxyPort ?? proxy.port}), args, {
      agent: (options.agent ?? agent).socket,
    })

  it('refuses a host with a plain host key with the exact message, and logs host.rejected', async () => {
    const plain = await host('none')
    const result = await ssh(plain, ['web1', 'true'])
    expect(result.exitCode).toBe(255)
    expect(result.stderr).toContain(HOST_NOT_CERTIFIED)
    const rejected = (await proxy.audit()).find((e) => e.event === 'host.rejected' && e.host === `127.0.0.1:${plain.port}`)
    expect(rejected?.reason).toBe(HOST_NOT_CERTIFIED)
  })

  it('with --no-checks-host-keys accepts the plain host key and logs a warning for the connection', async () => {
    const plain = await host('none')
    const lax = await startProxy(home, ['--no-checks-host-keys'])
    stops.push(() => lax.stop())
    // Nothing vouches for the host's names: the proxy's certificate for it names the address dialed.
    const result = await ssh(plain, ['web1', 'echo lax'], {hostKeyAlias: false, proxyPort: lax.port})
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: 'lax'})
    const warning = await lax.waitFor('host.unverified')
    expect(warning).toMatchObject({level: 'warn', reason: HOST_NOT_CERTIFIED, port: plain.port})
    expect(String(warning.fingerprint)).toMatch(/^SHA256:/)
  })

  it('says a host that does not answer is unreachable, and what to check, when the jump is refused', async () => {
    const port = await freePort()
    const config = writeClientConfig(dir('client'), home, {hostPort: port, proxyPort: proxy.port})
    const result = await runClient('ssh', config, ['web1', 'true'], {agent: agent.socket})
    expect(result.exitCode).toBe(255)
    expect(result.stderr).toContain(`open failed: connect failed: ssh: connection to 127.0.0.1 failed: connect ECONNREFUSED 127.0.0.1:${port}`)
    expect(result.stderr).toContain('(check that 127.0.0.1 runs sshd on that port and that this machine can reach it: `fleetctl doctor 127.0.0.1` looks at the whole path)')
    const rejected = (await proxy.audit()).find((e) => e.event === 'host.rejected' && e.host === `127.0.0.1:${port}`)
    expect(rejected?.reason).toBe(`ssh: connection to 127.0.0.1 failed: connect ECONNREFUSED 127.0.0.1:${port}`)
  })

  it('refuses host certificates from another CA or for another name, saying why', async () => {
    const otherCA = await ssh(await host('other-ca'), ['web1', 'true'])
    expect(otherCA.exitCode).toBe(255)
    expect(otherCA.stderr).toMatch(/host certificate of 127\.0\.0\.1 rejected: certificate is signed by a CA that is not trusted/)
    const otherName = await ssh(await host('other-name'), ['web1', 'true'])
    expect(otherName.exitCode).toBe(255)
    expect(otherName.stderr).toMatch(/host certificate of 127\.0\.0\.1 rejected: certificate principals \[db9\.fleet\.test\] do not include "127\.0\.0\.1"/)
  })

  it('refuses an expired or wrong-CA user certificate at the proxy and logs auth.failure', async () => {
    const expired = await agentWith(await fleetUserWithValidity(dir('user'), home, 'expired-user', '20200101:20200102'))
    const result = await ssh(good, ['web1', 'true'], {agent: expired})
    expect(result.exitCode).toBe(255)
    expect(result.stderr).toMatch(/Permission denied/)

    const otherCA = await keygen(dir('ca'), 'other_user_ca', 'ed25519')
    const stranger = await keygen(dir('user'), 'stranger', 'ed25519')
    await signCertificate(otherCA, stranger, {identity: 'stranger', principals: [LOGIN], validity: '-5m:+1h'})
    const wrongCA = await ssh(good, ['web1', 'true'], {agent: await agentWith(stranger.path)})
    expect(wrongCA.exitCode).toBe(255)

    await proxy.waitFor('auth.failure', (e) => String(e.reason).startsWith('expired'))
    await proxy.waitFor('auth.failure', (e) => String(e.reason).startsWith('wrong-ca'))
    const reasons = (lines: {event: string; reason?: unknown}[]) => lines.filter((e) => e.event === 'auth.failure').map((e) => String(e.reason).split(':')[0])
    const failures = (await proxy.auditUntil((lines) => ['expired', 'wrong-ca'].every((r) => reasons(lines).includes(r)))).filter((e) => e.event === 'auth.failure')
    expect(failures.map((e) => String(e.reason).split(':')[0])).toEqual(expect.arrayContaining(['expired', 'wrong-ca']))
  })

  it('gives no PTY to a certificate without permit-pty', async () => {
    const noPty = await agentWith(await fleetUser(dir('user'), home, 'nopty', {extensions: {'permit-agent-forwarding': '', 'permit-port-forwarding': ''}}))
    // ssh -tt treats a refused PTY as fatal; without -tt the command runs without one.
    const forced = await ssh(good, ['-tt', 'web1', 'tty'], {agent: noPty})
    expect(forced.stdout).not.toContain('/dev/pts')
    expect(forced.stderr).toContain('PTY allocation request failed')
    const plain = await ssh(good, ['-o', 'RequestTTY=auto', 'web1', 'tty; echo ran'], {agent: noPty})
    expect(plain.stdout).toBe('not a tty\nran')
    await proxy.waitFor('pty.refused')
  })

  it('honours force-command: the certificate\'s command runs, whatever the client asks', async () => {
    const forced = await agentWith(await fleetUser(dir('user'), home, 'deployer', {criticalOptions: {'force-command': 'echo forced-$SSH_ORIGINAL_COMMAND'}}))
    const result = await ssh(good, ['web1', 'rm -rf /nothing'], {agent: forced})
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: 'forced-rm -rf /nothing'})
    const exec = (await proxy.audit()).find((e) => e.event === 'exec' && e.user === 'deployer')
    expect(exec?.command).toBe('echo forced-$SSH_ORIGINAL_COMMAND')
  })

  it('serves the user CA over HTTPS so the documented curl pipeline makes a TrustedUserCAKeys file sshd accepts', async () => {
    const files = dir('curl')
    const caFile = join(files, 'teleport_user_ca.pub')
    const pipeline = await execa('bash', ['-euo', 'pipefail', '-c', `curl -sfk 'https://127.0.0.1:${proxy.webPort}/webapi/auth/export?type=user' | sed s/cert-authority\\ // > ${caFile}`], {reject: false})
    expect(pipeline.exitCode, pipeline.stderr).toBe(0)
    const exported = await execa(process.execPath, [join(process.cwd(), 'bin/run.js'), 'ca', 'export', '--type', 'user'], {env: {FLEETCTL_HOME: home}})
    expect(`cert-authority ${(await import('node:fs')).readFileSync(caFile, 'utf8')}`).toBe(`${exported.stdout}\n`)

    // A real sshd trusting only that file lets a fleet user certificate in (plain ssh, no proxy).
    const hostDir = dir('curl-host')
    const hostKey = await keygen(hostDir, 'host', 'ed25519')
    const sshd = await startSshd({dir: hostDir, hostKeys: [hostKey.path], trustedUserCAKeys: caFile})
    stops.push(() => sshd.stop())
    const key = await fleetUser(dir('user'), home, 'curl-user')
    const knownHosts = join(hostDir, 'known_hosts')
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${hostKey.publicLine}\n`)
    const login = await execa('ssh', ['-F', 'none', '-i', key, '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'IdentitiesOnly=yes', '-p', String(sshd.port), `${LOGIN}@127.0.0.1`, 'echo trusted'], {reject: false, stdin: 'ignore', env: {SSH_AUTH_SOCK: ''}})
    expect(login.stdout, login.stderr).toBe('trusted')

    const health = await execa('curl', ['-sfk', `https://127.0.0.1:${proxy.webPort}/healthz`])
    expect(health.stdout).toBe('ok')
    const metrics = await execa('curl', ['-sfk', `https://127.0.0.1:${proxy.webPort}/metrics`])
    expect(metrics.stdout).toMatch(/^fleetctl_proxy_auth_failures_total [1-9]/m)
    expect(metrics.stdout).toMatch(/^fleetctl_proxy_sessions_total\{kind="exec"\} [1-9]/m)
    expect(metrics.stdout).toMatch(/^fleetctl_proxy_bytes_total\{direction="out"\} [1-9]/m)
  })
})
