import {basename} from 'node:path'

import type {ProxyServices} from './context.js'
import type {Logger} from './log.js'
import type {TimedConnection} from './metrics.js'
import type {SessionEnd, SessionInfo, StreamRecording, TerminalRecording} from './recording.js'
import type {Tap} from './streams.js'

/** How the host's session ended: an exit status, or a signal. */
export interface SessionExit {
  code?: number
  signal?: string
  coreDumped?: boolean
  description?: string
}

/** The recording's taps on the three streams, chosen once per session: nothing is decided per chunk. */
export interface SessionTaps {
  stdin: Tap
  stdout: Tap
  stderr: Tap
}

/**
 * Everything the proxy keeps about one session: its recording (asciicast for a PTY, counts and
 * hashes otherwise) and its audit and log lines (start, exec/subsystem, end), with the facts the
 * end line needs (exit, bytes, why the proxy cut it, why the recording failed). Fail closed: it
 * cannot be opened without its recording, and a recording that fails later calls `onFailed`,
 * whose caller ends the session.
 */
export class SessionRecord {
  readonly log: Logger
  readonly taps: SessionTaps
  /** How the host's session ended, once it said so. */
  exit?: SessionExit
  private terminal?: TerminalRecording
  private readonly streams?: StreamRecording
  private readonly terminalBytes = {stdin: 0, stdout: 0, stderr: 0}
  private begun = false
  private recordingError?: string

  private constructor(
    private readonly services: ProxyServices,
    readonly info: SessionInfo,
    log: Logger,
    recording: {streams: StreamRecording} | {terminal: TerminalRecording},
  ) {
    this.log = log
    if ('terminal' in recording) this.terminal = recording.terminal
    else this.streams = recording.streams
    this.taps = this.terminal ? this.terminalTaps(this.terminal) : this.streamTaps(this.streams!)
  }

  /** Start the session's recording; rejects when it cannot be written (the session is then refused). */
  static async open(services: ProxyServices, info: SessionInfo, log: Logger, onFailed: (message: string) => void): Promise<SessionRecord> {
    const {metrics, recorder} = services
    // A failure may be reported before the record exists: it is kept here until then.
    const failure: {record?: SessionRecord; message?: string} = {}
    const failed = (error: Error) => {
      metrics.recordingFailures++
      log.error('recording.failed', {error})
      failure.message ??= error.message
      if (failure.record) failure.record.recordingError ??= error.message
      onFailed(`ending the session: its recording can no longer be written (${error.message}); tell the proxy's operator`)
    }
    const recording = info.pty ? {terminal: await recorder.startTerminal(info, failed)} : {streams: await recorder.startStreams(info, failed)}
    const record = new SessionRecord(services, info, log, recording)
    record.recordingError = failure.message
    failure.record = record
    return record
  }

  private get fields() {
    const {info} = this
    return {session: info.id, user: info.user, login: info.login, host: info.host, client: info.client}
  }

  /**
   * The host's session is open: the session.start line (and exec/subsystem), counted as active;
   * the first on `outer` (the client's connection) times the session setup.
   */
  started(request?: string, outer?: TimedConnection): void {
    const {audit, metrics} = this.services
    const {info} = this
    this.begun = true
    metrics.sessionStarted(info.kind, outer)
    const pty = info.pty ?? null
    audit.write({event: 'session.start', ...this.fields, kind: info.kind, pty, recording: this.terminal ? basename(this.terminal.path) : null})
    if (info.kind === 'exec' || (info.kind === 'shell' && info.command !== undefined)) {
      audit.write({event: 'exec', ...this.fields, command: info.command, pty: pty !== null})
    } else if (info.kind === 'subsystem') {
      audit.write({event: 'subsystem', ...this.fields, name: request})
    }
    this.log.info('session.start', {kind: info.kind, command: info.command, pty: pty !== null})
  }

  /** The host's exit status or signal: ssh2's `exit` event arguments. */
  exited(code: null | number | undefined, signal?: string, coreDumped?: boolean, description?: string): void {
    this.exit = code === null || code === undefined ? {signal, coreDumped, description} : {code}
  }

  resize(cols: number, rows: number): void {
    this.terminal?.resize(cols, rows)
  }

  /**
   * Close the recording and write the session.end line (when the host's session had opened).
   * `cut` is why the proxy ended the session itself (its shutdown), if it did.
   */
  async close(cut?: string): Promise<void> {
    const {audit, metrics} = this.services
    const {exit, log} = this
    if (this.begun) metrics.sessionsActive--
    else metrics.sessionsRefused++
    const end: SessionEnd = {exitStatus: exit?.code, exitSignal: exit?.signal}
    const totals = this.streams ? await this.streams.close(end).catch(() => undefined) : undefined
    const terminal = this.terminal
    this.terminal = undefined
    if (terminal) await terminal.close(end).catch((error) => log.error('recording.close_failed', {error}))
    if (!this.begun) return
    const duration = (Date.now() - this.info.startedAt.getTime()) / 1000
    const {recordingError} = this
    audit.write({
      event: 'session.end',
      ...this.fields,
      duration,
      exitStatus: exit?.code ?? null,
      exitSignal: exit?.signal ?? null,
      ...(cut ? {cut} : {}),
      ...(recordingError ? {recordingError} : {}),
      bytes: totals ? {stdin: totals.stdin.bytes, stdout: totals.stdout.bytes, stderr: totals.stderr.bytes} : this.terminalBytes,
      ...(totals ? {sha256: {stdin: totals.stdin.sha256, stdout: totals.stdout.sha256, stderr: totals.stderr.sha256}} : {}),
    })
    log.info('session.end', {exit_status: exit?.code, exit_signal: exit?.signal, duration_seconds: duration, cut, recording_error: recordingError})
  }

  /** A PTY: output (stdout and stderr) goes to the asciicast; input is only counted. */
  private terminalTaps(terminal: TerminalRecording): SessionTaps {
    const {metrics} = this.services
    const bytes = this.terminalBytes
    return {
      stdin(chunk) {
        metrics.bytes.in += chunk.length
        bytes.stdin += chunk.length
      },
      stdout(chunk) {
        metrics.bytes.out += chunk.length
        bytes.stdout += chunk.length
        return terminal.output(chunk)
      },
      stderr(chunk) {
        metrics.bytes.out += chunk.length
        bytes.stderr += chunk.length
        return terminal.output(chunk)
      },
    }
  }

  /** No PTY: each stream counted and hashed (and stored when configured) by the stream recording. */
  private streamTaps(streams: StreamRecording): SessionTaps {
    const {metrics} = this.services
    return {
      stdin(chunk) {
        metrics.bytes.in += chunk.length
        return streams.stdin(chunk)
      },
      stdout(chunk) {
        metrics.bytes.out += chunk.length
        return streams.stdout(chunk)
      },
      stderr(chunk) {
        metrics.bytes.out += chunk.length
        return streams.stderr(chunk)
      },
    }
  }
}
