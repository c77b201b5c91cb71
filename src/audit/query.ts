import {createReadStream} from 'node:fs'
import {createInterface} from 'node:readline'

import {FleetError} from '../base/errors.js'
import {parseDuration} from '../certs/duration.js'
import type {AuditRecord} from './events.js'

export interface AuditFilter {
  /** Event names; `session` matches `session.start` and `session.end`. */
  events?: string[]
  /** At most this many, the newest. */
  limit?: number
  session?: string
  since?: Date
  user?: string
}

export interface AuditQueryResult {
  events: AuditRecord[]
  /** Lines that were not events (a line cut by a crash); reported, not fatal. */
  skipped: number
}

export function matchesAudit(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.events?.length && !filter.events.some((name) => record.event === name || record.event.startsWith(`${name}.`))) return false
  if (filter.session && record.session !== filter.session) return false
  if (filter.user && record.user !== filter.user) return false
  if (filter.since && !(Date.parse(record.time) >= filter.since.getTime())) return false
  return true
}

/** Reads the log line by line (it only grows) and returns the matching events, oldest first. */
export async function queryAudit(path: string, filter: AuditFilter = {}): Promise<AuditQueryResult> {
  const events: AuditRecord[] = []
  let skipped = 0
  const input = createReadStream(path, {encoding: 'utf8'})
  const opened = new Promise<boolean>((resolve, reject) => {
    input.once('ready', () => resolve(true))
    input.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve(false) : reject(error)))
  })
  if (!(await opened)) return {events, skipped}

  for await (const line of createInterface({crlfDelay: Infinity, input})) {
    if (!line.trim()) continue
    let record: AuditRecord
    try {
      record = JSON.parse(line)
    } catch {
      skipped++
      continue
    }

    if (!record || typeof record !== 'object' || typeof record.event !== 'string' || typeof record.time !== 'string') {
      skipped++
      continue
    }

    if (matchesAudit(record, filter)) {
      events.push(record)
      if (filter.limit && events.length > filter.limit) events.shift()
    }
  }

  return {events, skipped}
}

/** `--since`: a duration back from now (`90m`, `1h`, `7d`) or a date/time (`2025-01-31`, ISO 8601). */
export function parseSince(text: string, now: Date = new Date()): Date {
  if (/^(\d+[smhdw])+$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text) * 1000)
  const time = Date.parse(text)
  if (Number.isNaN(time)) {
    throw new FleetError(`--since "${text}" is neither a duration nor a date`, {code: 'since_invalid', exit: 'usage', suggestions: ['Use e.g. --since 1h, --since 7d or --since 2025-01-31T12:00:00Z.']})
  }

  return new Date(time)
}
