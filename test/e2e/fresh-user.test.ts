/**
 * The engineer's path, end to end with real OpenSSH: a fresh user account with an empty home runs
 * `fleetctl login` and `fleetctl gen-ssh-config --write` once; from then on plain `ssh web-1 cmd`
 * goes through the recording proxy, and the session shows up in the proxy's audit log.
 *
 * ssh reads ~/.ssh/config from the account's passwd entry, not from $HOME, so the test makes a
 * real account (CI runs as root) and runs ssh and ssh-agent as that account.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {type Daemon, startDaemon} from '../helpers/processes.js'
import {type RunningProxy, startProxy} from '../helpers/proxy.js'
import {type Sshd, startSshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

describe('a fresh user: login, gen-ssh-config --write, then plain ssh through the proxy', () => {
  const tmp = tmpDir('fleetctl-fresh-user-')
  const account = `fleet${randomBytes(3).toString('hex')}`
  const home = join(tmp.path, 'home')
  const state = join(home, '.fleetctl')
  let uid = 0
  let gid = 0
  let proxy: RunningProxy
  let host: Sshd
  let agent: Daemon

  /** Runs a program as the test account, with its own HOME. */
  const asUser = (command: string, args: string[]) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', command, ...args]] as const

  beforeAll(async () => {
    mkdirSync(home, {mode: 0o755, recursive: true})
    chmodSync(tmp.path, 0o755)
    await execa('useradd', ['-M', '-d', home, '-s', '/bin/sh', account])
    // A locked password field ("!") makes sshd refuse even key logins without PAM; "*" only disables passwords.
    await execa('usermod', ['-p', '*', account])
    uid = Number((await execa('id', ['-u', account])).stdout)
    gid = Number((await execa('id', ['-g', account])).stdout)
    await execa('chown', [`${uid}:${gid}`, home])

    // The proxy on this machine's default state (~/.fleetctl of the user), as the README runs it.
    proxy = await startProxy(state, ['--public-addr', '127.0.0.1'])

    // web-1: a real sshd that trusts the fleet user CA and presents a fleet host certificate.
    const hostDir = join(tmp.path, 'web-1')
    mkdirSync(hostDir)
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(hostDir, 'host_key')])
    expect((await fleetctl(['auth', 'sign', '--host=web-1,127.0.0.1', `--public-key=${join(hostDir, 'host_key.pub')}`], {home: state})).exitCode).toBe(0)
    await execa('bash', ['-c', `node ${FLEETCTL_BIN} ca export --type user | sed s/cert-authority\\ // > ${join(hostDir, 'user_ca.pub')}`], {env: {FLEETCTL_HOME: state}})
    host = await startSshd({dir: hostDir, hostCertificates: [join(hostDir, 'host_key-cert.pub')], hostKeys: [join(hostDir, 'host_key')], trustedUserCAKeys: join(hostDir, 'user_ca.pub')})

    // The user's own agent (ssh-agent only serves its own uid and root).
    const agentDir = join(tmp.path, 'agent')
    mkdirSync(agentDir)
    await execa('chown', [`${uid}:${gid}`, agentDir])
    const socket = join(agentDir, 'agent.sock')
    const [command, args] = asUser('ssh-agent', ['-D', '-a', socket])
    agent = await startDaemon(command, [...args], {ready: () => existsSync(socket), what: 'ssh-agent'})
    await new Promise((resolve) => setTimeout(resolve, 200))

    // The user's existing ~/.ssh/config knows web-1 by name.
    mkdirSync(join(home, '.ssh'), {mode: 0o700})
    writeFileSync(join(home, '.ssh', 'config'), `Host web-1\n    HostName 127.0.0.1\n    Port ${host.port}\n`, {mode: 0o600})
  })

  afterAll(async () => {
    await Promise.all([proxy?.stop(), host?.stop(), agent?.stop()])
    await execa('userdel', [account], {reject: false})
    tmp.remove()
  })

  it('ssh web-1 prints ok, and the session is in the proxy audit log', async () => {
    const socket = join(tmp.path, 'agent', 'agent.sock')
    const env = {HOME: home, SSH_AUTH_SOCK: socket}
    const login = await fleetctl(['login', '--user', account, '--ttl', '10m'], {env, home: state})
    expect(login.exitCode, login.stderr).toBe(0)
    const gen = await fleetctl(['gen-ssh-config', '--write', '--proxy', `127.0.0.1:${proxy.port}`, '--hosts', 'web-*'], {env, home: state})
    expect(gen.exitCode, gen.stderr).toBe(0)
    await execa('chown', ['-R', `${uid}:${gid}`, join(home, '.ssh'), state])

    const [command, args] = asUser('ssh', ['-o', 'BatchMode=yes', 'web-1', 'echo ok'])
    const ssh = await execa(command, [...args], {cwd: home, env, reject: false, stdin: 'ignore', timeout: 30_000})
    expect(ssh.stderr).not.toMatch(/Permission denied|Host key verification failed/)
    expect(ssh.stdout, ssh.stderr).toBe('ok')
    expect(ssh.exitCode, ssh.stderr).toBe(0)

    const [gCommand, gArgs] = asUser('ssh', ['-G', 'web-1'])
    const effective = (await execa(gCommand, [...gArgs], {env, stdin: 'ignore'})).stdout
    expect(effective).toMatch(/^proxyjump \[?127\.0\.0\.1\]?(:\d+)?$/m)
    expect(effective).toMatch(/^forwardagent yes$/m)

    const audit = await proxy.audit()
    expect(audit.some((e) => e.event === 'exec' && e.command === 'echo ok' && e.login === account)).toBe(true)
    expect(audit.some((e) => e.event === 'session.end' && e.login === account)).toBe(true)
    expect(readFileSync(join(home, '.ssh', 'config'), 'utf8')).toMatch(/^# BEGIN fleetctl[\s\S]*# END fleetctl\n\nHost web-1\n/)
  })
})
