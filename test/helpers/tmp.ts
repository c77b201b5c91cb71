import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TmpDir {
  /** A folder inside the temporary directory, made on first use. */
  dir(name: string): string
  path: string
  remove(): void
}

/** A fresh temporary directory, folders inside it, and a function that removes it all. */
export function tmpDir(prefix = 'fleetctl-test-'): TmpDir {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return {
    dir(name: string) {
      const sub = join(path, name)
      mkdirSync(sub, {recursive: true})
      return sub
    },
    path,
    remove: () => rmSync(path, {force: true, recursive: true}),
  }
}
