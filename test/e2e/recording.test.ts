import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseCast, RecordingStore, type SessionMetadata} from '../../src/recording/index.js'
import {statePaths} from '../../src/state/home.js'
import {fleetctl} from '../helpers/fleetctl.js'
import {castFile, EXAMPLE_OUTPUT, EXAMPLE_SESSION, seedRecordings} from '../helpers/recordings.js'
import {tmpDir} from '../helpers/tmp.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PTY_WRITER = fileURLToPath(new URL('../fixtures/pty-writer.ts', import.meta.url))

/**
 * The real `asciinema cat`. It insists on a terminal (it opens /dev/tty), so it runs under
 * `script`; it puts that terminal in raw mode, so its bytes arrive untranslated.
 */
async function asciinemaCat(path: string): Promise<{exitCode: number; stdout: Buffer}> {
  const result = await execa('script', ['-qec', `asciinema cat '${path}'`, '/dev/null'], {encoding: 'buffer', reject: false, stdin: 'ignore', stripFinalNewline: false, timeout: 30_000})
  return {exitCode: result.exitCode ?? -1, stdout: Buffer.from(result.stdout)}
}

const tmp = tmpDir()
afterAll(() => tmp.remove())

const meta = (session: string): SessionMetadata => ({client: '192.0.2.10:51234', host: 'web1.example.com', keyId: 'alice@example.com', login: 'deploy', session, user: 'alice'})
const failOnError = {onError: (error: Error) => expect.fail(error.message)}

describe('recordings asciinema reads', () => {
  it('plays back byte for byte in asciinema cat, split UTF-8, bad bytes and resizes included', async () => {
    const dir = join(tmp.path, 'asciinema')
    const store = await RecordingStore.open(dir)
    const recorder = await store.startPty(meta('utf8-session'), {cols: 80, rows: 24, shell: '/bin/bash', term: 'xterm-256color'}, failOnError)
    const bytes = Buffer.concat([
      Buffer.from('\u001b[1;32mdeploy@web1\u001b[0m:~$ ls\r\n'),
      Buffer.from('café ✓ 𝄞 日本語\r\n'),
      Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x3a, 0x20, 0xc3, 0x28, 0x0d, 0x0a]),
      Buffer.from('tab\there "quotes" \\backslash\\ \u0007bell\r\n'),
    ])
    // Cut at every third byte, so most multi-byte sequences straddle two chunks.
    for (let i = 0; i < bytes.length; i += 3) {
      recorder.output(bytes.subarray(i, i + 3))
      if (i === 30) recorder.resize(132, 43)
      if (i % 15 === 0) await new Promise((resolve) => setTimeout(resolve, 7))
    }

    await recorder.close({exitStatus: 0})
    await store.close()
    const expected = Buffer.from(new TextDecoder().decode(bytes))
    const {exitCode, stdout} = await asciinemaCat(recorder.file)
    expect(exitCode).toBe(0)
    expect(stdout.toString('utf8')).toBe(expected.toString('utf8'))
    expect(stdout.equals(expected)).toBe(true)
    expect(parseCast(readFileSync(recorder.file, 'utf8')).events.some(([, code, data]) => code === 'r' && data === '132x43')).toBe(true)
  })

  it('loses at most about the last second when the writer is SIGKILLed', async () => {
    const dir = join(tmp.path, 'crash')
    // node itself with tsx's loader, not the tsx wrapper: SIGKILL must hit the writer, not a parent of it.
    const child = spawn(process.execPath, ['--import', 'tsx', PTY_WRITER, dir, 'crash-session'], {cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit']})
    const reported: {at: number; n: number}[] = []
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) reported.push({at: Date.now(), n: Number(line)})
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    while (reported.length === 0 || Date.now() - reported[0].at < 2500) await new Promise((resolve) => setTimeout(resolve, 50))
    const killedAt = Date.now()
    child.kill('SIGKILL')
    await exited

    const path = join(dir, 'crash-session.cast')
    const text = readFileSync(path, 'utf8')
    const mustHave = reported.filter((r) => r.at <= killedAt - 1100).at(-1)!.n
    const cast = parseCast(text)
    const written = cast.events.map(([, , data]) => data).join('')
    expect(written).toContain(`line ${mustHave} café\r\n`)
    // Nothing is lost in the middle: every line up to the last one written is there, in order.
    const lines = written.split('\r\n').filter(Boolean)
    expect(lines).toEqual(lines.map((_, i) => `line ${i + 1} café`))
    expect(text.endsWith('\n')).toBe(true)

    const {exitCode, stdout} = await asciinemaCat(path)
    expect(exitCode).toBe(0)
    expect(stdout.toString('utf8')).toBe(written)
  })

  it('refuses to start a recording where none can be written (fail closed)', async () => {
    const home = join(tmp.path, 'closed')
    await seedRecordings(home)
    const recordings = statePaths(join(tmp.path, 'file-home')).recordings
    writeFileSync(join(tmp.path, 'file-home'), 'not a directory')
    await expect(RecordingStore.open(recordings)).rejects.toMatchObject({code: 'recording_unavailable', message: expect.stringMatching(/cannot start the recording .*not a directory/)})
    const flat = join(tmp.path, 'recordings-file')
    writeFileSync(flat, '')
    await expect(RecordingStore.open(flat)).rejects.toMatchObject({code: 'recording_unavailable'})
    expect(readFileSync(flat, 'utf8')).toBe('')
  })
})

describe('the recordings and audit commands', () => {
  const home = join(tmp.path, 'cli')
  beforeAll(async () => {
    await seedRecordings(home)
  })

  it('lists sessions, as a table and as JSON', async () => {
    const table = await fleetctl(['recordings', 'ls'], {home})
    expect(table.exitCode, table.stderr).toBe(0)
    expect(table.stdout).toMatch(new RegExp(`^${EXAMPLE_SESSION} .* alice .* alice@web1\\.example\\.com +terminal +0 +`, 'm'))
    expect(table.stdout).toMatch(/scp -t \/tmp\/report\.csv/)

    const json = await fleetctl(['recordings', 'ls', '--json', '--user', 'alice', '--since', '1h'], {home})
    const {recordings} = JSON.parse(json.stdout)
    expect(recordings).toHaveLength(2)
    expect(recordings[1]).toMatchObject({bytes: {stdin: 26, stdout: 3}, kind: 'streams', sha256: {stdout: expect.stringMatching(/^[0-9a-f]{64}$/)}})
    expect(JSON.parse((await fleetctl(['recordings', 'ls', '--json', '--host', 'db1'], {home})).stdout).recordings).toEqual([])
  })

  it('plays a session back, at once with --cat and with timing otherwise', async () => {
    const cat = await fleetctl(['recordings', 'play', EXAMPLE_SESSION, '--cat'], {home})
    expect(cat.exitCode, cat.stderr).toBe(0)
    expect(cat.stdout).toBe(EXAMPLE_OUTPUT.join('').trimEnd())
    const started = Date.now()
    const timed = await fleetctl(['recordings', 'play', EXAMPLE_SESSION, '--speed', '2', '--idle-time-limit', '0'], {home, stripFinalNewline: false})
    expect(timed.stdout).toBe(EXAMPLE_OUTPUT.join(''))
    // The fixture spans 2.34 s; at twice the speed that is more than a second.
    expect(Date.now() - started).toBeGreaterThan(1100)
  })

  it('exports the .cast file byte for byte, which asciinema cat reads', async () => {
    const out = join(tmp.path, 'exported.cast')
    const result = await fleetctl(['recordings', 'export', EXAMPLE_SESSION, '--out', out], {home})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(readFileSync(out).equals(readFileSync(castFile(home)))).toBe(true)
    expect((await fleetctl(['recordings', 'export', EXAMPLE_SESSION, '--out', out], {home})).exitCode).toBe(4)

    const piped = await execa('node', [fileURLToPath(new URL('../../bin/run.js', import.meta.url)), 'recordings', 'export', EXAMPLE_SESSION], {encoding: 'buffer', env: {FLEETCTL_HOME: home}, stripFinalNewline: false})
    expect(Buffer.from(piped.stdout).equals(readFileSync(castFile(home)))).toBe(true)
    const {exitCode, stdout} = await asciinemaCat(out)
    expect(exitCode).toBe(0)
    expect(stdout.toString('utf8')).toBe(EXAMPLE_OUTPUT.join(''))
  })

  it('says what to do about a session it does not have', async () => {
    const missing = await fleetctl(['recordings', 'play', 'no-such-session'], {home})
    expect(missing.exitCode).toBe(3)
    expect(missing.stderr).toContain('fleetctl recordings ls')
    expect((await fleetctl(['recordings', 'export', '../../etc/passwd'], {home})).exitCode).toBe(2)
    const exec = await fleetctl(['recordings', 'play', '0b8e4d21-5c3a-4e7f-8a90-1d2c3b4a5e6f'], {home})
    expect(exec.exitCode).toBe(3)
    expect(exec.stderr).toMatch(/had no terminal/)
  })

  it('queries the audit log', async () => {
    const all = await fleetctl(['audit'], {home})
    expect(all.exitCode, all.stderr).toBe(0)
    expect(all.stdout.split('\n')).toHaveLength(5)
    expect(all.stdout).toMatch(/auth\.failure +mallory root@- session=conn-5f1e .*reason="certificate expired"/)

    const sessions = JSON.parse((await fleetctl(['audit', '--event', 'session', '--user', 'alice', '--since', '1h', '--json'], {home})).stdout)
    expect(sessions.events.map((e: {event: string}) => e.event)).toEqual(['session.start', 'session.end', 'session.end'])
    const one = JSON.parse((await fleetctl(['audit', '--session', EXAMPLE_SESSION, '--json'], {home})).stdout)
    expect(one.events).toHaveLength(2)
    expect(one.events[1]).toMatchObject({bytes: {stdout: 182}, client: '192.0.2.10:51234', event: 'session.end', exitStatus: 0, host: 'web1.example.com', login: 'alice', user: 'alice'})
    expect((await fleetctl(['audit', '--event', 'nonsense'], {home})).exitCode).toBe(2)
  })

  it('reports an empty state directory as empty, not as an error', async () => {
    const empty = join(tmp.path, 'empty')
    expect(await fleetctl(['recordings', 'ls'], {home: empty})).toMatchObject({exitCode: 0, stdout: 'No recorded sessions match.'})
    expect(await fleetctl(['audit'], {home: empty})).toMatchObject({exitCode: 0, stdout: 'No audit events match.'})
  })
})
