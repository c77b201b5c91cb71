/**
 * The proxy's process lifecycle with real signals: SIGKILL mid-session leaves a playable
 * recording; SIGTERM drains (refuses new connections, lets a running session finish, cuts the
 * ones still running at the end of the grace period) and closes every connection, idle ones
 * included, then exits; a second signal exits at once.
 */
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {listRecordings} from '../../src/recording/index.js'
import {FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {startDaemon} from '../helpers/processes.js'
import {asciinemaCat, fleetUser, runClient, runPtySession, type RunningProxy, startFleetHost, startProxy, writeClientConfig} from '../helpers/proxy.js'
import type {Sshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

describe('proxy lifecycle', () => {
  const tmp = tmpDir('fleetctl-proxy-lifecycle-')
  const home = join(tmp.path, 'home')
  const stops: (() => Promise<void>)[] = []
  let sshd: Sshd
  let agent: Agent
  let bootstrap: RunningProxy
  const dir = tmp.dir

  beforeAll(async () => {
    // The first start creates the CAs the host and user certificates come from.
    bootstrap = await startProxy(home)
    stops.push(() => bootstrap.stop())
    sshd = await startFleetHost(dir('host'), home)
    stops.push(() => sshd.stop())
    agent = await startAgent(dir('agent'))
    stops.push(() => agent.stop())
    await agent.add(await fleetUser(dir('user'), home, 'dave'))
  })

  /** A proxy config file with this shutdown grace period. */
  const graceConfig = (seconds: number) => {
    const path = join(dir('config'), `grace-${seconds}.yaml`)
    writeFileSync(path, `proxy:\n  shutdown_grace_seconds: ${seconds}\n`)
    return path
  }

  /** Starts an interactive session that prints a marker, then waits; resolves once the marker showed, with the running session. */
  const sessionShowing = async (proxy: RunningProxy, name: string) => {
    const config = writeClientConfig(dir(`client-${name}`), home, {hostPort: sshd.port, proxyPort: proxy.port})
    const flag = join(tmp.path, `${name}-typed`)
    const session = runPtySession(
      config,
      ['-tt', 'web1'],
      [{send: `echo ${name}-$((40+2))-marker\n`}, {expect: `${name}-42-marker`}, {touch: flag}, {sleep: 60}],
      agent.socket,
    )
    const deadline = Date.now() + 30_000
    while (!existsSync(flag) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(existsSync(flag)).toBe(true)
    return {session}
  }

  /** The recording (in the folder these tests share) that holds `text`, and its session id. */
  const recordingShowing = async (proxy: RunningProxy, text: string) => {
    const cast = (await proxy.recordings()).find((path) => readFileSync(path, 'utf8').includes(text))
    expect(cast).toBeDefined()
    const header = JSON.parse(readFileSync(cast!, 'utf8').split('\n')[0]!) as {fleetctl: {session: string}}
    return {cast: cast!, session: header.fleetctl.session}
  }

  const exited = (proxy: RunningProxy) =>
    new Promise<null | number>((resolve) => {
      if (proxy.child.exitCode !== null) resolve(proxy.child.exitCode)
      else proxy.child.once('exit', (code) => resolve(code))
    })

  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()))
    tmp.remove()
  })

  it('starts the way the README runs it (./bin/run.js, through its #! line), with the collector on the main thread', async () => {
    const daemon = await startDaemon(FLEETCTL_BIN, ['proxy', 'start', '--listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'], {
      env: {...process.env, FLEETCTL_HOME: home, NO_COLOR: '1'},
      ready: (output) => output.includes('"event":"proxy.listening"'),
      what: './bin/run.js proxy start',
    })
    try {
      // env -S execs node in place: the proxy's own command line carries the flag.
      const argv = readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8').split('\0')
      expect(argv[0]).toMatch(/node$/)
      expect(argv).toContain('--single-threaded-gc')
      expect(daemon.output()).toContain('"single_threaded_gc":true')
    } finally {
      await daemon.stop()
    }
  })

  it('SIGKILL during an interactive session leaves a recording asciinema reads, up to about a second before', async () => {
    const proxy = await startProxy(home)
    stops.push(() => proxy.stop())
    const config = writeClientConfig(dir('client-kill'), home, {hostPort: sshd.port, proxyPort: proxy.port})
    const flag = join(tmp.path, 'typed')
    const session = runPtySession(
      config,
      ['-tt', 'web1'],
      [{send: 'echo before-$((40+2))-kill\n'}, {expect: 'before-42-kill'}, {sleep: 1.5}, {touch: flag}, {sleep: 10}],
      agent.socket,
    )
    const deadline = Date.now() + 30_000
    while (!existsSync(flag) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(existsSync(flag)).toBe(true)
    const [cast] = await proxy.recordings()
    proxy.child.kill('SIGKILL')
    const result = await session
    expect(result.transcript).toContain('before-42-kill')
    expect(result.exitCode).not.toBe(0)

    const played = await asciinemaCat(cast!)
    expect(played.exitCode, played.stderr).toBe(0)
    expect(played.stdout).toContain('before-42-kill')
    expect(JSON.parse(readFileSync(cast!, 'utf8').split('\n')[0]!)).toMatchObject({version: 2, fleetctl: {user: 'dave'}})
  })

  it('SIGTERM stops accepting, lets the running session finish, then exits 0', async () => {
    const proxy = await startProxy(home)
    stops.push(() => proxy.stop())
    const config = writeClientConfig(dir('client-term'), home, {hostPort: sshd.port, proxyPort: proxy.port})
    const running = runClient('ssh', config, ['web1', 'sleep 2; echo finished'], {agent: agent.socket})
    await proxy.waitFor('session.start')
    proxy.child.kill('SIGTERM')
    await proxy.waitFor('proxy.draining')
    const refused = await runClient('ssh', config, ['web1', 'true'], {agent: agent.socket, timeout: 20_000})
    expect(refused.exitCode).toBe(255)
    expect(await running).toMatchObject({exitCode: 0, stdout: 'finished'})
    const exitCode = await new Promise<null | number>((resolve) => {
      if (proxy.child.exitCode !== null) resolve(proxy.child.exitCode)
      else proxy.child.once('exit', (code) => resolve(code))
    })
    expect(exitCode).toBe(0)
    expect(proxy.events().some((e) => e.event === 'proxy.stopped' && e.sessions_cut === false)).toBe(true)
  })

  it('at the end of the grace period, SIGTERM cuts the sessions still running (saying why), closes their recordings and audit lines, and exits 0', async () => {
    const proxy = await startProxy(home, ['--config', graceConfig(1)])
    stops.push(() => proxy.stop())
    const {session} = await sessionShowing(proxy, 'cut')
    proxy.child.kill('SIGTERM')
    const result = await session
    expect(result.exitCode).not.toBe(0)
    expect(result.transcript).toContain('the proxy is shutting down and its 1 s grace period is over; closing this session')
    expect(await exited(proxy)).toBe(0)
    expect(proxy.events().find((e) => e.event === 'proxy.stopped')).toMatchObject({sessions_cut: true})
    expect(proxy.events().some((e) => e.event === 'session.aborted')).toBe(true)

    const {cast, session: id} = await recordingShowing(proxy, 'cut-42-marker')
    expect((await proxy.audit()).find((e) => e.event === 'session.end' && e.session === id)).toMatchObject({
      cut: 'the proxy is shutting down and its 1 s grace period is over',
    })
    const played = await asciinemaCat(cast)
    expect(played.exitCode, played.stderr).toBe(0)
    expect(played.stdout).toContain('cut-42-marker')
  })

  it('a second signal exits at once (code 1) without waiting out the grace period; the recording stays readable', async () => {
    const proxy = await startProxy(home, ['--config', graceConfig(600)])
    stops.push(() => proxy.stop())
    const {session} = await sessionShowing(proxy, 'twice')
    proxy.child.kill('SIGTERM')
    await proxy.waitFor('proxy.draining')
    proxy.child.kill('SIGTERM')
    // 1, not the 0 of a drain: it did not wait for the session (the test would time out first).
    expect(await exited(proxy)).toBe(1)
    expect((await session).exitCode).not.toBe(0)
    const {cast} = await recordingShowing(proxy, 'twice-42-marker')
    const played = await asciinemaCat(cast)
    expect(played.exitCode, played.stderr).toBe(0)
    expect(played.stdout).toContain('twice-42-marker')
  })

  /**
   * SIGTERM with a client connected that runs nothing: the proxy closes its connections (the
   * client is disconnected), writes proxy.stopped to the audit log, and exits 0. Returns how long
   * the exit took after the signal, and the audit's proxy.stopped line.
   */
  const stopWithIdleClient = async (proxy: RunningProxy, client: Promise<{exitCode: number; stderr: string}>) => {
    const signalled = Date.now()
    proxy.child.kill('SIGTERM')
    expect(await exited(proxy)).toBe(0)
    const seconds = (Date.now() - signalled) / 1000
    const result = await client
    expect(result.exitCode, result.stderr).not.toBe(0)
    expect(proxy.events().find((e) => e.event === 'proxy.stopped')).toMatchObject({connections_closed: expect.any(Number)})
    const stopped = (await proxy.audit()).filter((e) => e.event === 'proxy.stopped').at(-1)
    expect(stopped).toMatchObject({session: null, user: null})
    return {seconds, stopped: stopped!}
  }

  it('SIGTERM with an idle `ssh -N` to the proxy disconnects it and exits, long before a 600 s grace period', async () => {
    const proxy = await startProxy(home, ['--config', graceConfig(600)])
    stops.push(() => proxy.stop())
    const config = writeClientConfig(dir('client-idle-outer'), home, {hostPort: sshd.port, proxyPort: proxy.port})
    const client = runClient('ssh', config, ['-N', 'proxy'], {agent: agent.socket, timeout: 60_000})
    await proxy.waitFor('connection.authenticated')
    const {seconds, stopped} = await stopWithIdleClient(proxy, client)
    // Nothing to drain: no waiting for the grace period (generous bound for a loaded machine).
    expect(seconds).toBeLessThan(30)
    expect(stopped.connectionsClosed).toBe(1)
    expect(proxy.events().find((e) => e.event === 'proxy.stopped')).toMatchObject({sessions_cut: false})
  })

  it('SIGTERM with a jump channel open and no session on it (`ssh -N` through the proxy) closes the inner and host connections and exits', async () => {
    const proxy = await startProxy(home, ['--config', graceConfig(600)])
    stops.push(() => proxy.stop())
    const config = writeClientConfig(dir('client-idle-jump'), home, {hostPort: sshd.port, proxyPort: proxy.port})
    const client = runClient('ssh', config, ['-N', 'web1'], {agent: agent.socket, timeout: 60_000})
    await proxy.waitFor('inner.authenticated')
    const {seconds, stopped} = await stopWithIdleClient(proxy, client)
    expect(seconds).toBeLessThan(30)
    // The jump connection and the inner connection on it.
    expect(stopped.connectionsClosed).toBe(2)
  })

  it('SIGTERM with an interactive session where nothing was typed cuts it at the end of the grace period, closes its recording and exits', async () => {
    const grace = 2
    const proxy = await startProxy(home, ['--config', graceConfig(grace)])
    stops.push(() => proxy.stop())
    const config = writeClientConfig(dir('client-idle-pty'), home, {hostPort: sshd.port, proxyPort: proxy.port})
    const session = runPtySession(config, ['-tt', 'web1'], [{sleep: 60}], agent.socket)
    const started = await proxy.waitFor('session.start')
    const {seconds} = await stopWithIdleClient(
      proxy,
      session.then((result) => ({exitCode: result.exitCode ?? -1, stderr: result.transcript})),
    )
    // Within the grace period and a bounded close (generous bound for a loaded machine).
    expect(seconds).toBeLessThan(grace + 10)
    expect((await session).transcript).toContain(`the proxy is shutting down and its ${grace} s grace period is over; closing this session`)

    const audit = await proxy.audit()
    expect(audit.find((e) => e.event === 'session.end' && e.session === started.session)).toMatchObject({cut: expect.stringContaining('grace period is over')})
    expect(audit.at(-1)).toMatchObject({event: 'proxy.stopped', sessionsCut: 1})
    // The recording is complete: its index has the end line, and asciinema reads it.
    const entry = (await listRecordings(join(home, 'recordings'))).find((e) => e.session === started.session)
    expect(entry).toMatchObject({end: expect.any(String), file: `${String(started.session)}.cast`})
    const played = await asciinemaCat(join(home, 'recordings', entry!.file!))
    expect(played.exitCode, played.stderr).toBe(0)
  })
})
