import {createReadStream} from 'node:fs'
import {copyFile, constants} from 'node:fs/promises'
import {pipeline} from 'node:stream/promises'

import {FleetError} from '../base/errors.js'

/** Copies a recording byte for byte to `out`, never over an existing file unless asked. */
export async function copyRecording(path: string, out: string, overwrite = false): Promise<void> {
  try {
    await copyFile(path, out, overwrite ? 0 : constants.COPYFILE_EXCL)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FleetError(`${out} already exists; not overwriting it`, {code: 'file_exists', exit: 'refused', suggestions: ['Pass --overwrite to replace it, or choose another --out path.']})
    }

    throw error
  }
}

/** Streams a recording byte for byte to a writable (stdout), honouring its back-pressure. */
export async function streamRecording(path: string, destination: NodeJS.WritableStream): Promise<void> {
  await pipeline(createReadStream(path), destination, {end: false})
}
