import {Args} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {removeRole} from '../../identity/admin.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class RolesRm extends FleetCommand<typeof RolesRm> {
  static override summary = 'Remove a role that no user holds.'
  static override examples = ['<%= config.bin %> roles add --name dev --logins \'{{user}}\' --hosts \'web-*\' >/dev/null && <%= config.bin %> <%= command.id %> dev']
  static override args = {name: Args.string({description: 'The role name.', required: true})}

  async run(): Promise<{removed: string}> {
    const result = await removeRole(FileIdentityStore.forHome(this.home), this.args.name)
    this.say(`Removed role ${result.removed}.`)
    return result
  }
}
