import {createHash, randomBytes} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, afterEach, describe, expect, it, vi} from 'vitest'

import type {FleetError} from '../../../src/base/errors.js'
import {AppendFile} from '../../../src/recording/append-file.js'
import {parseCast, type SessionMetadata} from '../../../src/recording/asciicast.js'
import {type IndexEnd, readIndex} from '../../../src/recording/index-file.js'
import {FlushScheduler, PtyRecorder, type RecordingSink, StreamRecorder} from '../../../src/recording/recorder.js'
import {listRecordings, RecordingStore} from '../../../src/recording/store.js'
import {tmpDir} from '../../helpers/tmp.js'

const tmp = tmpDir()
afterAll(() => tmp.remove())
afterEach(() => {
  vi.useRealTimers()
})

let counter = 0
const session = (overrides: Partial<SessionMetadata> = {}): SessionMetadata => ({
  client: '192.0.2.10:51234',
  host: 'web1.example.com',
  keyId: 'alice@example.com',
  login: 'deploy',
  session: `s-${++counter}`,
  user: 'alice',
  ...overrides,
})
const terminal = {cols: 80, rows: 24, term: 'xterm-256color'}
const failOnError = {onError: (error: FleetError) => expect.fail(error.message)}

/** A sink that remembers each append as one piece, and can be told to fail. */
function memorySink(failAt = Infinity) {
  const appends: string[] = []
  const sink: RecordingSink & {appends: string[]; synced: number} = {
    appends,
    async append(chunks: Buffer[]) {
      if (appends.length + 1 >= failAt) throw Object.assign(new Error('no space'), {code: 'ENOSPC'})
      appends.push(Buffer.concat(chunks).toString('utf8'))
    },
    async close() {},
    path: '/recordings/memory.cast',
    async sync() {
      sink.synced++
    },
    synced: 0,
  }
  return sink
}

describe('PtyRecorder', () => {
  it('hands the kernel whole lines only, at least every flush interval', async () => {
    vi.useFakeTimers()
    const sink = memorySink()
    let ms = 0
    const recorder = new PtyRecorder('s', sink, failOnError, async () => {}, {clock: () => ms, flushIntervalMs: 1000})
    recorder.output(Buffer.from('one'))
    ms = 20
    recorder.output(Buffer.from([0x63, 0x61, 0x66, 0xc3])) // "caf" and half of "é"
    expect(sink.appends).toEqual([])
    await vi.advanceTimersByTimeAsync(1000)
    expect(sink.appends).toEqual(['[0.000000, "o", "one"]\n[0.020000, "o", "caf"]\n'])
    ms = 1500
    recorder.output(Buffer.from([0xa9, 0x21]))
    recorder.resize(100, 30)
    await vi.advanceTimersByTimeAsync(1000)
    expect(sink.appends[1]).toBe('[1.500000, "o", "é!"]\n[1.500000, "r", "100x30"]\n')
    for (const append of sink.appends) expect(append).toMatch(/^(\[[^\n]*\]\n)+$/)
    await recorder.close()
  })

  it('caps the flush interval at one second', async () => {
    vi.useFakeTimers()
    const sink = memorySink()
    const recorder = new PtyRecorder('s', sink, failOnError, async () => {}, {flushIntervalMs: 60_000})
    recorder.output(Buffer.from('x'))
    await vi.advanceTimersByTimeAsync(1000)
    expect(sink.appends).toHaveLength(1)
    await recorder.close()
  })

  it('arms no timer while idle: a flush is scheduled by data and done within the interval', async () => {
    vi.useFakeTimers()
    const sink = memorySink()
    const recorder = new PtyRecorder('s', sink, failOnError, async () => {}, {clock: () => 0, flushIntervalMs: 250})
    expect(vi.getTimerCount()).toBe(0)
    recorder.output(Buffer.from('a'))
    recorder.output(Buffer.from('b'))
    recorder.resize(100, 30)
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(250)
    expect(sink.appends).toEqual(['[0.000000, "o", "ab"]\n[0.000000, "r", "100x30"]\n'])
    // Idle again: nothing left to wake up for.
    expect(vi.getTimerCount()).toBe(0)
    recorder.output(Buffer.from('c'))
    await recorder.flush()
    expect(vi.getTimerCount()).toBe(0)
    await recorder.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('shares one timer among the recorders of a scheduler, each flushed within its interval', async () => {
    vi.useFakeTimers()
    const flushes = new FlushScheduler(250)
    const sinks = [memorySink(), memorySink(), memorySink()]
    const recorders = sinks.map((sink) => new PtyRecorder('s', sink, failOnError, async () => {}, {clock: () => 0, flushes}))
    recorders[0]!.output(Buffer.from('first'))
    await vi.advanceTimersByTimeAsync(200)
    recorders[1]!.output(Buffer.from('second'))
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(50)
    expect(sinks.map((sink) => sink.appends.length)).toEqual([1, 1, 0])
    expect(flushes.armed).toBe(false)
    recorders[2]!.output(Buffer.from('third'))
    await recorders[2]!.close()
    expect(flushes.armed).toBe(false)
    expect(sinks[2]!.appends.join('')).toContain('third')
    for (const recorder of recorders) await recorder.close()
  })

  it('counts input without storing it, and reports the end to the index', async () => {
    const sink = memorySink()
    const ends: unknown[] = []
    const recorder = new PtyRecorder('s', sink, failOnError, async (end) => void ends.push(end))
    recorder.input(Buffer.from('hunter2\r'))
    recorder.output(Buffer.from('Password: '))
    recorder.output(Buffer.from('oops'), 'stderr')
    const summary = await recorder.close({exitStatus: 3})
    expect(sink.appends.join('')).not.toContain('hunter2')
    expect(summary).toMatchObject({bytes: {stderr: 4, stdin: 8, stdout: 10}, exitSignal: null, exitStatus: 3, session: 's'})
    expect(summary.error).toBeUndefined()
    expect(ends).toEqual([summary])
    expect(sink.synced).toBe(1)
    expect(await recorder.close()).toBe(summary)
  })

  it('says when it falls behind, so the proxy can pause the channel', async () => {
    const recorder = new PtyRecorder('s', memorySink(), failOnError, async () => {}, {highWaterMark: 1024})
    expect(recorder.output(Buffer.alloc(512, 0x61))).toBe(true)
    expect(recorder.output(Buffer.alloc(600, 0x61))).toBe(false)
    await recorder.flush()
    expect(recorder.output(Buffer.from('a'))).toBe(true)
    await recorder.close()
  })

  it('reports a failed write once, stops recording and says so in the summary', async () => {
    const sink = memorySink(2)
    const errors: FleetError[] = []
    const ends: IndexEnd[] = []
    const recorder = new PtyRecorder('s', sink, {onError: (error) => errors.push(error)}, async (end) => void ends.push(end), {clock: () => 0})
    recorder.output(Buffer.from('first'))
    await recorder.flush()
    recorder.output(Buffer.from('second'))
    await recorder.flush()
    recorder.output(Buffer.from('third'))
    await recorder.flush()
    expect(errors).toHaveLength(1)
    expect(errors[0].code).toBe('recording_failed')
    expect(errors[0].message).toContain('the disk is full')
    expect(recorder.error).toBe(errors[0])
    const summary = await recorder.close()
    expect(summary.error).toBe(errors[0])
    expect(ends[0].error).toBe(errors[0].message)
    expect(sink.appends).toEqual(['[0.000000, "o", "first"]\n'])
  })
})

describe('StreamRecorder', () => {
  it('hashes and counts each stream, with nothing stored unless raw storage is on', async () => {
    const recorder = new StreamRecorder('s', {}, failOnError, async () => {})
    const data = randomBytes(3 * 1024 * 1024 + 17)
    for (let offset = 0; offset < data.length; offset += 32_768) recorder.write('stdout', data.subarray(offset, offset + 32_768))
    recorder.write('stdin', Buffer.from('ls\n'))
    const summary = await recorder.close({exitStatus: 0})
    expect(summary.bytes).toEqual({stderr: 0, stdin: 3, stdout: data.length})
    expect(summary.sha256).toEqual({
      stderr: createHash('sha256').digest('hex'),
      stdin: createHash('sha256').update('ls\n').digest('hex'),
      stdout: createHash('sha256').update(data).digest('hex'),
    })
  })

  it('stores raw bytes in batches, copied so the caller may reuse its buffer', async () => {
    const sink = {...memorySink(), appends: [] as Buffer[]}
    sink.append = async (chunks: Buffer[]) => void sink.appends.push(Buffer.concat(chunks))
    const recorder = new StreamRecorder('s', {stdout: sink}, failOnError, async () => {})
    const reused = Buffer.alloc(64 * 1024)
    const expected: Buffer[] = []
    for (let i = 0; i < 40; i++) {
      reused.fill(i)
      expected.push(Buffer.from(reused))
      recorder.write('stdout', reused)
    }

    await recorder.close()
    expect(Buffer.concat(sink.appends).equals(Buffer.concat(expected))).toBe(true)
    // 40 chunks of 64 KiB: two full 1 MiB batches and the rest, not 40 writes.
    expect(sink.appends.map((a) => a.length)).toEqual([1024 * 1024, 1024 * 1024, 8 * 64 * 1024])
  })
})

describe('RecordingStore', () => {
  it('writes a recording asciinema reads, and an index entry per session', async () => {
    const dir = join(tmp.path, 'store')
    const store = await RecordingStore.open(dir)
    const meta = session()
    const recorder = await store.startPty(meta, terminal, failOnError)
    // The header is on disk before the session starts.
    expect(readFileSync(recorder.file, 'utf8')).toMatch(/^\{"version":2,.*\}\n$/)
    expect(statSync(recorder.file).mode & 0o777).toBe(0o600)
    recorder.output(Buffer.from('hello\r\n'))
    await recorder.close({exitStatus: 0})
    const cast = parseCast(readFileSync(recorder.file, 'utf8'))
    expect(cast.header.fleetctl).toMatchObject({host: 'web1.example.com', login: 'deploy', session: meta.session, user: 'alice'})
    expect(cast.events.map((e) => e[2])).toEqual(['hello\r\n'])

    const [entry] = await listRecordings(dir)
    expect(entry).toMatchObject({bytes: {stdout: 7}, exitStatus: 0, file: `${meta.session}.cast`, kind: 'pty', session: meta.session, user: 'alice'})
    expect(Date.parse(entry.end!)).toBeGreaterThanOrEqual(Date.parse(entry.start))
    await store.close()
  })

  it('keeps raw streams when asked, named after the session', async () => {
    const dir = join(tmp.path, 'raw')
    const store = await RecordingStore.open(dir)
    const meta = session({command: 'tar cf - /etc'})
    const recorder = await store.startStreams(meta, failOnError, {raw: true})
    const tarball = randomBytes(100_000)
    recorder.write('stdout', tarball)
    recorder.write('stderr', Buffer.from('tar: Removing leading `/\'\n'))
    const summary = await recorder.close({exitStatus: 0})
    expect(readFileSync(join(dir, `${meta.session}.stdout`)).equals(tarball)).toBe(true)
    expect(readFileSync(join(dir, `${meta.session}.stdin`)).length).toBe(0)
    const [entry] = await listRecordings(dir)
    expect(entry).toMatchObject({command: 'tar cf - /etc', file: null, kind: 'streams', sha256: summary.sha256, streams: {stdout: `${meta.session}.stdout`}})
    await store.close()
  })

  it('fails at start when the recordings folder cannot be made (fail closed)', async () => {
    const notADir = join(tmp.path, 'recordings-is-a-file')
    writeFileSync(notADir, '')
    await expect(RecordingStore.open(notADir)).rejects.toMatchObject({code: 'recording_unavailable', message: expect.stringContaining('is a file, not a directory')})
    await expect(RecordingStore.open(join(notADir, 'below'))).rejects.toMatchObject({code: 'recording_unavailable'})
  })

  it('fails at start when the session\'s file cannot be created, and never reuses a file', async () => {
    const dir = join(tmp.path, 'taken')
    const store = await RecordingStore.open(dir)
    const meta = session()
    await (await store.startPty(meta, terminal, failOnError)).close()
    await expect(store.startPty(meta, terminal, failOnError)).rejects.toMatchObject({code: 'recording_unavailable'})
    mkdirSync(join(dir, 'x.cast'))
    await expect(store.startPty(session({session: 'x'}), terminal, failOnError)).rejects.toMatchObject({code: 'recording_unavailable'})
    await store.close()
  })

  it('refuses a session id that could leave the folder', async () => {
    const dir = join(tmp.path, 'guard')
    const store = await RecordingStore.open(dir)
    for (const id of ['../evil', 'a/b', '', '.hidden', 'a\0b']) {
      await expect(store.startPty(session({session: id}), terminal, failOnError)).rejects.toMatchObject({code: 'session_id_invalid'})
      await expect(store.startStreams(session({session: id}), failOnError)).rejects.toMatchObject({code: 'session_id_invalid'})
    }

    expect(readdirSync(dir)).toEqual(['index.jsonl'])
    expect(await readIndex(join(dir, 'index.jsonl'))).toEqual([])
    await store.close()
  })
})

describe('AppendFile', () => {
  it('surfaces a full disk (/dev/full) instead of swallowing it', async () => {
    const file = await AppendFile.open('/dev/full', {exclusive: false})
    await expect(file.append([Buffer.from('x\n')])).rejects.toMatchObject({code: 'ENOSPC'})
    // Later appends fail too: a recording with a hole in it is not a recording.
    await expect(file.append([Buffer.from('y\n')])).rejects.toMatchObject({code: 'ENOSPC'})
    await file.close().catch(() => {})
  })

  it('appends in call order', async () => {
    const path = join(tmp.path, 'order')
    const file = await AppendFile.open(path)
    await Promise.all(Array.from({length: 100}, (_, i) => file.append([Buffer.from(`${i}\n`)])))
    await file.close()
    expect(readFileSync(path, 'utf8')).toBe(Array.from({length: 100}, (_, i) => `${i}\n`).join(''))
  })
})
