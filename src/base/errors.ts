import {Errors} from '@oclif/core'

/**
 * Exit codes that scripts can rely on. They are part of the CLI's contract: add, never renumber.
 */
export const ExitCode = {
  ok: 0,
  /** Something unexpected; the message says what. */
  failure: 1,
  /** Bad flags or arguments (oclif's own parse errors use 2 as well). */
  usage: 2,
  /** State that the command needs is missing (no CA yet, file not found). */
  missingState: 3,
  /** The command refused to overwrite or change something that exists. */
  refused: 4,
  /** A certificate, key or host failed a trust check. */
  untrusted: 5,
  /** A host or service could not be reached or answered wrongly. */
  unreachable: 6,
} as const

export type ExitCodeName = keyof typeof ExitCode

/**
 * An error a user can act on: what went wrong, and in `suggestions` what to run or change next.
 */
export class FleetError extends Error {
  readonly exitCode: number
  readonly code: string
  readonly suggestions: string[]

  constructor(message: string, options: {code: string; exit?: ExitCodeName; suggestions?: string[]; cause?: unknown}) {
    super(message, {cause: options.cause})
    this.name = 'FleetError'
    this.code = options.code
    this.exitCode = ExitCode[options.exit ?? 'failure']
    this.suggestions = options.suggestions ?? []
  }

  /** The oclif form of this error, so oclif prints the message and suggestions the usual way. */
  toCLIError(): Errors.CLIError {
    return new Errors.CLIError(this.message, {code: this.code, exit: this.exitCode, suggestions: this.suggestions})
  }
}

/** The `--json` form of a failed command: what went wrong, its stable code and exit code, what to do next. */
export interface ErrorReport {
  error: {code: string; exit: number; message: string; name: string; suggestions: string[]}
}

/**
 * Any error a command can end with, as the exit code and report the user sees: a FleetError keeps
 * its own; oclif's (bad flags and arguments, `this.error`) keep the exit code oclif gave them; the
 * rest are unexpected (1).
 */
export function errorReport(err: Error): ErrorReport {
  if (err instanceof FleetError) {
    return {error: {code: err.code, exit: err.exitCode, message: err.message, name: err.name, suggestions: err.suggestions}}
  }
  const oclif = err as Error & {code?: unknown; oclif?: {exit?: number}; parse?: unknown; suggestions?: string[]}
  const exit = oclif.oclif?.exit ?? ExitCode.failure
  const code = typeof oclif.code === 'string' ? oclif.code : oclif.parse === undefined ? 'unexpected' : 'bad_arguments'
  return {error: {code, exit, message: err.message, name: err.name, suggestions: oclif.suggestions ?? []}}
}
