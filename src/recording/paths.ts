import {isAbsolute, join, relative, resolve} from 'node:path'

import {FleetError} from '../base/errors.js'

/** Session ids name files, so they are restricted to a shape that cannot hold a path. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/

export function isSessionId(value: string): boolean {
  return SESSION_ID_PATTERN.test(value)
}

export function assertSessionId(value: string): string {
  if (!isSessionId(value)) {
    throw new FleetError(`"${value}" is not a session id (letters, digits and "-", at most 128)`, {
      code: 'session_id_invalid',
      exit: 'usage',
      suggestions: ['List the recorded sessions with `fleetctl recordings ls`.'],
    })
  }

  return value
}

/**
 * `dir/name`, refusing any name that would land outside `dir` (separators, `..`, absolute
 * paths): the second guard behind the id check, so a future caller cannot forget it.
 */
export function pathInside(dir: string, name: string): string {
  const base = resolve(dir)
  const path = resolve(base, name)
  const rel = relative(base, path)
  if (name.length === 0 || rel !== name || rel.startsWith('..') || isAbsolute(rel) || /[/\\\0]/.test(name)) {
    throw new FleetError(`refusing the recording file name "${name}": it would leave ${base}`, {code: 'recording_path_invalid', exit: 'usage'})
  }

  return path
}

export type StreamName = 'stderr' | 'stdin' | 'stdout'
export const STREAM_NAMES: readonly StreamName[] = ['stdin', 'stdout', 'stderr']

export function castPath(dir: string, session: string): string {
  return pathInside(dir, `${assertSessionId(session)}.cast`)
}

/** The raw, append-only bytes of one stream of a session without a terminal. */
export function streamPath(dir: string, session: string, stream: StreamName): string {
  return pathInside(dir, `${assertSessionId(session)}.${stream}`)
}

export function indexPath(dir: string): string {
  return join(dir, 'index.jsonl')
}
