/**
 * The client profile (`<home>/profile.json`, 0600): which proxy this machine logs in to, as whom,
 * and the pinned fingerprint of its web certificate, so later `fleetctl login` (and the commands
 * after it) need no flags.
 */
import {readFile, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileSafely} from '../state/files.js'

export interface Profile {
  /** host:port of the proxy's HTTPS. */
  proxy: string
  user: string
  /** sha256 of its web certificate, hex. */
  fingerprint?: string
  /** The key (and `-cert.pub` beside it) of the last login. */
  keyPath?: string
  /** The SSH address of the proxy, when it told us. */
  ssh?: string
}

export const profilePath = (home: string): string => join(home, 'profile.json')

export async function readProfile(home: string): Promise<Profile | undefined> {
  try {
    return JSON.parse(await readFile(profilePath(home), 'utf8')) as Profile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export async function writeProfile(home: string, profile: Profile): Promise<void> {
  await writeFileSafely(profilePath(home), `${JSON.stringify(profile, null, 2)}\n`, {mode: 0o600, overwrite: true})
}

export async function removeProfile(home: string): Promise<boolean> {
  try {
    await unlink(profilePath(home))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}
