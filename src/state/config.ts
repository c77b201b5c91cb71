import {readFile} from 'node:fs/promises'

import {parse, stringify} from 'yaml'

import {FleetError} from '../base/errors.js'
import {writeFileSafely} from './files.js'
import {statePaths} from './home.js'

/** config.yaml in the state directory. Unknown keys are kept when the file is rewritten. */
export interface FleetConfig {
  [key: string]: unknown
  cluster?: string
}

export async function readConfig(home: string): Promise<FleetConfig> {
  return readConfigFile(statePaths(home).config, {missingOk: true})
}

/** A config file named on the command line (`--config`); missing is an error unless `missingOk`. */
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

  try {
    const value = parse(text) ?? {}
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error('the top level must be a mapping')
    return value as FleetConfig
  } catch (error) {
    throw new FleetError(`${path} is not valid YAML: ${(error as Error).message}`, {code: 'config_invalid', exit: 'usage', suggestions: [`Fix or remove ${path}.`]})
  }
}

export async function writeConfig(home: string, config: FleetConfig): Promise<void> {
  await writeFileSafely(statePaths(home).config, stringify(config), {mode: 0o600, overwrite: true})
}
