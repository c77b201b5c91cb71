import {confirm} from '@inquirer/prompts'

/** Whether a person can answer questions: a terminal on both ends, not CI, not --yes or --json. */
export function canPrompt(options: {yes?: boolean; json?: boolean}): boolean {
  return !options.yes && !options.json && !process.env.CI && Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

const context = {output: process.stderr}

export async function confirmHostKey(host: string, fingerprints: string[]): Promise<boolean> {
  const shown = fingerprints.length > 0 ? fingerprints.map((line) => `\n  ${line}`).join('') : '\n  (ssh-keyscan read no key)'
  return confirm({default: false, message: `The host key of ${host} is not known yet. It offers:${shown}\nTrust it (OpenSSH's accept-new)?`}, context)
}

export async function confirmChanges(changes: Array<{host: string; diff: string}>): Promise<boolean> {
  for (const change of changes) process.stderr.write(`\n== ${change.host}\n${change.diff}`)
  return confirm({default: false, message: `Change ${changes.length} host${changes.length === 1 ? '' : 's'} as shown?`}, context)
}
