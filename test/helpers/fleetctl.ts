import {fileURLToPath} from 'node:url'

import {execa, type Options} from 'execa'

import {type CommandResult, commandResult} from './processes.js'

export const FLEETCTL_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/** Runs the built CLI (`npm run build` first) as a user would, with its own state directory. */
export async function fleetctl(args: string[], options: Options & {home: string}): Promise<CommandResult> {
  const {home, ...rest} = options
  const result = await execa(process.execPath, [FLEETCTL_BIN, ...args], {
    env: {FLEETCTL_HOME: home, NO_COLOR: '1'},
    reject: false,
    stdin: 'ignore',
    ...rest,
  })
  return commandResult(result)
}
