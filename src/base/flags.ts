import {Flags} from '@oclif/core'

import {parseSince} from '../audit/query.js'
import {parseDuration} from '../certs/index.js'
import {FleetError} from './errors.js'

/** A number flag that must be zero or more (`allowZero`) or more than zero. */
export const nonNegativeNumber = (options: {allowZero?: boolean}) =>
  Flags.custom<number>({
    async parse(input) {
      const value = Number(input)
      if (!Number.isFinite(value) || value < 0 || (value === 0 && !options.allowZero)) {
        throw new Error(`expected a number ${options.allowZero ? 'of 0 or more' : 'greater than 0'}, got "${input}"`)
      }

      return value
    },
  })

/** The seconds in duration flag `--<name>` (12h, 30d, 1h30m); a usage error naming the flag if it is not one. */
export function durationFlag(name: string, value: string): number {
  try {
    return parseDuration(value)
  } catch (error) {
    throw new FleetError(`--${name}: ${(error as Error).message}`, {code: 'bad_duration', exit: 'usage'})
  }
}

/** `--since 1h` / `--since 2025-01-31`: the start of a time window. */
export const since = Flags.custom<Date>({
  async parse(input) {
    return parseSince(input)
  },
  summary: 'Only what started in this window: a duration back from now (30m, 1h, 7d) or a date/time (2025-01-31, ISO 8601).',
})
