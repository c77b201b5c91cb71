import {copyFile, mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'

import {FleetError} from '../base/errors.js'
import {writeFileSafely} from '../state/files.js'
import {ManagedBlockError, spliceManagedBlock} from './render.js'

export interface WriteResult {
  backup?: string
  changed: boolean
  path: string
}

async function readIfExists(path: string): Promise<{mode?: number; text: string}> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    return {mode: info.mode & 0o777, text}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {text: ''}
    throw error
  }
}

/** Asks the real ssh to parse a candidate config, so a broken file is never written. */
async function validateWithSsh(text: string, sampleHost: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetctl-ssh-config-'))
  try {
    const candidate = join(dir, 'config')
    await writeFileSafely(candidate, text, {mode: 0o600})
    const result = await execa('ssh', ['-G', '-F', candidate, sampleHost], {reject: false, stdin: 'ignore'})
    if (result.exitCode !== 0) {
      throw new FleetError(`ssh rejects the config fleetctl would write: ${result.stderr.trim()}`, {
        code: 'ssh_config_invalid',
        exit: 'failure',
        suggestions: ['Nothing was written. Fix the reported line in your config (outside the fleetctl block) and run again.'],
      })
    }
  } finally {
    await rm(dir, {force: true, recursive: true})
  }
}

/**
 * Splices the block into an ssh_config file: validated with `ssh -G` first, a backup of the old
 * file beside it, the file's mode kept (0600 for a new file), and no write at all when nothing
 * would change.
 */
export async function writeManagedBlock(path: string, block: string, sampleHost: string): Promise<WriteResult> {
  const current = await readIfExists(path)
  let next: string
  try {
    next = spliceManagedBlock(current.text, block)
  } catch (error) {
    if (error instanceof ManagedBlockError) throw new FleetError(`${path}: ${error.message}`, {code: 'ssh_config_markers', exit: 'refused'})
    throw error
  }

  if (next === current.text) return {changed: false, path}
  await validateWithSsh(next, sampleHost)

  let backup: string | undefined
  if (current.mode !== undefined) {
    backup = `${path}.fleetctl-backup`
    await copyFile(path, backup)
  }

  await writeFileSafely(path, next, {mode: current.mode ?? 0o600, overwrite: true})
  return {backup, changed: true, path}
}

/** Writes a small file only when its content differs. */
export async function writeIfChanged(path: string, text: string, mode: number): Promise<boolean> {
  const current = await readIfExists(path)
  if (current.text === text) return false
  await writeFileSafely(path, text, {mode, overwrite: true})
  return true
}
