import {password} from '@inquirer/prompts'

import {readUserFile} from '../state/files.js'

/** The passphrase in a file: its first line, as `ssh-keygen -P "$(cat F)"` would take it. */
export async function readPassphraseFile(path: string): Promise<string> {
  const text = await readUserFile(path, 'passphrase file')
  return text.split(/\r?\n/)[0]
}

/** Asks on the terminal (stderr, so --json output and pipes stay clean); never echoes it. */
export async function askPassphrase(keyFile: string): Promise<string> {
  return password({message: `Passphrase for ${keyFile}:`}, {output: process.stderr})
}
