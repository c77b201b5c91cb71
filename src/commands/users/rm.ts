import {Args} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {removeUser} from '../../identity/admin.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class UsersRm extends FleetCommand<typeof UsersRm> {
  static override summary = 'Remove a user: no more logins (certificates already issued run until they expire).'
  static override examples = ['<%= config.bin %> users add joe --roles admin --web-addr proxy.example.com:3080 >/dev/null && <%= config.bin %> <%= command.id %> joe']
  static override args = {name: Args.string({description: 'The user name.', required: true})}

  async run(): Promise<{removed: string}> {
    const result = await removeUser(FileIdentityStore.forHome(this.home), this.args.name)
    this.say(`Removed ${result.removed}.`)
    return result
  }
}
