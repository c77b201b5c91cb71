import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execa, type Options} from 'execa'

import {type CommandResult, commandResult} from './processes.js'

export const FLEETCTL_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/** The node flags bin/run.js's `#!/usr/bin/env -S node ...` line gives, for starting it with another node binary. */
export const FLEETCTL_NODE_FLAGS = (/^#!\/usr\/bin\/env -S node(.*)$/m.exec(readFileSync(FLEETCTL_BIN, 'utf8'))?.[1] ?? '').split(' ').filter(Boolean)

/**
 * Runs the built CLI (`npm run build` first) as a user would, with its own state directory.
 * stderr comes back with oclif's line wrapping undone.
 */
export async function fleetctl(args: string[], options: Options & {home: string}): Promise<CommandResult> {
  const {env, home, ...rest} = options
  const result = await execa(process.execPath, [FLEETCTL_BIN, ...args], {
    env: {...env, FLEETCTL_HOME: home, NO_COLOR: '1'},
    reject: false,
    stdin: 'ignore',
    ...rest,
  })
  const plain = commandResult(result)
  // oclif wraps error messages to the terminal width behind " › "; tests read them as one line.
  return {...plain, stderr: plain.stderr.replaceAll(/\s*›\s*/g, ' ').replaceAll(/\s+/g, ' ').trim()}
}
