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
