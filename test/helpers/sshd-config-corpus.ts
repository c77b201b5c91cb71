import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {IncludedFile, PlannedFile} from '../../src/sshd-config/index.js'

export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/sshd_config/', import.meta.url))

/** One fixture directory: a copy of /etc/ssh holding sshd_config and maybe sshd_config.d/. */
export interface CorpusEntry {
  name: string
  main: string
  /** Drop-ins, named as they would be under /etc/ssh. */
  included: IncludedFile[]
}

export function loadCorpus(): CorpusEntry[] {
  return readdirSync(CORPUS_DIR, {withFileTypes: true})
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const dir = join(CORPUS_DIR, name)
      const dropInDir = join(dir, 'sshd_config.d')
      const dropIns = readdirSync(dir).includes('sshd_config.d') ? readdirSync(dropInDir).sort() : []
      return {
        name,
        main: readFileSync(join(dir, 'sshd_config'), 'utf8'),
        included: dropIns.map((file) => ({path: `/etc/ssh/sshd_config.d/${file}`, text: readFileSync(join(dropInDir, file), 'utf8')})),
      }
    })
}

/** Files on a pretend host after a plan is applied: path -> text, absent when deleted. */
export function applyPlannedFiles(files: Map<string, string>, planned: readonly PlannedFile[]): Map<string, string> {
  const result = new Map(files)
  for (const file of planned) {
    if (file.after === null) result.delete(file.path)
    else result.set(file.path, file.after)
  }
  return result
}
