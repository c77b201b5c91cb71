/**
 * Fail closed on recording: a proxy whose recordings cannot be written does not start, a running
 * proxy that loses its recordings folder refuses new sessions with a clear message, and a session
 * whose recording stops being written (a full disk) is ended, saying why, and audited as such.
 */
import {mkdirSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Agent} from '../helpers/agent.js'
import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {type ProxyFleet, runClient, type RunningProxy, startProxyFleet} from '../helpers/proxy.js'
import {tmpDir} from '../helpers/tmp.js'

describe('the proxy fails closed when recordings cannot be written', () => {
  const tmp = tmpDir('fleetctl-proxy-fail-closed-')
  const home = join(tmp.path, 'home')
  let fleet: ProxyFleet
  let proxy: RunningProxy
  let agent: Agent
  let config: string
  const dir = tmp.dir

  beforeAll(async () => {
    fleet = await startProxyFleet(dir, home, 'alice')
    ;({agent, config, proxy} = fleet)
  })

  afterAll(async () => {
    await fleet?.stop()
    tmp.remove()
  })

  it('records normally first', async () => {
    const ok = await runClient('ssh', config, ['-tt', 'web1', 'echo recorded'], {agent: agent.socket})
    expect(ok.stdout).toContain('recorded')
    expect(ok.exitCode).toBe(0)
  })

  it('refuses a new session, saying why, when its recording cannot be created', async () => {
    // Root ignores file modes, so take the folder away and put a file in its place.
    renameSync(join(home, 'recordings'), join(home, 'recordings.moved'))
    writeFileSync(join(home, 'recordings'), 'not a folder\n')
    const refused = await runClient('ssh', config, ['-tt', 'web1', 'echo should-not-run'], {agent: agent.socket})
    expect(refused.stdout).not.toContain('should-not-run')
    expect(refused.exitCode).toBe(255)
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/refusing the session: its recording cannot be written/)
    await proxy.waitFor('recording.failed')
  })

  it('does not start at all when the recordings folder cannot be made', async () => {
    const broken = join(tmp.path, 'broken-home')
    expect((await fleetctl(['ca', 'init'], {home: broken})).exitCode).toBe(0)
    writeFileSync(join(broken, 'recordings'), 'not a folder\n')
    const result = await execa(process.execPath, [FLEETCTL_BIN, 'proxy', 'start', '--listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'], {
      env: {FLEETCTL_HOME: broken},
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    })
    expect(result.exitCode).not.toBe(0)
    expect(`${result.stdout}${result.stderr}`).toMatch(/recording/)
    expect(`${result.stdout}${result.stderr}`).not.toContain('"event":"proxy.listening"')
  })
})

describe('a session whose recording stops being written is ended', () => {
  const tmp = tmpDir('fleetctl-proxy-disk-full-')
  const home = join(tmp.path, 'home')
  const recordings = join(home, 'recordings')
  let fleet: ProxyFleet | undefined
  let mounted = false

  beforeAll(async () => {
    expect((await fleetctl(['ca', 'init'], {home})).exitCode).toBe(0)
    // A disk that fills up: a small tmpfs as the recordings folder (the tests run as root).
    mkdirSync(recordings, {recursive: true})
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', recordings])
    mounted = true
    fleet = await startProxyFleet(tmp.dir, home, 'erin')
  })

  afterAll(async () => {
    await fleet?.stop()
    if (mounted) await execa('umount', ['-l', recordings], {reject: false})
    tmp.remove()
  })

  it('when the disk fills up mid-session: the user is told why, the session ends, and session.end carries the error', async () => {
    const {agent, config, proxy} = fleet!
    const result = await runClient('ssh', config, ['-tt', 'web1', 'yes recorded-line; echo finished-$((40+2))'], {agent: agent.socket})
    const output = `${result.stdout}${result.stderr}`
    expect(output).toMatch(/fleetctl proxy: ending the session: its recording can no longer be written/)
    expect(output).not.toContain('finished-42')
    expect(result.exitCode).not.toBe(0)
    await proxy.waitFor('recording.failed')
    const end = (await proxy.audit()).find((e) => e.event === 'session.end' && e.user === 'erin')
    expect(end?.recordingError).toMatch(/^writing the recording .*\.cast failed: the disk is full$/)
  })
})

