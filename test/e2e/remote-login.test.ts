/**
 * Remote login over the proxy's HTTPS, end to end with real OpenSSH: the admin adds a role and a
 * person on the proxy's machine; a fresh account (empty home, no CA files) enrols with the token,
 * logs in with password + TOTP (the test computes the code with otplib), writes its ssh config and
 * runs plain `ssh web-1` through the recording proxy. Refusals look alike and are audited; a TTL
 * above the role's cap is cut; a CI bot logs in with its registered key, without a terminal.
 *
 * ssh reads ~/.ssh/config from the account's passwd entry, not from $HOME, so the test makes a
 * real account (CI runs as root) and runs ssh and ssh-agent as that account.
 */
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {request} from 'node:https'
import {join} from 'node:path'

import {execa} from 'execa'
import {generate} from 'otplib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {type Daemon, startDaemon} from '../helpers/processes.js'
import {type RunningProxy, startProxy, writeClientConfig} from '../helpers/proxy.js'
import {type Sshd, startSshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const PASSWORD = 'correct horse battery staple'
const REFUSED = 'login refused: the user name, password, code or key is not right'

describe('remote login: enrol, password + TOTP, then plain ssh through the proxy', {timeout: 180_000}, () => {
  const tmp = tmpDir('fleetctl-remote-login-')
  const account = `fleet${randomBytes(3).toString('hex')}`
  const admin = join(tmp.path, 'admin-state')
  const home = join(tmp.path, 'home')
  const state = join(home, '.fleetctl')
  let uid = 0
  let gid = 0
  let proxy: RunningProxy
  let host: Sshd
  let agent: Daemon
  let bots: Agent | undefined
  let token = ''
  let totpSecret = ''
  let pin = ''

  const asUser = (command: string, args: string[]) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', command, ...args]] as const
  const socket = () => join(tmp.path, 'agent', 'agent.sock')
  /** The account's fleetctl: its own HOME and state, its agent, as CI runs it (no terminal). */
  const asAccount = (args: string[], env: Record<string, string> = {}) => fleetctl(args, {env: {CI: 'true', HOME: home, SSH_AUTH_SOCK: socket(), ...env}, home: state})
  const code = (epoch = Math.floor(Date.now() / 1000)) => generate({epoch, secret: totpSecret})

  beforeAll(async () => {
    mkdirSync(home, {mode: 0o755, recursive: true})
    chmodSync(tmp.path, 0o755)
    await execa('useradd', ['-M', '-d', home, '-s', '/bin/sh', account])
    await execa('usermod', ['-p', '*', account])
    uid = Number((await execa('id', ['-u', account])).stdout)
    gid = Number((await execa('id', ['-g', account])).stdout)
    await execa('chown', [`${uid}:${gid}`, home])

    proxy = await startProxy(admin)

    const hostDir = join(tmp.path, 'web-1')
    mkdirSync(hostDir)
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(hostDir, 'host_key')])
    expect((await fleetctl(['auth', 'sign', '--host=web-1,127.0.0.1', `--public-key=${join(hostDir, 'host_key.pub')}`], {home: admin})).exitCode).toBe(0)
    await execa('bash', ['-c', `node ${FLEETCTL_BIN} ca export --type user | sed s/cert-authority\\ // > ${join(hostDir, 'user_ca.pub')}`], {env: {FLEETCTL_HOME: admin}})
    host = await startSshd({dir: hostDir, hostCertificates: [join(hostDir, 'host_key-cert.pub')], hostKeys: [join(hostDir, 'host_key')], trustedUserCAKeys: join(hostDir, 'user_ca.pub')})

    const agentDir = join(tmp.path, 'agent')
    mkdirSync(agentDir)
    await execa('chown', [`${uid}:${gid}`, agentDir])
    const [command, args] = asUser('ssh-agent', ['-D', '-a', socket()])
    agent = await startDaemon(command, [...args], {ready: () => existsSync(socket()), what: 'ssh-agent'})
    await new Promise((resolve) => setTimeout(resolve, 200))

    mkdirSync(join(home, '.ssh'), {mode: 0o700})
    writeFileSync(join(home, '.ssh', 'config'), `Host web-1\n    HostName 127.0.0.1\n    Port ${host.port}\n`, {mode: 0o600})

    // The admin, on the proxy's machine.
    const role = await fleetctl(['roles', 'add', '--name', 'dev', '--logins', '{{user}}', '--hosts', 'web-*', '--max-ttl', '8h'], {home: admin})
    expect(role.exitCode, role.stderr).toBe(0)
    const added = await fleetctl(['users', 'add', account, '--roles', 'dev', '--web-addr', `127.0.0.1:${proxy.webPort}`, '--json'], {home: admin})
    expect(added.exitCode, added.stderr).toBe(0)
    const result = JSON.parse(added.stdout) as {tlsFingerprint: string; token: string}
    token = result.token
    pin = result.tlsFingerprint
  })

  afterAll(async () => {
    await Promise.all([proxy?.stop(), host?.stop(), agent?.stop(), bots?.stop()])
    await execa('userdel', [account], {reject: false})
    tmp.remove()
  })

  it('enrols with the one-time token (the proxy pinned from it), and the token works once', async () => {
    const enrol = await asAccount(['login', '--enrol', token, '--json'], {FLEETCTL_PASSWORD: PASSWORD})
    expect(enrol.exitCode, enrol.stderr).toBe(0)
    const result = JSON.parse(enrol.stdout) as {otpauthUri: string; totpSecret: string; user: string}
    expect(result.user).toBe(account)
    expect(result.otpauthUri).toMatch(new RegExp(`^otpauth://totp/.*${account}\\?.*secret=${result.totpSecret}`))
    totpSecret = result.totpSecret

    const again = await asAccount(['login', '--enrol', token], {FLEETCTL_PASSWORD: PASSWORD})
    expect(again.exitCode).not.toBe(0)
    expect(again.stderr).toMatch(/enrolment refused: the token is not valid/)

    // No password without a terminal: CI fails with what to set, it does not hang on a prompt.
    const noPassword = await asAccount(['login', '--totp', '123456'])
    expect(noPassword.exitCode).toBe(2)
    expect(noPassword.stderr).toMatch(/no password given and no terminal to ask on.*FLEETCTL_PASSWORD/)
  })

  it('never trusts the proxy\'s web certificate on first use: a wrong pin or no pin is refused before anything is sent', async () => {
    const failures = async () => (await proxy.audit()).filter((e) => e.event === 'login.failure').length
    const before = await failures()
    const base = ['login', '--no-agent', '--proxy', `127.0.0.1:${proxy.webPort}`, '--user', account]
    const env = {FLEETCTL_PASSWORD: PASSWORD, FLEETCTL_TOTP: '000000'}
    const wrongPin = await fleetctl([...base, '--tls-fingerprint', `sha256:${'0'.repeat(64)}`], {env: {CI: 'true', ...env}, home: tmp.dir('no-profile-1')})
    expect(wrongPin.exitCode).toBe(5)
    expect(wrongPin.stderr).toMatch(/presented a web certificate \(sha256:[0-9a-f]{64}\) that is not the pinned one.*Nothing was sent/)
    const noPin = await fleetctl(base, {env: {CI: 'true', ...env}, home: tmp.dir('no-profile-2')})
    expect(noPin.exitCode).toBe(5)
    expect(noPin.stderr).toMatch(/--tls-fingerprint/)
    expect(await failures()).toBe(before)
  })

  it('logs in with password + TOTP (72h asked, cut to the role\'s 8h), then plain ssh web-1 goes through the proxy, recorded, audited as the person', async () => {
    expect(existsSync(join(state, 'ca', 'user_ca'))).toBe(false)
    const login = await asAccount(['login', '--ttl', '72h'], {FLEETCTL_PASSWORD: PASSWORD, FLEETCTL_TOTP: await code()})
    expect(login.exitCode, login.stderr).toBe(0)
    expect(login.stdout).toContain(`Logged in to 127.0.0.1:${proxy.webPort} as ${account} (roles: dev): logins ${account}`)
    expect(login.stdout).toContain('You asked for 72h; your roles allow at most 8h (role dev)')

    const certificate = (await execa('ssh-keygen', ['-L', '-f', join(state, 'keys', `${account}-cert.pub`)])).stdout
    expect(certificate).toMatch(new RegExp(`Principals: \\n\\s+${account}\\n`))
    const [from, to] = /Valid: from (\S+) to (\S+)/.exec(certificate)!.slice(1).map((t) => Date.parse(`${t}Z`))
    expect((to - from) / 1000).toBe(8 * 3600 + 60)
    expect(statSync(join(state, 'keys', account)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(join(state, 'profile.json'), 'utf8'))).toMatchObject({fingerprint: pin.replace('sha256:', ''), proxy: `127.0.0.1:${proxy.webPort}`, user: account})

    const gen = await asAccount(['gen-ssh-config', '--write', '--proxy', `127.0.0.1:${proxy.port}`, '--hosts', 'web-*'])
    expect(gen.exitCode, gen.stderr).toBe(0)
    await execa('chown', ['-R', `${uid}:${gid}`, join(home, '.ssh'), state])

    // -tt: a terminal session, so the proxy records it as an asciicast.
    const [command, args] = asUser('ssh', ['-tt', '-o', 'BatchMode=yes', 'web-1', 'echo ok'])
    const ssh = await execa(command, [...args], {cwd: home, env: {HOME: home, SSH_AUTH_SOCK: socket()}, reject: false, stdin: 'ignore', timeout: 30_000})
    expect(ssh.stdout.trim(), ssh.stderr).toBe('ok')
    expect(ssh.exitCode, ssh.stderr).toBe(0)

    const audit = await proxy.audit()
    expect(audit.find((e) => e.event === 'login.success')).toMatchObject({method: 'password+totp', principals: [account], roles: ['dev'], ttlCapped: true, ttlSeconds: 8 * 3600, user: account})
    expect(audit.some((e) => e.event === 'exec' && e.command === 'echo ok' && e.user === account && e.login === account)).toBe(true)
    const start = audit.find((e) => e.event === 'session.start' && e.user === account)
    expect(start?.recording).toBeTruthy()
    expect(readFileSync(join(admin, 'recordings', String(start!.recording)), 'utf8')).toContain('ok')
  })

  it('refuses a wrong password, a wrong code, a replayed code and an unknown user with the same message, and audits each reason', async () => {
    // A code of the next step (accepted: one step of drift) so it is newer than the one used above.
    const next = await code(Math.floor(Date.now() / 1000) + 30)
    const good = await asAccount(['login', '--no-agent'], {FLEETCTL_PASSWORD: PASSWORD, FLEETCTL_TOTP: next})
    expect(good.exitCode, good.stderr).toBe(0)

    const attempts = [
      asAccount(['login', '--no-agent'], {FLEETCTL_PASSWORD: 'wrong horse battery staple', FLEETCTL_TOTP: next}),
      asAccount(['login', '--no-agent'], {FLEETCTL_PASSWORD: PASSWORD, FLEETCTL_TOTP: String((Number(next) + 1) % 1_000_000).padStart(6, '0')}),
      asAccount(['login', '--no-agent'], {FLEETCTL_PASSWORD: PASSWORD, FLEETCTL_TOTP: next}),
      asAccount(['login', '--no-agent', '--user', `${account}x`], {FLEETCTL_PASSWORD: PASSWORD, FLEETCTL_TOTP: next}),
    ]
    for (const attempt of attempts) {
      const result = await attempt
      expect(result.exitCode).toBe(5)
      expect(result.stderr).toContain(REFUSED)
      expect(result.stderr).not.toMatch(/unknown|no such user|replay|password is wrong/i)
    }

    const failures = (await proxy.audit()).filter((e) => e.event === 'login.failure').map((e) => `${e.user} ${e.reason}`)
    expect(failures).toEqual(expect.arrayContaining([`${account} bad_password`, `${account} totp_invalid`, `${account} totp_replayed`, `${account}x unknown_user`]))
  })

  it('a CI bot logs in with its registered key (no TTY, CI=true) and runs ssh through the proxy; an unregistered key is refused', async () => {
    const dir = tmp.dir('bot')
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ci')])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')])
    expect((await fleetctl(['roles', 'add', '--name', 'deploy', '--logins', 'root', '--hosts', 'web-*', '--max-ttl', '1h', '--no-permit-pty'], {home: admin})).exitCode).toBe(0)
    const added = await fleetctl(['users', 'add', 'ci-bot', '--roles', 'deploy', '--ssh-key', readFileSync(join(dir, 'ci.pub'), 'utf8'), '--web-addr', `127.0.0.1:${proxy.webPort}`, '--json'], {home: admin})
    expect(added.exitCode, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout)).not.toHaveProperty('token')

    const botState = join(dir, 'state')
    const asBot = (key: string, json: string[] = []) =>
      fleetctl(['login', '--proxy', `127.0.0.1:${proxy.webPort}`, '--user', 'ci-bot', '--identity', join(dir, key), '--tls-fingerprint', pin, '--no-agent', ...json], {env: {CI: 'true', HOME: dir}, home: botState})
    const login = await asBot('ci', ['--json'])
    expect(login.exitCode, login.stderr).toBe(0)
    expect(JSON.parse(login.stdout)).toMatchObject({principals: ['root'], roles: ['deploy'], ttlCapped: false, ttlSeconds: 3600, user: 'ci-bot'})

    bots = await startAgent(dir)
    await bots.add(join(botState, 'keys', 'ci-bot'))
    const config = writeClientConfig(tmp.dir('bot-client'), admin, {hostKeyAlias: false, hostPort: host.port, proxyPort: proxy.port})
    const ssh = await execa('ssh', ['-F', config, 'web1', 'echo bot-ok'], {env: {SSH_AUTH_SOCK: bots.socket}, reject: false, stdin: 'ignore', timeout: 30_000})
    expect(ssh.stdout, ssh.stderr).toBe('bot-ok')

    const other = await asBot('other')
    expect(other.exitCode, other.stderr).toBe(5)
    expect(other.stderr).toContain(REFUSED)
    const audit = await proxy.audit()
    expect(audit.some((e) => e.event === 'login.success' && e.user === 'ci-bot' && e.method === 'ssh-key')).toBe(true)
    expect(audit.some((e) => e.event === 'login.failure' && e.user === 'ci-bot' && e.reason === 'bad_signature')).toBe(true)
    expect(audit.some((e) => e.event === 'exec' && e.user === 'ci-bot' && e.command === 'echo bot-ok')).toBe(true)
  })

  it('keeps secrets out of output and logs, and at rest 0600', async () => {
    const shown = await fleetctl(['users', 'show', account, '--json'], {home: admin})
    const listed = await fleetctl(['users', 'ls', '--json'], {home: admin})
    const texts = [shown.stdout, listed.stdout, readFileSync(join(admin, 'audit.log'), 'utf8'), proxy.output()]
    const stored = JSON.parse(readFileSync(join(admin, 'identity', 'users', `${account}.json`), 'utf8')) as {password: {hash: string; salt: string}}
    for (const text of texts) {
      for (const secret of [PASSWORD, totpSecret, stored.password.hash, stored.password.salt, token.split('.')[1]]) expect(text).not.toContain(secret)
    }
    for (const folder of ['users', 'roles']) {
      expect(statSync(join(admin, 'identity', folder)).mode & 0o777).toBe(0o700)
      for (const file of readdirSync(join(admin, 'identity', folder))) expect(statSync(join(admin, 'identity', folder, file)).mode & 0o777).toBe(0o600)
    }
  })

  it('locks a name out after 20 failed attempts: then even the right password and code are refused, and audited', async () => {
    const attempt = () =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({password: 'not the password at all', publicKey: readFileSync(join(tmp.path, 'bot', 'ci.pub'), 'utf8'), totp: '000000', user: account})
        // The test's own client: the proxy's self-signed certificate is not what is under test here.
        const req = request({host: '127.0.0.1', method: 'POST', path: '/webapi/identity/login', port: proxy.webPort, rejectUnauthorized: false}, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end(body)
      })
    // The refusals above already counted 3 failures for this name: the 17th attempt here is the 20th.
    const statuses: number[] = []
    for (let i = 0; i < 18; i++) statuses.push(await attempt())
    expect(statuses).toEqual([...Array.from({length: 17}, () => 401), 429])

    const locked = await asAccount(['login', '--no-agent'], {FLEETCTL_PASSWORD: PASSWORD, FLEETCTL_TOTP: await code(Math.floor(Date.now() / 1000) + 30)})
    expect(locked.exitCode).toBe(5)
    expect(locked.stderr).toMatch(/too many failed attempts/)
    const audit = await proxy.audit()
    expect(audit.filter((e) => e.event === 'login.failure' && e.user === account && e.reason === 'bad_password')).toHaveLength(18)
    expect(audit.some((e) => e.event === 'login.failure' && e.user === account && e.reason === 'locked_out')).toBe(true)
  })
})
