import {formatDuration} from '../certs/duration.js'
import type {RecordingEntry} from './index-file.js'

/** `2025-01-31 12:00:05Z` */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }

  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

function outcome(entry: RecordingEntry): string {
  if (!entry.end) return 'open'
  if (entry.error) return 'recording failed'
  if (entry.exitSignal) return `signal ${entry.exitSignal}`
  return entry.exitStatus === null || entry.exitStatus === undefined ? '-' : String(entry.exitStatus)
}

/** The `recordings ls` table: one row per session, columns padded to their widest cell. */
export function formatRecordingsTable(entries: RecordingEntry[]): string {
  const rows = [
    ['SESSION', 'START', 'DURATION', 'USER', 'LOGIN@HOST', 'TYPE', 'EXIT', 'OUTPUT'],
    ...entries.map((e) => [
      e.session,
      shortTime(e.start),
      e.duration === undefined ? '-' : formatDuration(e.duration),
      e.user,
      `${e.login}@${e.host}`,
      e.kind === 'pty' ? 'terminal' : (e.command ?? 'subsystem'),
      outcome(e),
      e.bytes ? formatBytes(e.bytes.stdout + e.bytes.stderr) : '-',
    ]),
  ]
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')).join('\n')
}
