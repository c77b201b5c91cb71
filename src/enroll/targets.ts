import {FleetError} from '../base/errors.js'
import {readUserFile} from '../state/files.js'
import {parseInventoryFile} from './inventory-file.js'
import {type HostTarget, parseTarget} from './target.js'

/** The hosts a command names: arguments, an inventory file, or neither (an error that says how). */
export async function collectTargets(args: string[], inventoryFile?: string): Promise<HostTarget[]> {
  const targets = args.map((arg) => parseTarget(arg))
  if (inventoryFile) targets.push(...parseInventoryFile(await readUserFile(inventoryFile, 'inventory'), inventoryFile).hosts)
  if (targets.length === 0) {
    throw new FleetError('no hosts given', {
      code: 'no_hosts',
      exit: 'usage',
      suggestions: ['Name hosts as arguments ([user@]host[:port]), pass --inventory FILE, or use --local for this machine.'],
    })
  }
  const seen = new Set<string>()
  return targets.filter((target) => !seen.has(target.spec) && seen.add(target.spec))
}
