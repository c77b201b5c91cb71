/**
 * What the proxy needs from recording and audit: a seam that keeps the session bridge free of
 * file formats. `store-recording.ts` implements it on src/recording and src/audit.
 */

/** One session as the recording header and the audit log name it. */
export interface SessionInfo {
  id: string
  /** Who: the user certificate's key id. */
  user: string
  keyId: string
  /** The login on the host. */
  login: string
  host: string
  port: number
  /** The client's address as the proxy saw it (`ip:port`). */
  client: string
  kind: 'exec' | 'shell' | 'subsystem'
  /** The command run (exec), the subsystem name, or the certificate's force-command. */
  command?: string
  /** The command the client asked for when a force-command replaced it. */
  originalCommand?: string
  pty?: {cols: number; rows: number; term: string}
  startedAt: Date
}

export interface SessionEnd {
  exitStatus?: number
  exitSignal?: string
}

/** A PTY session's terminal recording (asciicast `o` and `r` events). */
export interface TerminalRecording {
  readonly path: string
  /**
   * Terminal output, as it happens. Called on the hot path: must not block or encode per byte.
   * Returns a promise when the recording is behind: the caller pauses the channel until it settles.
   */
  output(data: Buffer): Promise<void> | undefined
  resize(cols: number, rows: number): void
  close(end: SessionEnd): Promise<void>
}

export interface StreamTotals {
  bytes: number
  sha256: string
}

/** A session without a PTY: counted and hashed per stream (bytes stored when configured). */
export interface StreamRecording {
  readonly path?: string
  /** Like TerminalRecording.output: a promise means "pause until it settles". */
  stdin(data: Buffer): Promise<void> | undefined
  stdout(data: Buffer): Promise<void> | undefined
  stderr(data: Buffer): Promise<void> | undefined
  close(end: SessionEnd): Promise<{stdin: StreamTotals; stdout: StreamTotals; stderr: StreamTotals}>
}

export interface SessionRecorder {
  /**
   * Start recording a PTY session; rejects when the recording cannot be written (fail closed).
   * `onError` is called once when a later write fails: the session must then end.
   */
  startTerminal(info: SessionInfo, onError: (error: Error) => void): Promise<TerminalRecording>
  startStreams(info: SessionInfo, onError: (error: Error) => void): Promise<StreamRecording>
  /** Flush and close everything still open (shutdown). */
  close(): Promise<void>
}

export type AuditEventName =
  | 'agent.missing'
  | 'auth.failure'
  | 'exec'
  | 'host.rejected'
  | 'port.forward'
  | 'proxy.stopped'
  | 'session.end'
  | 'session.start'
  | 'subsystem'

/** One audit line: `time` and `event` are added by the sink. */
export interface AuditEvent {
  event: AuditEventName
  session?: null | string
  user?: null | string
  login?: null | string
  host?: null | string
  client?: null | string
  [field: string]: unknown
}

export interface AuditSink {
  write(event: AuditEvent): void
  close(): Promise<void>
}
