import type {StreamCounts, StreamDigests} from '../recording/index-file.js'

/**
 * The audit log's events. Every line carries who and where (`AuditContext`) plus the fields of
 * its event. Nothing here can hold key material or agent traffic: keys appear only as
 * fingerprints and certificate key ids, and `formatAuditLine` writes only the fields listed in
 * `EVENT_FIELDS`, whatever else an object carries at run time.
 */
export interface AuditContext {
  /** The client's address, `ip:port`. */
  client: string
  /** The target host; null before the client named one. */
  host: null | string
  /** The account on the host; null when not known yet. */
  login: null | string
  /** The session (or, before a session exists, the connection) id. */
  session: string
  /** The fleet user from the certificate; null when authentication failed before that. */
  user: null | string
}

export interface SessionStartEvent extends AuditContext {
  event: 'session.start'
  kind: 'exec' | 'shell' | 'subsystem'
  pty: null | {cols: number; rows: number; term: string}
  /** The recording file (relative to the recordings folder), when there is one. */
  recording: null | string
}

export interface SessionEndEvent extends AuditContext {
  bytes: StreamCounts
  /** Seconds. */
  duration: number
  /** Set when the proxy ended the session itself: why (its shutdown grace period ran out). */
  cut?: string
  event: 'session.end'
  exitSignal: null | string
  exitStatus: null | number
  /** Set when the recording failed during the session (the session was ended for it). */
  recordingError?: string
  /** sha256 of each stream, for sessions without a terminal. */
  sha256?: StreamDigests
}

export interface ExecEvent extends AuditContext {
  command: string
  event: 'exec'
  pty: boolean
}

export interface SubsystemEvent extends AuditContext {
  event: 'subsystem'
  /** e.g. sftp */
  name: string
}

export interface PortForwardEvent extends AuditContext {
  allowed: boolean
  destHost: string
  destPort: number
  /** local: `ssh -L`/ProxyJump (direct-tcpip); remote: `ssh -R` (tcpip-forward). */
  direction: 'local' | 'remote'
  event: 'port.forward'
  origHost?: string
  origPort?: number
  reason?: string
}

export interface AuthFailureEvent extends AuditContext {
  event: 'auth.failure'
  /** SHA256 fingerprint of the offered key or certificate, never the key itself. */
  fingerprint?: string
  keyId?: string
  method?: string
  reason: string
}

export interface HostRejectedEvent extends AuditContext {
  event: 'host.rejected'
  /** SHA256 fingerprint of the key the host presented. */
  fingerprint?: string
  reason: string
}

export interface AgentMissingEvent extends AuditContext {
  event: 'agent.missing'
  /** What the user was told to change. */
  hint: string
}

/** The proxy stopped (its last line in the log): what its close had to cut. */
export interface ProxyStoppedEvent {
  /** No one and nowhere: an event of the proxy itself. */
  client: null
  /** Connections still open at close, which the proxy closed. */
  connectionsClosed: number
  event: 'proxy.stopped'
  host: null
  login: null
  session: null
  /** Sessions still running at the end of the grace period, which the proxy cut. */
  sessionsCut: number
  user: null
}

/** A login over the proxy's HTTPS that got a certificate; `user` is the person. */
export interface LoginSuccessEvent extends AuditContext {
  event: 'login.success'
  method: string
  principals: string[]
  roles: string[]
  ttlSeconds: number
  /** The lifetime asked for was longer than the roles allow. */
  ttlCapped: boolean
  /** The certificate's serial (for revoking it) and the certified key's fingerprint. */
  serial: string
  fingerprint: string
}

/** A refused login or enrolment; `user` is the name that was given, which may not exist. */
export interface LoginFailureEvent extends AuditContext {
  event: 'login.failure'
  method?: string
  reason: string
}

/** A person used their enrolment token: a password and TOTP seed are set. */
export interface UserEnrolledEvent extends AuditContext {
  event: 'user.enrolled'
}

export type AuditEvent =
  | AgentMissingEvent
  | AuthFailureEvent
  | ExecEvent
  | HostRejectedEvent
  | LoginFailureEvent
  | LoginSuccessEvent
  | PortForwardEvent
  | ProxyStoppedEvent
  | SessionEndEvent
  | SessionStartEvent
  | SubsystemEvent
  | UserEnrolledEvent
export type AuditEventName = AuditEvent['event']

/** An event as stored: with its time. */
export type AuditRecord = AuditEvent & {time: string}

const CONTEXT_FIELDS = ['session', 'user', 'login', 'host', 'client'] as const

/** The fields each event writes after the common ones, in order. */
export const EVENT_FIELDS: {[E in AuditEventName]: readonly Exclude<keyof Extract<AuditEvent, {event: E}>, 'event' | keyof AuditContext>[]} = {
  'agent.missing': ['hint'],
  'auth.failure': ['reason', 'method', 'keyId', 'fingerprint'],
  exec: ['command', 'pty'],
  'host.rejected': ['reason', 'fingerprint'],
  'login.failure': ['method', 'reason'],
  'login.success': ['method', 'principals', 'roles', 'ttlSeconds', 'ttlCapped', 'serial', 'fingerprint'],
  'port.forward': ['direction', 'destHost', 'destPort', 'origHost', 'origPort', 'allowed', 'reason'],
  'proxy.stopped': ['sessionsCut', 'connectionsClosed'],
  'session.end': ['duration', 'exitStatus', 'exitSignal', 'bytes', 'sha256', 'cut', 'recordingError'],
  'session.start': ['kind', 'pty', 'recording'],
  subsystem: ['name'],
  'user.enrolled': [],
}

export const AUDIT_EVENT_NAMES = Object.keys(EVENT_FIELDS) as AuditEventName[]

/** One JSON line: time, event, the context, then the event's own fields; nothing else. */
export function formatAuditLine(event: AuditEvent, time: Date = new Date()): string {
  const fields = EVENT_FIELDS[event.event] as readonly string[] | undefined
  if (!fields) throw new Error(`unknown audit event ${String(event.event)}`)
  const source = event as unknown as Record<string, unknown>
  const record: Record<string, unknown> = {time: time.toISOString(), event: event.event}
  for (const field of CONTEXT_FIELDS) record[field] = source[field] ?? null
  for (const field of fields) if (source[field] !== undefined) record[field] = source[field]
  return `${JSON.stringify(record)}\n`
}
