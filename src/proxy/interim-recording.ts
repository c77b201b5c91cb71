/**
 * TEMPORARY stand-ins for src/recording and src/audit (branch `recording`), so the proxy can be
 * built and tested before they land: a minimal asciicast v2 file per PTY session flushed every
 * second, sha256 and byte counts per stream for the others, and a JSON-lines audit file. Replace
 * with the real library by implementing `SessionRecorder`/`AuditSink` on it (see server.ts).
 */
import {createHash, type Hash} from 'node:crypto'
import {appendFileSync, mkdirSync} from 'node:fs'
import {type FileHandle, mkdir, open} from 'node:fs/promises'
import {dirname, join, resolve, sep} from 'node:path'
import {StringDecoder} from 'node:string_decoder'

import type {AuditEvent, AuditSink, SessionEnd, SessionRecorder, StreamRecording, StreamTotals, TerminalRecording} from './recording.js'

/** A path inside `dir` for `name`, refusing names that would escape it. */
function insideDir(dir: string, name: string): string {
  const path = resolve(dir, name)
  if (!path.startsWith(resolve(dir) + sep)) throw new Error(`recording name ${JSON.stringify(name)} escapes ${dir}`)
  return path
}

class BufferedFile {
  private pending: string[] = []
  private timer: NodeJS.Timeout
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly handle: FileHandle) {
    this.timer = setInterval(() => void this.flush(), 1000)
    this.timer.unref()
  }

  append(text: string): void {
    this.pending.push(text)
  }

  flush(): Promise<void> {
    if (this.pending.length === 0) return this.writing
    const text = this.pending.join('')
    this.pending = []
    this.writing = this.writing.then(() => this.handle.write(text).then(() => undefined)).catch(() => undefined)
    return this.writing
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    await this.handle.close().catch(() => {})
  }
}

export function interimRecorder(dir: string): SessionRecorder {
  const open_ = new Set<{close(end: SessionEnd): Promise<unknown>}>()
  return {
    async startTerminal(info) {
      await mkdir(dir, {recursive: true, mode: 0o700})
      const path = insideDir(dir, `${info.id}.cast`)
      const file = new BufferedFile(await open(path, 'wx', 0o600))
      const start = info.startedAt.getTime()
      const decoder = new StringDecoder('utf8')
      const at = () => Math.round(Date.now() - start) / 1000
      const header = {
        version: 2,
        width: info.pty?.cols ?? 80,
        height: info.pty?.rows ?? 24,
        timestamp: Math.floor(start / 1000),
        env: {TERM: info.pty?.term ?? 'xterm'},
        fleetctl: {session: info.id, user: info.user, key_id: info.keyId, login: info.login, host: info.host, client: info.client, command: info.command ?? null},
      }
      file.append(`${JSON.stringify(header)}\n`)
      await file.flush()
      const recording: TerminalRecording = {
        path,
        output(data) {
          const text = decoder.write(data)
          if (text) file.append(`${JSON.stringify([at(), 'o', text])}\n`)
        },
        resize(cols, rows) {
          file.append(`${JSON.stringify([at(), 'r', `${cols}x${rows}`])}\n`)
        },
        async close() {
          open_.delete(recording)
          const rest = decoder.end()
          if (rest) file.append(`${JSON.stringify([at(), 'o', rest])}\n`)
          await file.close()
        },
      }
      open_.add(recording)
      return recording
    },
    async startStreams() {
      const streams = {stdin: counter(), stdout: counter(), stderr: counter()}
      const recording: StreamRecording = {
        stdin: (data) => streams.stdin.add(data),
        stdout: (data) => streams.stdout.add(data),
        stderr: (data) => streams.stderr.add(data),
        async close() {
          open_.delete(recording)
          return {stdin: streams.stdin.total(), stdout: streams.stdout.total(), stderr: streams.stderr.total()}
        },
      }
      open_.add(recording)
      return recording
    },
    async close() {
      await Promise.all([...open_].map((recording) => recording.close({})))
    },
  }
}

function counter(): {add(data: Buffer): void; total(): StreamTotals} {
  const hash: Hash = createHash('sha256')
  let bytes = 0
  return {
    add(data) {
      bytes += data.length
      hash.update(data)
    },
    total: () => ({bytes, sha256: hash.digest('hex')}),
  }
}

export function interimAuditLog(path: string): AuditSink {
  mkdirSync(dirname(path), {recursive: true, mode: 0o700})
  return {
    write(event) {
      // Synchronous append: an audit line is never lost to a crash after the event was logged.
      appendFileSync(path, `${JSON.stringify({time: new Date().toISOString(), ...event} satisfies AuditEvent & {time: string})}\n`, {mode: 0o600})
    },
    async close() {},
  }
}

export const interimRecordingDir = (home: string) => join(home, 'recordings')
