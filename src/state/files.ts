import {randomBytes} from 'node:crypto'
import {link, mkdir, open, readFile, rename, stat, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {FleetError} from '../base/errors.js'

export interface WriteOptions {
  /** File mode; private keys are 0o600. */
  mode: number
  /** Replace an existing file (atomically); otherwise an existing file is an error. */
  overwrite?: boolean
}

/**
 * Writes a file so that readers never see half of it and a private key is never, even briefly,
 * readable by others: write a temp file with the final mode in the same directory, then rename
 * (overwrite) or hard-link (create only; fails if the name exists).
 */
export async function writeFileSafely(path: string, contents: string | Buffer, options: WriteOptions): Promise<void> {
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', options.mode)
  try {
    await handle.writeFile(contents)
    await handle.chmod(options.mode)
    await handle.sync()
  } finally {
    await handle.close()
  }

  try {
    if (options.overwrite) {
      await rename(temp, path)
      return
    }

    await link(temp, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FleetError(`${path} already exists; not overwriting it`, {
        code: 'file_exists',
        exit: 'refused',
        suggestions: ['Pass --overwrite to replace it, or choose another --out path.'],
      })
    }

    throw error
  } finally {
    await unlink(temp).catch(() => {})
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** Reads a file the user named, turning "not found" into an error that names the flag. */
export async function readUserFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new FleetError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, {
      code: 'file_unreadable',
      exit: 'missingState',
    })
  }
}
