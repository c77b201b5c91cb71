import {Args} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {getUserView, type UserView} from '../../identity/admin.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class UsersShow extends FleetCommand<typeof UsersShow> {
  static override summary = 'Show one user: roles, enrolment and registered keys (never a secret).'
  static override examples = ['<%= config.bin %> users add joe --roles admin --web-addr proxy.example.com:3080 >/dev/null && <%= config.bin %> <%= command.id %> joe --json']
  static override args = {name: Args.string({description: 'The user name.', required: true})}

  async run(): Promise<UserView> {
    const user = await getUserView(FileIdentityStore.forHome(this.home), this.args.name)
    this.say(`${user.name}\n  roles:    ${user.roles.join(', ')}\n  enrolled: ${user.enrolled ? 'yes (password + TOTP)' : 'no'}\n  ssh keys: ${user.sshKeys.join(', ') || 'none'}\n  created:  ${user.createdAt}`)
    return user
  }
}
