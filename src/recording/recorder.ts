import {performance} from 'node:perf_hooks'

import type {FleetError} from '../base/errors.js'
import type {AppendFile} from './append-file.js'
import {AsciicastEncoder, type EncoderOptions} from './asciicast.js'
import {digestError, recordingError} from './errors.js'
import type {IndexEnd, StreamCounts, StreamDigests} from './index-file.js'
import {STREAM_NAMES, type StreamName} from './paths.js'
import {type Sha256Stream, sha256Stream} from './sha256-thread.js'

/** Where a recorder's bytes go; an AppendFile in production, anything in tests. */
export type RecordingSink = Pick<AppendFile, 'append' | 'close' | 'path' | 'sync'>

export interface RecorderHooks {
  /**
   * Called once when a write fails after the start (disk full, file removed from under us):
   * the recording has stopped, so the proxy must end the session. Later data is dropped.
   */
  onError: (error: FleetError) => void
}

export interface RecorderOptions {
  /** Milliseconds on a monotonic clock; injectable for tests. */
  clock?: () => number
  /** How soon buffered data is handed to the kernel; at most 1000 (what a crash may lose). */
  flushIntervalMs?: number
  /** Shares one flush timer with other recorders (then its interval counts, not flushIntervalMs). */
  flushes?: FlushScheduler
  /** Buffered bytes above which `output`/`write` return false: pause the channel, await `writable()`. */
  highWaterMark?: number
}

export interface SessionEnd {
  exitSignal?: null | string
  exitStatus?: null | number
}

export interface RecordingSummary extends Omit<IndexEnd, 'error'> {
  /** Set when the recording failed; the session's data after that point was not recorded. */
  error?: FleetError
}

/** Default for how soon buffered recording data reaches the kernel. */
const FLUSH_INTERVAL_MS = 250

/**
 * Flushes recorders that hold data within one interval of their first unflushed byte, with one
 * timer for all of them, armed only while some recorder has data: an idle session costs no
 * wake-ups (on a virtual machine each wake-up of an idle process costs far more CPU than the
 * flush itself), and a hundred busy ones cost one timer, not a hundred.
 */
export class FlushScheduler {
  private readonly intervalMs: number
  private readonly due = new Set<() => void>()
  private timer: NodeJS.Timeout | undefined

  constructor(intervalMs = FLUSH_INTERVAL_MS) {
    this.intervalMs = Math.min(Math.max(intervalMs, 1), 1000)
  }

  /** Whether the timer is armed (some recorder waits for its flush). */
  get armed(): boolean {
    return this.timer !== undefined
  }

  /** Runs `flush` within the interval: once, however often it is scheduled before then. */
  schedule(flush: () => void): void {
    this.due.add(flush)
    // The proxy's sockets keep the process alive, not a recording.
    this.timer ??= setTimeout(this.run, this.intervalMs).unref()
  }

  cancel(flush: () => void): void {
    this.due.delete(flush)
    if (this.due.size === 0 && this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  private readonly run = (): void => {
    this.timer = undefined
    const due = [...this.due]
    this.due.clear()
    for (const flush of due) flush()
  }
}

/** The flush timing, the fail-once rule and the end-of-session index line both recorders share. */
abstract class Recorder {
  protected readonly clock: () => number
  protected readonly highWaterMark: number
  private closing: Promise<RecordingSummary> | undefined
  private failure: FleetError | undefined
  private inflight = 0
  private readonly startedAt: number
  private readonly flushes: FlushScheduler
  private flushScheduled = false
  private waiting: (() => void)[] = []
  private writes: Promise<void> = Promise.resolve()

  constructor(
    readonly session: string,
    private readonly hooks: RecorderHooks,
    private readonly writeIndexEnd: (end: IndexEnd) => Promise<void>,
    options: RecorderOptions,
  ) {
    this.clock = options.clock ?? (() => performance.now())
    this.highWaterMark = options.highWaterMark ?? 8 * 1024 * 1024
    this.startedAt = this.clock()
    this.flushes = options.flushes ?? new FlushScheduler(options.flushIntervalMs)
  }

  /** The failure that stopped this recording, if any. */
  get error(): FleetError | undefined {
    return this.failure
  }

  /** Milliseconds since the recording started. */
  protected now(): number {
    return this.clock() - this.startedAt
  }

  /** Hands everything buffered to the kernel; resolves once it is written (or the recording failed). */
  flush(): Promise<void> {
    this.unschedule()
    if (!this.failure) this.takeBuffered()
    return this.writes
  }

  /**
   * After `output`/`write` returned false: resolves once the recording has caught up to half its
   * high-water mark, so the channel can resume while writes still run (no stop-and-go).
   */
  writable(): Promise<void> {
    if (this.failure || this.keepingUp()) return Promise.resolve()
    this.takeBuffered()
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  /**
   * Ends the recording: the last data is written, fsynced and closed, and the index gets the
   * session's end. Resolves with the summary; `summary.error` says whether anything was lost.
   */
  close(end: SessionEnd = {}): Promise<RecordingSummary> {
    this.closing ??= this.finish(end)
    return this.closing
  }

  /** Data was buffered: it reaches the kernel within the flush interval. */
  protected buffering(): void {
    if (this.flushScheduled || this.failure || this.closing) return
    this.flushScheduled = true
    this.flushes.schedule(this.scheduledFlush)
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false
    void this.flush()
  }

  private unschedule(): void {
    if (!this.flushScheduled) return
    this.flushScheduled = false
    this.flushes.cancel(this.scheduledFlush)
  }

  protected get failed(): boolean {
    return this.failure !== undefined
  }

  protected get pressure(): number {
    return this.inflight + this.buffered()
  }

  /** Whether the source may go on: below the high-water mark and nothing waits for the hashing thread. */
  protected keepingUp(): boolean {
    return this.pressure < this.highWaterMark && !this.backlogged()
  }

  /** Wakes what waits in `writable()` once the recording is half way down again (no stop-and-go). */
  protected caughtUp(): void {
    if (this.waiting.length > 0 && this.pressure <= this.highWaterMark / 2 && !this.backlogged()) this.wake()
  }

  /** Whether bytes wait for room in the hashing thread's ring. */
  protected backlogged(): boolean {
    return false
  }

  /** Takes whatever is buffered and writes it through `send`. */
  protected abstract takeBuffered(final?: boolean): void
  protected abstract buffered(): number
  protected abstract counts(): StreamCounts
  protected abstract digests(): Promise<StreamDigests | undefined>
  protected abstract sinks(): RecordingSink[]

  /** Queues one write; its failure fails the recording. Resolves when it is done either way. */
  protected send(sink: RecordingSink, chunks: Buffer[], bytes: number): Promise<void> {
    this.inflight += bytes
    const done = sink.append(chunks).then(
      () => {
        this.inflight -= bytes
        this.caughtUp()
      },
      (error: unknown) => this.fail(recordingError('write', sink.path, error)),
    )
    this.writes = Promise.all([this.writes, done]).then(() => {})
    return done
  }

  private wake(): void {
    const waiting = this.waiting
    this.waiting = []
    for (const resolve of waiting) resolve()
  }

  /** Stops the recording, once: later data is dropped and the proxy is told to end the session. */
  protected fail(failure: FleetError): void {
    if (this.failure) return
    this.failure = failure
    this.unschedule()
    this.wake()
    this.hooks.onError(this.failure)
  }

  private async finish(end: SessionEnd): Promise<RecordingSummary> {
    this.unschedule()
    const duration = this.now() / 1000
    if (!this.failure) this.takeBuffered(true)
    await this.writes
    for (const sink of this.sinks()) {
      try {
        if (!this.failure) await sink.sync()
      } catch (error) {
        this.fail(recordingError('write', sink.path, error))
      }

      await sink.close().catch(() => {})
    }

    const summary: Omit<IndexEnd, 'error'> = {
      session: this.session,
      end: new Date().toISOString(),
      duration: Math.round(duration * 1000) / 1000,
      exitStatus: end.exitStatus ?? null,
      exitSignal: end.exitSignal ?? null,
      bytes: this.counts(),
    }
    try {
      const sha256 = await this.digests()
      if (sha256) summary.sha256 = sha256
    } catch (error) {
      this.fail(digestError(error))
    }
    await this.writeIndexEnd(this.failure ? {...summary, error: this.failure.message} : summary)
    return this.failure ? {...summary, error: this.failure} : summary
  }
}

/**
 * Records a session with a terminal as asciicast v2. The proxy calls `output` with every chunk
 * the host sends to the terminal (stdout and stderr alike), `resize` on window-change and
 * `input` with what the user types, which is counted but never stored: keystrokes carry
 * passwords typed at sudo prompts.
 */
export class PtyRecorder extends Recorder {
  private readonly encoder: AsciicastEncoder
  private readonly totals: StreamCounts = {stdin: 0, stdout: 0, stderr: 0}

  constructor(
    session: string,
    private readonly sink: RecordingSink,
    hooks: RecorderHooks,
    writeIndexEnd: (end: IndexEnd) => Promise<void>,
    options: EncoderOptions & RecorderOptions = {},
  ) {
    super(session, hooks, writeIndexEnd, options)
    this.encoder = new AsciicastEncoder(options)
  }

  get file(): string {
    return this.sink.path
  }

  /** Terminal output. Returns false when the recording is behind: pause, then `await writable()`. */
  output(chunk: Buffer, stream: 'stderr' | 'stdout' = 'stdout'): boolean {
    if (this.failed) return true
    this.totals[stream] += chunk.length
    this.encoder.output(chunk, this.now())
    // Bulk output is written in 1 MiB pieces as it comes, not in one lump per flush interval.
    if (this.encoder.bufferedBytes >= BATCH_BYTES) this.takeBuffered()
    this.buffering()
    return this.keepingUp()
  }

  input(chunk: Buffer): void {
    this.totals.stdin += chunk.length
  }

  resize(cols: number, rows: number): void {
    if (this.failed) return
    this.encoder.resize(cols, rows, this.now())
    this.buffering()
  }

  protected takeBuffered(final = false): void {
    const lines = this.encoder.take(final)
    if (lines.length > 0) void this.send(this.sink, [lines], lines.length)
  }

  protected buffered(): number {
    return this.encoder.bufferedBytes
  }

  protected counts(): StreamCounts {
    return {...this.totals}
  }

  protected async digests(): Promise<undefined> {
    return undefined
  }

  protected sinks(): RecordingSink[] {
    return [this.sink]
  }
}

const BATCH_BYTES = 1024 * 1024
/** Written batches kept for reuse: copying into memory already mapped is several times faster. */
const SPARE_BATCHES = 4

/**
 * One stream of a session without a terminal: every byte goes into a sha256 and a count and,
 * with raw storage, into an append-only file. No per-byte encoding: chunks are copied into a
 * 1 MiB batch that is written as one piece, so the caller may reuse its buffers at once.
 */
export class StreamTap {
  bytes = 0
  private batch: Buffer | undefined
  private filled = 0
  private readonly hash: Sha256Stream
  private readonly spare: Buffer[] = []

  constructor(
    readonly stream: StreamName,
    private readonly sink: RecordingSink | undefined,
    private readonly send: (sink: RecordingSink, chunk: Buffer) => Promise<void>,
    /** Called when bytes that waited for the hashing thread have gone to it. */
    onHashed?: () => void,
  ) {
    this.hash = sha256Stream(onHashed)
  }

  get buffered(): number {
    return this.filled
  }

  /** Bytes waiting for room on the hashing thread. */
  get backlog(): number {
    return this.hash.backlog
  }

  update(chunk: Buffer): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    if (!this.sink) return
    let offset = 0
    while (offset < chunk.length) {
      this.batch ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES)
      const copied = chunk.copy(this.batch, this.filled, offset)
      offset += copied
      this.filled += copied
      if (this.filled === BATCH_BYTES) this.drain()
    }
  }

  drain(): void {
    if (!this.sink || this.filled === 0 || !this.batch) return
    const batch = this.batch
    const full = batch.subarray(0, this.filled)
    this.batch = undefined
    this.filled = 0
    void this.send(this.sink, full).then(() => {
      if (this.spare.length < SPARE_BATCHES) this.spare.push(batch)
    })
  }

  /** Ends the stream's hash: its hex digest once every byte is hashed. */
  digest(): Promise<string> {
    return this.hash.digest()
  }
}

/**
 * Records a session without a terminal (exec, sftp, scp, rsync): the proxy calls
 * `write('stdin' | 'stdout' | 'stderr', chunk)` for every chunk in either direction.
 */
export class StreamRecorder extends Recorder {
  readonly taps: Record<StreamName, StreamTap>

  constructor(
    session: string,
    private readonly rawSinks: Partial<Record<StreamName, RecordingSink>>,
    hooks: RecorderHooks,
    writeIndexEnd: (end: IndexEnd) => Promise<void>,
    options: RecorderOptions = {},
  ) {
    super(session, hooks, writeIndexEnd, options)
    const send = (sink: RecordingSink, chunk: Buffer) => this.send(sink, [chunk], chunk.length)
    const hashed = () => this.caughtUp()
    this.taps = {
      stdin: new StreamTap('stdin', rawSinks.stdin, send, hashed),
      stdout: new StreamTap('stdout', rawSinks.stdout, send, hashed),
      stderr: new StreamTap('stderr', rawSinks.stderr, send, hashed),
    }
  }

  /** Returns false when raw storage is behind: pause the channel, then `await writable()`. */
  write(stream: StreamName, chunk: Buffer): boolean {
    if (this.failed) return true
    try {
      const tap = this.taps[stream]
      tap.update(chunk)
      if (tap.buffered > 0) this.buffering()
    } catch (error) {
      // The hashing thread is gone: the audit would lack the digest, so the recording has failed.
      this.fail(digestError(error))
      return true
    }
    return this.keepingUp()
  }

  protected override backlogged(): boolean {
    return this.taps.stdin.backlog + this.taps.stdout.backlog + this.taps.stderr.backlog > 0
  }

  protected takeBuffered(): void {
    for (const name of STREAM_NAMES) this.taps[name].drain()
  }

  protected buffered(): number {
    return this.taps.stdin.buffered + this.taps.stdout.buffered + this.taps.stderr.buffered
  }

  protected counts(): StreamCounts {
    return {stdin: this.taps.stdin.bytes, stdout: this.taps.stdout.bytes, stderr: this.taps.stderr.bytes}
  }

  protected async digests(): Promise<StreamDigests> {
    const [stdin, stdout, stderr] = await Promise.all([this.taps.stdin.digest(), this.taps.stdout.digest(), this.taps.stderr.digest()])
    return {stdin, stdout, stderr}
  }

  protected sinks(): RecordingSink[] {
    return STREAM_NAMES.flatMap((name) => (this.rawSinks[name] ? [this.rawSinks[name]] : []))
  }
}
