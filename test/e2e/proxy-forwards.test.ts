/**
 * What the proxy bridges beyond plain sessions, with real OpenSSH on both sides: `ssh -L` port
 * forwards from the inner connection (allowed or refused by the certificate), `-R` (refused),
 * exit-signal (the client sees what it sees against sshd directly) and the break request.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {connect, createServer, type Server} from 'node:net'
import {randomBytes} from 'node:crypto'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {freePort} from '../helpers/processes.js'
import {fleetUser, runClient, runPtySession, type RunningProxy, startFleetHost, startProxy, writeClientConfig} from '../helpers/proxy.js'
import type {Sshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

interface SshProcess {
  child: ChildProcess
  stderr(): string
  /** Stop it by its PID and wait for it to exit. */
  stop(): Promise<void>
}

/** A long-running ssh (a forward with -N): the test stops it by PID. */
function spawnSsh(config: string, args: string[], agent: string): SshProcess {
  const child = spawn('ssh', ['-F', config, ...args], {env: {SSH_AUTH_SOCK: agent, HOME: process.env.HOME}, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/**
 * Send `bytes` to 127.0.0.1:port, half-close, and return everything read until the other side
 * closes, and whether it closed with a reset (what ssh does to a local connection whose channel was refused).
 */
function roundTrip(port: number, bytes: Buffer): Promise<{received: Buffer; reset: boolean}> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let reset = false
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes))
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.once('error', () => (reset = true))
    socket.once('close', () => resolve({received: Buffer.concat(chunks), reset}))
  })
}

describe('port forwards and channel requests through the proxy', () => {
  const tmp = tmpDir('fleetctl-proxy-forwards-')
  const home = join(tmp.path, 'home')
  const clients: SshProcess[] = []
  let proxy: RunningProxy
  let sshd: Sshd
  let agent: Agent
  let noForwardAgent: Agent
  let echo: Server
  let echoPort: number
  let config: string
  const dir = tmp.dir

  beforeAll(async () => {
    echo = createServer((socket) => {
      socket.on('error', () => {})
      socket.pipe(socket)
    })
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    echoPort = (echo.address() as {port: number}).port
    proxy = await startProxy(home)
    // DEBUG1 makes sshd log every channel request it gets ("session_input_channel_req: ... req break").
    sshd = await startFleetHost(dir('host'), home, 'fleet', ['-o', 'LogLevel=DEBUG1'])
    agent = await startAgent(dir('agent'))
    await agent.add(await fleetUser(dir('user'), home, 'alice'))
    noForwardAgent = await startAgent(dir('agent-nofwd'))
    await noForwardAgent.add(await fleetUser(dir('user-nofwd'), home, 'bob', {extensions: {'permit-pty': ''}}))
    config = writeClientConfig(dir('client'), home, {hostPort: sshd.port, proxyPort: proxy.port})
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()))
    await Promise.all([proxy?.stop(), sshd?.stop(), agent?.stop(), noForwardAgent?.stop()])
    await new Promise((resolve) => echo?.close(resolve))
    tmp.remove()
  })

  it('ssh -L through the proxy carries bytes exactly when the certificate permits port forwarding', async () => {
    const localPort = await freePort()
    const ssh = spawnSsh(config, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${localPort}:127.0.0.1:${echoPort}`, 'web1'], agent.socket)
    clients.push(ssh)
    await until(() => ssh.child.exitCode !== null || accepts(localPort), 'the local forward to listen')
    expect(ssh.child.exitCode, ssh.stderr()).toBeNull()

    const payload = randomBytes(3 * 1024 * 1024)
    const [first, second] = await Promise.all([roundTrip(localPort, payload), roundTrip(localPort, Buffer.from('hello\n'))])
    expect(first.reset).toBe(false)
    expect(first.received.length, `received ${first.received.length} of ${payload.length}; first difference at ${first.received.findIndex((b, i) => b !== payload[i])}`).toBe(payload.length)
    expect(first.received.equals(payload)).toBe(true)
    expect(second.received.toString()).toBe('hello\n')
    await ssh.stop()

    // Two round trips plus the probe that waited for the listener: each opened one forward.
    const forwards = (await proxy.audit()).filter((e) => e.event === 'port.forward' && e.user === 'alice')
    expect(forwards.length).toBeGreaterThanOrEqual(2)
    for (const forward of forwards) expect(forward).toMatchObject({allowed: true, direction: 'local', destHost: '127.0.0.1', destPort: echoPort, login: 'root'})
  })

  it('refuses ssh -L without permit-port-forwarding: the forward fails, ssh says so, the audit says allowed false', async () => {
    const localPort = await freePort()
    const ssh = spawnSsh(config, ['-N', '-L', `${localPort}:127.0.0.1:${echoPort}`, 'web1'], noForwardAgent.socket)
    clients.push(ssh)
    await until(() => ssh.child.exitCode !== null || accepts(localPort), 'the local forward to listen')
    await proxy.waitFor('inner.authenticated', (e) => e.key_id === 'bob')

    const {received} = await roundTrip(localPort, Buffer.from('must not arrive\n'))
    expect(received.length).toBe(0)
    await until(() => ssh.stderr().includes('open failed'), 'ssh to report the refused channel')
    expect(ssh.stderr()).toContain('open failed: administratively prohibited: port forwarding is not permitted by your certificate (no permit-port-forwarding)')
    await ssh.stop()

    const refused = (await proxy.audit()).filter((e) => e.event === 'port.forward' && e.user === 'bob')
    expect(refused.length).toBeGreaterThanOrEqual(1)
    for (const forward of refused) expect(forward).toMatchObject({allowed: false, destPort: echoPort, reason: 'the certificate has no permit-port-forwarding'})
  })

  it('refuses ssh -R (remote forwards are not bridged) and ssh reports it', async () => {
    const remotePort = await freePort()
    const result = await runClient('ssh', config, ['-o', 'ExitOnForwardFailure=yes', '-R', `${remotePort}:127.0.0.1:${echoPort}`, 'web1', 'echo never'], {agent: agent.socket})
    expect(result.exitCode).toBe(255)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`remote port forwarding failed for listen port ${remotePort}`)
    expect(await accepts(remotePort)).toBe(false)
    const refused = (await proxy.audit()).filter((e) => e.event === 'port.forward' && e.direction === 'remote')
    expect(refused).toEqual([expect.objectContaining({allowed: false, user: 'alice', destPort: remotePort, reason: 'remote forwards (ssh -R) are not supported through the proxy'})])
  })

  it.each([
    ['kill -TERM $$', 'TERM'],
    ['kill -KILL $$', 'KILL'],
  ])('passes exit-signal through as sshd sends it: `%s`', async (command, signal) => {
    // Without an exit-status ssh exits 255 whether or not exit-signal came: -v shows the request itself.
    const requests = (stderr: string) => stderr.split(/\r?\n/).filter((line) => /rtype exit-(signal|status)/.test(line))
    const direct = await runClient('ssh', config, ['-v', '-o', 'ProxyJump=none', 'web1', command], {agent: agent.socket})
    const proxied = await runClient('ssh', config, ['-v', 'web1', command], {agent: agent.socket})
    expect(direct.exitCode).toBe(255)
    expect(requests(direct.stderr)).toEqual(['debug1: client_input_channel_req: channel 0 rtype exit-signal reply 0'])
    expect({exitCode: proxied.exitCode, stdout: proxied.stdout, requests: requests(proxied.stderr)}).toEqual({exitCode: 255, stdout: direct.stdout, requests: requests(direct.stderr)})

    const audit = await proxy.audit()
    const start = audit.filter((e) => e.event === 'exec' && e.command === command).at(-1)
    expect(audit.find((e) => e.event === 'session.end' && e.session === start?.session)).toMatchObject({exitStatus: null, exitSignal: expect.stringContaining(signal)})
  })

  it('passes a break (~B) through to the host and keeps the session', async () => {
    const breaksBefore = sshd.output().split('req break').length
    const session = await runPtySession(
      config,
      ['-tt', 'web1'],
      [{send: 'echo one-$((1+1))\n'}, {expect: 'one-2'}, {send: '~B'}, {sleep: 0.5}, {send: 'echo two-$((2+2))\n'}, {expect: 'two-4'}, {send: 'exit 5\n'}],
      agent.socket,
    )
    expect(session.failed, session.transcript).toBeNull()
    expect(session.exitCode, session.transcript).toBe(5)
    // sshd logs each channel request at DEBUG1: the break reached it.
    expect(sshd.output().split('req break').length - breaksBefore, sshd.output()).toBe(1)
  })
})
