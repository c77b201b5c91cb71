import {EVENT_FIELDS, type AuditRecord} from './events.js'

function value(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v)
  return /[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text
}

/** `bytes.stdout=182`: nested objects (byte counts, digests, the pty) as dotted keys. */
function pairs(key: string, v: unknown): string[] {
  if (v === undefined || v === null) return []
  if (typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).flatMap(([k, inner]) => pairs(`${key}.${k}`, inner))
  return [`${key}=${value(v)}`]
}

/** One event per line for people: time, event, who@where, session, then key=value fields. */
export function formatAuditRecord(record: AuditRecord): string {
  const who = `${record.user ?? '-'} ${record.login ?? '-'}@${record.host ?? '-'}`
  const fields = (EVENT_FIELDS[record.event] as readonly string[] | undefined) ?? []
  const source = record as unknown as Record<string, unknown>
  const extra = fields.flatMap((f) => pairs(f, source[f]))
  return [record.time, record.event.padEnd(13), who, `session=${record.session ?? '-'}`, `client=${record.client ?? '-'}`, ...extra].join(' ')
}
