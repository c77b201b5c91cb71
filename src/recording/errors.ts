import {FleetError} from '../base/errors.js'

const CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EDQUOT: 'the disk quota is exhausted',
  EEXIST: 'a file of that name already exists',
  EISDIR: 'it is a directory',
  ENOENT: 'a directory on the way does not exist',
  ENOSPC: 'the disk is full',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
}

/**
 * A recording that could not be written. At the start of a session it means "refuse the
 * session"; later it means "end the session": the proxy never forwards what it cannot record.
 */
export function recordingError(phase: 'start' | 'write', path: string, cause: unknown): FleetError {
  const code = (cause as NodeJS.ErrnoException)?.code ?? ''
  const why = CAUSES[code] ?? (cause as Error)?.message ?? String(cause)
  const message = phase === 'start' ? `cannot start the recording ${path}: ${why}` : `writing the recording ${path} failed: ${why}`
  return new FleetError(message, {
    cause,
    code: phase === 'start' ? 'recording_unavailable' : 'recording_failed',
    exit: 'failure',
    suggestions: [
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'Free space where recordings are kept (the recordings folder of the state directory, --home), or move it to a larger disk.'
        : 'Make the recordings folder of the state directory (--home) a writable directory owned by the user the proxy runs as.',
    ],
  })
}

/**
 * The sha256 of a session's streams could not be computed (the proxy's hashing thread stopped):
 * the audit would lack the digests, so the recording has failed like a failed write.
 */
export function digestError(cause: unknown): FleetError {
  return new FleetError(`computing the sha256 of the session's streams failed: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
    code: 'recording_failed',
    exit: 'failure',
    suggestions: ["Restart the proxy (fleetctl proxy start); if it happens again, report the proxy's recording.failed log line."],
  })
}
