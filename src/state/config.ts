import {readFile} from 'node:fs/promises'

import {stringify} from 'yaml'

import {FleetError} from '../base/errors.js'
import type {FleetConfigFile} from '../config/schema.js'
import {parseConfigText} from '../config/validate.js'
import {writeFileSafely} from './files.js'
import {statePaths} from './home.js'

/** config.yaml in the state directory, as written; its keys are those of src/config/schema.ts. */
export type FleetConfig = FleetConfigFile

export async function readConfig(home: string): Promise<FleetConfig> {
  return readConfigFile(statePaths(home).config, {missingOk: true})
}

/**
 * A config file (config.yaml, or one named with `--config`), checked against the schema: a key
 * the schema does not know, or a value of the wrong kind, is an error naming its line.
 * Missing is an error unless `missingOk`.
 */
export async function readConfigFile(path: string, options: {missingOk?: boolean} = {}): Promise<FleetConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (options.missingOk) return {}
      throw new FleetError(`config file ${path} does not exist`, {
        code: 'config_missing',
        exit: 'missingState',
        suggestions: ['Give --config the path of an existing YAML file, or leave it out to use config.yaml in the state directory.'],
      })
    }
    throw error
  }
  return parseConfigText(text, path)
}

export async function writeConfig(home: string, config: FleetConfig): Promise<void> {
  await writeFileSafely(statePaths(home).config, stringify(config), {mode: 0o600, overwrite: true})
}
