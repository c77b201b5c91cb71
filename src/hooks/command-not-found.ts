import {type Hook, toConfiguredId} from '@oclif/core'
import askDidYouMean from '@oclif/plugin-not-found'

import {closestCommand} from '../base/closest-command.js'
import {FleetError} from '../base/errors.js'
import {canPrompt} from '../enroll/prompts.js'

/**
 * A mistyped command. At a terminal, @oclif/plugin-not-found asks "Did you mean ...?" and runs the
 * answer. Without one (scripts, CI) it would only say that the command does not exist; here the
 * closest command is named instead, and the exit is a usage error (2) either way.
 */
const commandNotFound: Hook.CommandNotFound = async function (options) {
  if (canPrompt({})) {
    try {
      return await askDidYouMean.call(this, options)
    } catch (error) {
      // Declined: the plugin exits 127, a shell's "command not found"; fleetctl's table says 2.
      const exit = (error as {oclif?: {exit?: number}}).oclif
      if (exit?.exit === 127) exit.exit = 2
      throw error
    }
  }

  const {config, id} = options
  const hidden = new Set(config.commands.filter((command) => command.hidden).map((command) => command.id))
  const candidates = [...config.commandIDs, ...config.commands.flatMap((command) => command.aliases)].filter((candidate) => !hidden.has(candidate))
  const closest = closestCommand(id, candidates)
  const typed = toConfiguredId(id, config)
  const guess = closest === undefined ? '' : `; did you mean \`${config.bin} ${toConfiguredId(closest, config)}\`?`
  throw new FleetError(`\`${typed}\` is not a ${config.bin} command${guess}`, {
    code: 'command_not_found',
    exit: 'usage',
    suggestions: [`Run \`${config.bin} help\` for the list of commands.`],
  }).toCLIError()
}

export default commandNotFound
