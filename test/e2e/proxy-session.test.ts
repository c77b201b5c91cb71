/**
 * `fleetctl proxy start` end to end with real OpenSSH: interactive PTY sessions through `ssh -J`
 * (recorded, played back by asciinema), where the agent comes from, exit codes and streams.
 */
import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import type {Duplex} from 'node:stream'

import {execa} from 'execa'
import * as ssh2 from '../../src/ssh/ssh2.js'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {issueCredentials} from '../../src/ca/credentials.js'
import {parsePublicKey} from '../../src/certs/index.js'
import {CERT_HOST_KEY_ALGORITHMS} from '../../src/ssh/algorithms.js'
import {certificateTrust, certifiedHostKeys, checkUserCertificate} from '../../src/ssh/index.js'
import {asciinemaCat, fleetUser, HOST_NAME, type ProxyFleet, runClient, runPtySession, type RunningProxy, startProxyFleet, writeClientConfig} from '../helpers/proxy.js'
import {keygen} from '../helpers/ssh-keygen.js'
import {startTestServer} from '../helpers/ssh2-server.js'
import type {Sshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

describe('proxy sessions through ssh -J', () => {
  const tmp = tmpDir('fleetctl-proxy-session-')
  const home = join(tmp.path, 'home')
  let fleet: ProxyFleet
  let proxy: RunningProxy
  let sshd: Sshd
  let agent: Agent
  let config: string
  const dir = tmp.dir

  beforeAll(async () => {
    fleet = await startProxyFleet(dir, home, 'alice')
    ;({agent, config, proxy, sshd} = fleet)
  })

  afterAll(async () => {
    await fleet?.stop()
    tmp.remove()
  })

  it('creates the CAs on first start and says where', () => {
    const created = proxy.events().find((e) => e.event === 'ca.created')
    expect(created?.host_ca).toBe(join(home, 'ca', 'host_ca'))
    expect(proxy.events().find((e) => e.event === 'proxy.listening')).toMatchObject({native_crypto: true, checks_host_keys: true})
  })

  it('runs an interactive PTY session: type, read, resize, exit with a code; the recording plays with asciinema', async () => {
    const before = new Set(await proxy.recordings())
    const session = await runPtySession(
      config,
      ['-tt', 'web1'],
      [
        {send: 'stty size; echo ready-$((6*7))\n'},
        {expect: 'ready-42'},
        {expect: '24 80'},
        {resize: [100, 40]},
        {sleep: 0.3},
        {send: 'stty size\n'},
        {expect: '40 100'},
        {send: 'exit 3\n'},
      ],
      agent.socket,
    )
    expect(session.failed, session.transcript).toBeNull()
    expect(session.exitCode, session.transcript).toBe(3)

    const recordings = (await proxy.recordings()).filter((path) => !before.has(path))
    expect(recordings).toHaveLength(1)
    const lines = readFileSync(recordings[0]!, 'utf8').trim().split('\n')
    const header = JSON.parse(lines[0]!)
    expect(header).toMatchObject({version: 2, width: 80, height: 24, env: {TERM: 'xterm'}, fleetctl: {user: 'alice', login: 'root', host: '127.0.0.1'}})
    const events = lines.slice(1).map((line) => JSON.parse(line) as [number, string, string])
    expect(events.some(([, type, data]) => type === 'r' && data === '100x40')).toBe(true)
    const output = events.filter(([, type]) => type === 'o').map(([, , data]) => data).join('')
    expect(output).toContain('ready-42')
    expect(output).toContain('40 100')

    const played = await asciinemaCat(recordings[0]!)
    expect(played.exitCode, played.stderr).toBe(0)
    expect(played.stdout).toContain('ready-42')

    const audit = await proxy.audit()
    const start = audit.find((e) => e.event === 'session.start' && (e.pty as {cols?: number} | null)?.cols === 80)
    expect(start).toMatchObject({kind: 'shell', user: 'alice', login: 'root'})
    expect(audit.find((e) => e.event === 'session.end' && e.session === start!.session)).toMatchObject({exitStatus: 3})
  })

  it('records a PTY requested without a size (ssh -tt with no terminal, as in CI) at the 80x24 the session gets, and asciinema reads it', async () => {
    const before = new Set(await proxy.recordings())
    // stdin is not a terminal: ssh -tt sends a pty-req of 0 columns and 0 rows.
    const result = await runClient('ssh', config, ['-tt', 'web1', 'stty size; echo sized-$((6*7))'], {agent: agent.socket})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain('24 80')
    const [cast] = (await proxy.recordings()).filter((path) => !before.has(path))
    const header = JSON.parse(readFileSync(cast!, 'utf8').split('\n')[0]!)
    expect(header).toMatchObject({version: 2, width: 80, height: 24})
    const played = await asciinemaCat(cast!)
    expect(played.exitCode, played.stderr).toBe(0)
    expect(played.stdout).toContain('sized-42')
    const start = (await proxy.audit()).find((e) => e.event === 'session.start' && e.recording === basename(cast!))
    expect(start).toMatchObject({pty: {cols: 80, rows: 24}})
  })

  it('does not wake up for an idle PTY session (no per-session timers while nothing is typed)', async () => {
    // schedstat's third field counts the times the thread was scheduled: each wake-up is one.
    const wakeUps = () => Number(readFileSync(`/proc/${proxy.pid}/task/${proxy.pid}/schedstat`, 'utf8').split(' ')[2])
    const sessions = proxy.events().filter((e) => e.event === 'session.start').length
    const session = runPtySession(
      config,
      ['-tt', 'web1'],
      [{send: 'echo idle-$((6*7))\n'}, {expect: 'idle-42'}, {sleep: 5}, {send: 'exit 0\n'}],
      agent.socket,
    )
    await proxy.waitFor('session.start', () => proxy.events().filter((e) => e.event === 'session.start').length > sessions)
    // Past the echo and the first recording flush, then three quiet seconds.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const before = wakeUps()
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const woken = wakeUps() - before
    const result = await session
    expect(result.failed, result.transcript).toBeNull()
    // A recording's flush timer armed for life woke the proxy 4 times a second (12 here), and
    // prom-client's event-loop monitor 100 times a second (~300); allow for a few stray wake-ups
    // (garbage collections V8 schedules after activity: up to 5 seen with other suites running).
    expect(woken).toBeLessThan(8)
  })

  it('takes the agent from the inner connection when ForwardAgent is on for the target only', async () => {
    const inner = writeClientConfig(dir('client-inner'), home, {forwardAgentToHost: true, forwardAgentToProxy: false, hostPort: sshd.port, proxyPort: proxy.port})
    const result = await runClient('ssh', inner, ['web1', 'echo via-inner'], {agent: agent.socket})
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: 'via-inner'})
    await proxy.waitFor('upstream.authenticated', (e) => e.agent === 'inner')
  })

  it('without a forwarded agent says which ssh_config line to add, and does not hang', async () => {
    const none = writeClientConfig(dir('client-none'), home, {forwardAgentToProxy: false, hostPort: sshd.port, proxyPort: proxy.port})
    const result = await runClient('ssh', none, ['web1', 'echo never'], {agent: agent.socket, timeout: 30_000})
    expect(result.exitCode).toBe(255)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('no ssh agent reachable to log in to root@127.0.0.1: add "ForwardAgent yes" for the proxy host in ~/.ssh/config (or run ssh -A)')
    expect((await proxy.audit()).some((e) => e.event === 'agent.missing')).toBe(true)
  })

  it('returns the exit code, keeps stdout and stderr apart, and runs an exec whose stdin is /dev/null', async () => {
    expect((await runClient('ssh', config, ['web1', 'exit 7'], {agent: agent.socket})).exitCode).toBe(7)
    const result = await runClient('ssh', config, ['web1', 'echo to-out; echo to-err >&2; exit 0'], {agent: agent.socket})
    expect(result).toMatchObject({exitCode: 0, stdout: 'to-out', stderr: 'to-err'})
    const piped = await runClient('ssh', config, ['web1', 'wc -c'], {agent: agent.socket, input: 'x'.repeat(1000)})
    expect(piped).toMatchObject({exitCode: 0, stdout: '1000'})
  })

  it('keeps an exit status that the host sends in the same packet batch as its exec reply', async () => {
    // An ssh2 host answering at once: reply, output and exit-status reach the proxy in one read.
    const hostDir = dir('quick-host')
    const key = await keygen(hostDir, 'host_key', 'ed25519')
    await issueCredentials({home, keySpec: {type: 'ed25519'}, publicKeyFile: `${key.path}.pub`, out: key.path, request: {kind: 'host', hosts: [HOST_NAME, '127.0.0.1']}})
    const userTrust = certificateTrust({caKeys: [parsePublicKey(readFileSync(join(home, 'ca', 'user_ca.pub'), 'utf8')).key]})
    const quick = await startTestServer({
      answerAtOnce: (command) => ({code: 9, stdout: `answered ${command}\n`}),
      authorize: (ctx) => {
        const decision = checkUserCertificate(ctx, userTrust, ctx.username)
        return decision.ok ? true : decision.reason
      },
      hostKeys: certifiedHostKeys(readFileSync(key.path), readFileSync(`${key.path}-cert.pub`)),
    })
    try {
      const quickConfig = writeClientConfig(dir('quick-client'), home, {hostPort: quick.port, proxyPort: proxy.port})
      for (let i = 0; i < 5; i++) {
        const result = await runClient('ssh', quickConfig, ['web1', 'hello'], {agent: agent.socket})
        expect(result.stdout, result.stderr).toBe('answered hello')
        expect(result.exitCode).toBe(9)
      }
    } finally {
      await quick.close()
    }
  })

  it('passes a signal request on to the host (from an ssh2 client: OpenSSH\'s ssh cannot send one)', async () => {
    // sshd honours "signal" only under privilege separation, which it skips for root: a real account.
    const account = `fleetsig${randomBytes(3).toString('hex')}`
    await execa('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/sh', account])
    // A locked password field ("!") makes sshd refuse even key logins without PAM; "*" only disables passwords.
    await execa('usermod', ['-p', '*', account])
    const own = await startAgent(dir('agent-signal'))
    // ssh -J, done by hand: a jump connection to the proxy, a direct-tcpip channel, SSH inside it.
    const connect = (config: Record<string, unknown>) =>
      new Promise<InstanceType<typeof ssh2.Client>>((resolve, reject) => {
        const client = new ssh2.Client()
        client.once('ready', () => resolve(client)).once('error', reject)
        const options = {username: account, agent: own.socket, agentForward: true, hostVerifier: () => true, readyTimeout: 20_000}
        client.connect({...options, algorithms: {serverHostKey: CERT_HOST_KEY_ALGORITHMS}, ...config} as never)
      })
    try {
      await own.add(await fleetUser(dir('user-signal'), home, 'carol', {principals: [account]}))
      const outer = await connect({host: '127.0.0.1', port: proxy.port})
      try {
        const tunnel = await new Promise<Duplex>((resolve, reject) =>
          outer.forwardOut('127.0.0.1', 0, '127.0.0.1', sshd.port, (err, stream) => (err ? reject(err) : resolve(stream))),
        )
        const inner = await connect({sock: tunnel})
        const exit = await new Promise<unknown[]>((resolve, reject) => {
          inner.exec('echo started; exec sleep 30', {agentForward: true} as never, (err, channel) => {
            if (err) return reject(err)
            channel.on('exit', (...args: unknown[]) => resolve(args))
            channel.on('data', (data: Buffer) => {
              if (data.toString().includes('started')) channel.signal('TERM')
            })
            channel.stderr.resume()
          })
        })
        inner.end()
        // ssh2 reports an exit signal as (null, 'SIG<name>', core dumped, message).
        expect(exit.slice(0, 2)).toEqual([null, 'SIGTERM'])
        const audit = await proxy.audit()
        expect(audit.find((e) => e.event === 'session.end' && e.login === account)).toMatchObject({user: 'carol', exitSignal: 'SIGTERM'})
      } finally {
        outer.end()
      }
    } finally {
      await own.stop()
      await execa('userdel', [account], {reject: false})
    }
  })

  it('accepts the subsystem form: ssh -A -p <port> proxy -s proxy:host:port', async () => {
    const result = await runClient('ssh', config, ['web1s', 'echo via-subsystem; exit 4'], {agent: agent.socket})
    expect(result.stdout, result.stderr).toBe('via-subsystem')
    expect(result.exitCode).toBe(4)
    await proxy.waitFor('jump.open', (e) => e.via === 'subsystem')
  })
})
