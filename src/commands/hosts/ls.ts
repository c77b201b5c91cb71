import {Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {durationFlag} from '../../base/flags.js'
import {type HostListing, listHosts, renderHostListing} from '../../inventory/list.js'

export default class HostsLs extends FleetCommand<typeof HostsLs> {
  static override summary = 'List enrolled hosts with their host certificate expiry.'
  static override description = `Reads the inventory in the state directory (inventory.json), soonest expiry first: the names a host was enrolled by, its certificate principals, serial and expiry, and when it was enrolled.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {command: '<%= config.bin %> <%= command.id %> --expiring-within 30d --json', description: 'Hosts whose certificate runs out within 30 days, for scripts'},
  ]

  static override flags = {
    'expiring-within': Flags.string({summary: 'Only hosts whose certificate expires within this time, e.g. 30d.'}),
  }

  async run(): Promise<HostListing> {
    const window = this.flags['expiring-within']
    const listing = await listHosts(this.home, window ? {expiringWithinSeconds: durationFlag('expiring-within', window)} : {})
    this.say(renderHostListing(listing))
    return listing
  }
}
