import {AuditLog, type AuditEvent as LogEvent} from '../audit/index.js'
import {type PtyRecorder, RecordingStore, type SessionMetadata, type StreamRecorder} from '../recording/index.js'
import type {AuditSink, SessionInfo, SessionRecorder, StreamRecording, TerminalRecording} from './recording.js'

const metadata = (info: SessionInfo): SessionMetadata => ({
  client: info.client,
  command: info.command ?? null,
  host: info.host,
  keyId: info.keyId,
  login: info.login,
  session: info.id,
  user: info.user,
})

/** `undefined` while the recorder keeps up; else a promise to pause the channel on. */
const behind = (recorder: PtyRecorder | StreamRecorder, keptUp: boolean) => (keptUp ? undefined : recorder.writable())

/**
 * The proxy's recording seam on src/recording: asciicast v2 for terminals, sha256 and byte counts
 * (and with `raw`, the bytes) for everything else. Opening fails when the recordings folder cannot
 * be written, so the proxy refuses to start rather than the hundredth session.
 */
export async function openSessionRecorder(dir: string, options: {raw: boolean}): Promise<SessionRecorder> {
  const store = await RecordingStore.open(dir)
  const open = new Set<{close(end: {exitSignal?: string; exitStatus?: number}): Promise<unknown>}>()
  return {
    async startTerminal(info, onError) {
      const recorder = await store.startPty(metadata(info), {cols: info.pty?.cols ?? 80, rows: info.pty?.rows ?? 24, term: info.pty?.term ?? 'xterm'}, {onError})
      const recording: TerminalRecording = {
        path: recorder.file,
        output: (data) => behind(recorder, recorder.output(data)),
        resize: (cols, rows) => recorder.resize(cols, rows),
        async close(end) {
          open.delete(recording)
          await recorder.close({exitSignal: end.exitSignal ?? null, exitStatus: end.exitStatus ?? null})
        },
      }
      open.add(recording)
      return recording
    },
    async startStreams(info, onError) {
      const recorder = await store.startStreams(metadata(info), {onError}, {raw: options.raw})
      const recording: StreamRecording = {
        stdin: (data) => behind(recorder, recorder.write('stdin', data)),
        stdout: (data) => behind(recorder, recorder.write('stdout', data)),
        stderr: (data) => behind(recorder, recorder.write('stderr', data)),
        async close(end) {
          open.delete(recording)
          const summary = await recorder.close({exitSignal: end.exitSignal ?? null, exitStatus: end.exitStatus ?? null})
          const total = (stream: 'stderr' | 'stdin' | 'stdout') => ({bytes: summary.bytes[stream], sha256: summary.sha256?.[stream] ?? ''})
          return {stderr: total('stderr'), stdin: total('stdin'), stdout: total('stdout')}
        },
      }
      open.add(recording)
      return recording
    },
    async close() {
      await Promise.all([...open].map((recording) => recording.close({})))
      await store.close()
    },
  }
}

/** The proxy's audit seam on src/audit's append-only JSON-lines log. */
export async function openAuditSink(path: string, onError: (error: Error) => void): Promise<AuditSink> {
  const log = await AuditLog.open(path)
  return {
    write(event) {
      log.record(event as unknown as LogEvent).catch(onError)
    },
    close: () => log.close(),
  }
}
