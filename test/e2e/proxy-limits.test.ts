/**
 * The proxy's limits from its config file (`proxy.limits`), against real OpenSSH: MaxStartups-like
 * early drop of unauthenticated connections (and its metric), the login grace timeout, and the
 * caps on sessions per connection (ssh multiplexing) and per user, with the message users see.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {fleetUser, runClient, type RunningProxy, startFleetHost, startProxy, writeClientConfig} from '../helpers/proxy.js'
import type {Sshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A TCP connection that never starts the SSH handshake: admitted when the proxy sends its banner, dropped when it closes first. */
function rawConnection(port: number): Promise<{admitted: boolean; socket: Socket}> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    socket.once('data', () => resolve({admitted: true, socket}))
    socket.once('close', () => resolve({admitted: false, socket}))
  })
}

/** One sample of the proxy's Prometheus text, read with curl as an operator would. */
async function metric(proxy: RunningProxy, name: string): Promise<number> {
  const {stdout} = await execa('curl', ['-ksS', `https://127.0.0.1:${proxy.webPort}/metrics`])
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `))
  if (!line) throw new Error(`no ${name} in /metrics:\n${stdout}`)
  return Number(line.split(' ')[1])
}

const sessionStarts = (proxy: RunningProxy) => proxy.events().filter((e) => e.event === 'session.start').length

describe('proxy limits from the config file', () => {
  const tmp = tmpDir('fleetctl-proxy-limits-')
  const home = join(tmp.path, 'home')
  const sockets: Socket[] = []
  const children: ChildProcess[] = []
  let startups: RunningProxy
  let sessions: RunningProxy
  let sshd: Sshd
  let agent: Agent
  const dir = tmp.dir
  const proxyConfig = (name: string, limits: string[]) => {
    const path = join(dir('config'), `${name}.yaml`)
    writeFileSync(path, ['proxy:', '  limits:', ...limits.map((line) => `    ${line}`), ''].join('\n'))
    return path
  }

  beforeAll(async () => {
    startups = await startProxy(home, ['--config', proxyConfig('startups', ['max_startups: "3:30:6"'])])
    sessions = await startProxy(home, [
      '--config',
      proxyConfig('sessions', ['login_grace_seconds: 2', 'max_sessions_per_connection: 2', 'max_sessions_per_user: 3']),
    ])
    sshd = await startFleetHost(dir('host'), home)
    agent = await startAgent(dir('agent'))
    await agent.add(await fleetUser(dir('user'), home, 'alice'))
  })

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }),
    )
    await Promise.all([startups?.stop(), sessions?.stop(), sshd?.stop(), agent?.stop()])
    tmp.remove()
  })

  it('drops unauthenticated connections past max_startups, counts them in /metrics, and admits a login once they close', async () => {
    const config = writeClientConfig(dir('client-startups'), home, {hostPort: sshd.port, proxyPort: startups.port})
    const droppedBefore = await metric(startups, 'fleetctl_proxy_connections_dropped_total')
    const outcomes: boolean[] = []
    for (let i = 0; i < 40; i++) {
      const {admitted, socket} = await rawConnection(startups.port)
      sockets.push(socket)
      outcomes.push(admitted)
    }
    // Below start (3) every connection is admitted; past full (6) every one is dropped.
    expect(outcomes.slice(0, 3)).toEqual([true, true, true])
    expect(outcomes.filter(Boolean)).toHaveLength(6)
    expect(outcomes.slice(outcomes.lastIndexOf(true) + 1).every((admitted) => !admitted)).toBe(true)
    const dropped = outcomes.filter((admitted) => !admitted).length
    expect(await metric(startups, 'fleetctl_proxy_connections_dropped_total')).toBe(droppedBefore + dropped)
    expect(startups.events().filter((e) => e.event === 'connection.dropped' && e.reason === 'max_startups')).toHaveLength(dropped)

    const refused = await runClient('ssh', config, ['web1', 'echo never'], {agent: agent.socket})
    expect(refused.exitCode).toBe(255)
    expect(refused.stdout).toBe('')

    for (const socket of sockets.splice(0)) socket.destroy()
    await until(async () => (await metric(startups, 'fleetctl_proxy_connections_active')) === 0, 'the proxy to see the connections close')
    const result = await runClient('ssh', config, ['web1', 'echo admitted-again'], {agent: agent.socket})
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: 'admitted-again'})
  })

  it.each([
    ['sends nothing', ''],
    ['sends its identification line and stalls', 'SSH-2.0-stalled\r\n'],
  ])('closes a connection that %s after login_grace_seconds', async (_what, greeting) => {
    const expiredBefore = sessions.events().filter((e) => e.event === 'login.grace_expired').length
    const opened = Date.now()
    const {admitted, socket} = await rawConnection(sessions.port)
    sockets.push(socket)
    expect(admitted).toBe(true)
    if (greeting) socket.write(greeting)
    await new Promise((resolve) => (socket.closed ? resolve(undefined) : socket.once('close', resolve)))
    const seconds = (Date.now() - opened) / 1000
    expect(seconds).toBeGreaterThanOrEqual(1.9)
    expect(seconds).toBeLessThan(6)
    expect(sessions.events().filter((e) => e.event === 'login.grace_expired' && e.seconds === 2)).toHaveLength(expiredBefore + 1)
  })

  it('refuses a session past max_sessions_per_connection on a multiplexed connection, with a clear message', async () => {
    const config = writeClientConfig(dir('client-mux'), home, {hostPort: sshd.port, proxyPort: sessions.port})
    const control = join(dir('mux'), 'control.sock')
    const master = spawn('ssh', ['-F', config, '-N', '-o', 'ControlMaster=yes', '-o', `ControlPath=${control}`, 'web1'], {
      env: {SSH_AUTH_SOCK: agent.socket, HOME: process.env.HOME},
      stdio: 'ignore',
    })
    children.push(master)
    const mux = ['-o', 'ControlMaster=no', '-o', `ControlPath=${control}`]
    await until(async () => (await runClient('ssh', config, [...mux, '-O', 'check', 'web1'])).exitCode === 0, 'the ssh control master')

    const before = sessionStarts(sessions)
    const running = [1, 2].map((n) => runClient('ssh', config, [...mux, 'web1', `sleep 2; echo done-${n}`], {agent: agent.socket}))
    await until(() => sessionStarts(sessions) === before + 2, 'two multiplexed sessions to start')
    const third = await runClient('ssh', config, [...mux, 'web1', 'echo third'], {agent: agent.socket})
    expect(third.exitCode).toBe(255)
    expect(third.stdout).toBe('')
    expect(third.stderr).toContain('fleetctl proxy: too many sessions on this connection (at most 2)')
    expect((await Promise.all(running)).map((r) => [r.exitCode, r.stdout])).toEqual([
      [0, 'done-1'],
      [0, 'done-2'],
    ])
    // A slot freed: the connection serves a session again.
    expect(await runClient('ssh', config, [...mux, 'web1', 'echo again'], {agent: agent.socket})).toMatchObject({exitCode: 0, stdout: 'again'})
  })

  it('refuses a session past max_sessions_per_user across connections, with a clear message', async () => {
    const config = writeClientConfig(dir('client-user'), home, {hostPort: sshd.port, proxyPort: sessions.port})
    const before = sessionStarts(sessions)
    const running = [1, 2, 3].map((n) => runClient('ssh', config, ['web1', `sleep 2; echo done-${n}`], {agent: agent.socket}))
    await until(() => sessionStarts(sessions) === before + 3, 'three sessions to start')
    const fourth = await runClient('ssh', config, ['web1', 'echo fourth'], {agent: agent.socket})
    expect(fourth.exitCode).toBe(255)
    expect(fourth.stdout).toBe('')
    expect(fourth.stderr).toContain('fleetctl proxy: too many sessions for alice (at most 3)')
    expect((await Promise.all(running)).map((r) => r.exitCode)).toEqual([0, 0, 0])
    expect(await runClient('ssh', config, ['web1', 'echo again'], {agent: agent.socket})).toMatchObject({exitCode: 0, stdout: 'again'})
  })
})
