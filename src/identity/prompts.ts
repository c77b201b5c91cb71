/**
 * Asking a person for their password and code on a terminal, and never anywhere else: in CI or
 * without a TTY the values come from flags/environment, or the command fails saying which.
 */
import {input, password} from '@inquirer/prompts'

import {FleetError} from '../base/errors.js'
import {canPrompt} from '../enroll/prompts.js'

const context = {output: process.stderr}

function cannotPrompt(what: string, variable: string, flag: string): FleetError {
  return new FleetError(`no ${what} given and no terminal to ask on (CI or no TTY)`, {
    code: 'credentials_missing',
    exit: 'usage',
    suggestions: [`Set ${variable} or pass ${flag}; bots log in with a registered key instead: --identity KEY.`],
  })
}

export async function askPassword(options: {confirm?: boolean; given?: string; json?: boolean}): Promise<string> {
  if (options.given !== undefined) return options.given
  if (!canPrompt({json: options.json})) throw cannotPrompt('password', 'FLEETCTL_PASSWORD', '--password-stdin')
  const first = await password({mask: true, message: options.confirm ? 'New password (12 characters or more):' : 'Password:'}, context)
  if (options.confirm) {
    const again = await password({mask: true, message: 'The same password again:'}, context)
    if (again !== first) throw new FleetError('the two passwords differ', {code: 'password_mismatch', exit: 'usage', suggestions: ['Run the command again and type the same password twice.']})
  }
  return first
}

export async function askTotp(options: {given?: string; json?: boolean}): Promise<string> {
  if (options.given !== undefined) return options.given
  if (!canPrompt({json: options.json})) throw cannotPrompt('TOTP code', 'FLEETCTL_TOTP', '--totp')
  return input({message: 'Code from your authenticator app:', validate: (value) => /^\d{6}$/.test(value.trim()) || 'six digits'}, context)
}

/** The first line of standard input (for --password-stdin). */
export async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer)
    if (Buffer.concat(chunks).includes(10)) break
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0].replace(/\r$/, '')
}
