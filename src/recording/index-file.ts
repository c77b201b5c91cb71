import {readFile} from 'node:fs/promises'

import type {SessionMetadata} from './asciicast.js'
import type {StreamName} from './paths.js'

export type SessionKind = 'pty' | 'streams'
export type StreamCounts = Record<StreamName, number>
export type StreamDigests = Record<StreamName, string>

/** What `recordings ls` shows about one session: the start line and end line merged. */
export interface RecordingEntry {
  bytes?: StreamCounts
  client: string
  command: null | string
  /** Seconds. */
  duration?: number
  /** ISO time; missing while the session runs, or when the proxy died during it. */
  end?: string
  /** Why the recording stopped early, when it did (the session was ended for it). */
  error?: string
  exitSignal?: null | string
  exitStatus?: null | number
  /** The asciicast file (pty sessions), relative to the recordings folder. */
  file: null | string
  host: string
  keyId: null | string
  kind: SessionKind
  login: string
  session: string
  /** sha256 of each stream, hex (sessions without a terminal). */
  sha256?: StreamDigests
  /** ISO time. */
  start: string
  /** Raw stream files relative to the recordings folder, when raw storage is on. */
  streams?: Partial<Record<StreamName, string>>
  user: string
}

export interface IndexStart extends Required<Pick<SessionMetadata, 'client' | 'host' | 'login' | 'session' | 'user'>> {
  command: null | string
  file: null | string
  keyId: null | string
  kind: SessionKind
  start: string
  streams?: Partial<Record<StreamName, string>>
}

export interface IndexEnd {
  bytes: StreamCounts
  duration: number
  end: string
  error?: string
  exitSignal: null | string
  exitStatus: null | number
  session: string
  sha256?: StreamDigests
}

export function formatIndexLine(entry: IndexEnd | IndexStart): string {
  return `${JSON.stringify(entry)}\n`
}

/**
 * Folds index lines (a start line and, once the session ended, an end line per session) into
 * entries in start order. Lines that are not JSON (a crash mid-line) are skipped.
 */
export function parseIndex(text: string): RecordingEntry[] {
  const entries = new Map<string, RecordingEntry>()
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    let value: (Partial<IndexEnd & IndexStart> & {session?: unknown}) | null
    try {
      value = JSON.parse(line)
    } catch {
      continue
    }

    if (!value || typeof value !== 'object' || typeof value.session !== 'string') continue
    const known = entries.get(value.session)
    if (known) Object.assign(known, value)
    else if (typeof value.start === 'string') entries.set(value.session, value as RecordingEntry)
  }

  return [...entries.values()]
}

export async function readIndex(path: string): Promise<RecordingEntry[]> {
  try {
    return parseIndex(await readFile(path, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

export interface RecordingFilter {
  host?: string
  since?: Date
  user?: string
}

export function filterRecordings(entries: RecordingEntry[], filter: RecordingFilter): RecordingEntry[] {
  return entries.filter(
    (e) =>
      (!filter.user || e.user === filter.user) &&
      (!filter.host || e.host === filter.host) &&
      (!filter.since || Date.parse(e.start) >= filter.since.getTime()),
  )
}
