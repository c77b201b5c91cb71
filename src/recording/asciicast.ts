import {JsonUtf8StreamEscaper} from './json-utf8.js'

/**
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2): one JSON header line, then one
 * `[seconds, code, data]` line per event. Pure: text in, text out; the writer lives elsewhere.
 */

/** What fleetctl knows about a session; lives in the header under the `fleetctl` key. */
export interface SessionMetadata {
  /** The client's address, `ip:port`. */
  client: string
  /** The exec command of the session, if it ran one rather than a login shell. */
  command?: null | string
  host: string
  /** The key id of the user's certificate. */
  keyId?: null | string
  /** The account on the host. */
  login: string
  session: string
  /** The fleet user (the certificate's identity). */
  user: string
}

export interface TerminalInfo {
  cols: number
  rows: number
  /** $SHELL, when the client sent it. */
  shell?: string
  /** $TERM from the pty-req. */
  term: string
}

export interface AsciicastHeader {
  command?: string
  env: {SHELL?: string; TERM: string}
  fleetctl?: SessionMetadata
  height: number
  idle_time_limit?: number
  timestamp?: number
  title?: string
  version: 2
  width: number
}

export type AsciicastEventCode = 'i' | 'm' | 'o' | 'r'
export type AsciicastEvent = [time: number, code: AsciicastEventCode, data: string]

export function buildHeader(session: SessionMetadata, terminal: TerminalInfo, startedAt: Date): AsciicastHeader {
  const header: AsciicastHeader = {
    version: 2,
    width: terminal.cols,
    height: terminal.rows,
    timestamp: Math.floor(startedAt.getTime() / 1000),
    env: terminal.shell ? {SHELL: terminal.shell, TERM: terminal.term} : {TERM: terminal.term},
  }
  if (session.command) header.command = session.command
  header.title = `${session.login}@${session.host}`
  header.fleetctl = {
    session: session.session,
    user: session.user,
    keyId: session.keyId ?? null,
    login: session.login,
    host: session.host,
    client: session.client,
    command: session.command ?? null,
  }
  return header
}

export function encodeHeader(header: AsciicastHeader): string {
  return `${JSON.stringify(header)}\n`
}

/** Seconds with microseconds, as asciinema writes them. */
export function formatTime(seconds: number): string {
  return Math.max(0, seconds).toFixed(6)
}

export function encodeEvent(seconds: number, code: AsciicastEventCode, data: string): string {
  return `[${formatTime(seconds)}, "${code}", ${JSON.stringify(data)}]\n`
}

export function encodeResize(seconds: number, cols: number, rows: number): string {
  return encodeEvent(seconds, 'r', `${cols}x${rows}`)
}

export interface EncoderOptions {
  /** Output chunks arriving within this many ms of an event's first chunk join that event. */
  coalesceMs?: number
  /** An event is closed once it holds this many bytes of output. */
  maxEventBytes?: number
}

/**
 * Turns timed terminal output into asciicast event lines, as UTF-8 bytes ready to append.
 * Output bytes go straight to escaped JSON (no string in between), and chunks that arrive
 * within a few ms are coalesced into one event, which keeps a busy terminal's recording small
 * and cheap. Lines are collected until `take()`.
 */
export class AsciicastEncoder {
  private readonly coalesceMs: number
  private readonly escaper = new JsonUtf8StreamEscaper()
  private lines: Buffer[] = []
  private linesBytes = 0
  private readonly maxEventBytes: number
  /** The escaped output of the open event, and how many bytes of output it holds. */
  private pending: Buffer[] = []
  private pendingEscaped = 0
  private pendingOutput = 0
  private pendingSince = 0

  constructor(options: EncoderOptions = {}) {
    this.coalesceMs = options.coalesceMs ?? 5
    this.maxEventBytes = options.maxEventBytes ?? 256 * 1024
  }

  /** Bytes waiting for `take()`. */
  get bufferedBytes(): number {
    return this.linesBytes + this.pendingEscaped
  }

  /** Terminal output at `ms` milliseconds since the start of the recording. */
  output(chunk: Uint8Array, ms: number): void {
    if (chunk.length === 0) return
    if (this.pending.length > 0 && ms - this.pendingSince > this.coalesceMs) this.closeEvent()
    if (this.pending.length === 0) this.pendingSince = ms
    // Escaped at once, so the caller may reuse its buffer; a cut-short sequence waits in the escaper.
    const escaped = this.escaper.write(chunk)
    this.pending.push(escaped)
    this.pendingEscaped += escaped.length
    this.pendingOutput += chunk.length
    if (this.pendingOutput >= this.maxEventBytes) this.closeEvent()
  }

  resize(cols: number, rows: number, ms: number): void {
    this.closeEvent()
    this.push(Buffer.from(encodeResize(ms / 1000, cols, rows)))
  }

  marker(label: string, ms: number): void {
    this.closeEvent()
    this.push(Buffer.from(encodeEvent(ms / 1000, 'm', label)))
  }

  /**
   * Every complete line so far as one buffer (one write: a crash never leaves half a line
   * behind it), closing the open event; `end` also flushes a sequence cut short.
   */
  take(end = false): Buffer {
    this.closeEvent()
    if (end) {
      const rest = this.escaper.end()
      if (rest.length > 0) this.pushOutput(this.pendingSince, [rest])
    }

    const bytes = this.lines.length === 1 ? this.lines[0] : Buffer.concat(this.lines, this.linesBytes)
    this.lines = []
    this.linesBytes = 0
    return bytes
  }

  private closeEvent(): void {
    if (this.pending.length === 0) return
    const pieces = this.pending
    const escaped = this.pendingEscaped
    this.pending = []
    this.pendingEscaped = 0
    this.pendingOutput = 0
    // An event made only of a cut-short sequence waits for the rest of it.
    if (escaped > 0) this.pushOutput(this.pendingSince, pieces)
  }

  private pushOutput(ms: number, pieces: Buffer[]): void {
    this.push(Buffer.from(`[${formatTime(ms / 1000)}, "o", "`))
    for (const piece of pieces) this.push(piece)
    this.push(LINE_END)
  }

  private push(bytes: Buffer): void {
    this.lines.push(bytes)
    this.linesBytes += bytes.length
  }
}

const LINE_END = Buffer.from('"]\n')

export class CastFormatError extends Error {}

export function parseHeader(line: string): AsciicastHeader {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new CastFormatError('the first line is not a JSON object')
  }

  const header = value as Partial<AsciicastHeader> | null
  if (!header || typeof header !== 'object' || header.version !== 2) throw new CastFormatError('not an asciicast v2 recording (the header must say "version": 2)')
  if (!Number.isInteger(header.width) || !Number.isInteger(header.height)) throw new CastFormatError('the header has no integer width and height')
  return header as AsciicastHeader
}

export function parseEvent(line: string): AsciicastEvent {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new CastFormatError('an event line is not JSON')
  }

  if (!Array.isArray(value) || value.length !== 3 || typeof value[0] !== 'number' || typeof value[1] !== 'string' || typeof value[2] !== 'string') {
    throw new CastFormatError('an event is not [seconds, code, data]')
  }

  return value as AsciicastEvent
}

export interface ParsedCast {
  events: AsciicastEvent[]
  header: AsciicastHeader
  /** The last line was cut short (the writer died mid-line) and was left out. */
  truncated: boolean
}

/**
 * Reads a whole recording. A cut-short last line is what a crash leaves, so it is dropped
 * (and reported); a bad line anywhere else is an error.
 */
export function parseCast(text: string): ParsedCast {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  if (lines.length === 0) throw new CastFormatError('the recording is empty')
  const header = parseHeader(lines[0])
  const events: AsciicastEvent[] = []
  let truncated = false
  for (let i = 1; i < lines.length; i++) {
    try {
      events.push(parseEvent(lines[i]))
    } catch (error) {
      if (i === lines.length - 1 && !text.endsWith('\n')) {
        truncated = true
        break
      }

      throw new CastFormatError(`line ${i + 1}: ${(error as Error).message}`)
    }
  }

  return {events, header, truncated}
}
