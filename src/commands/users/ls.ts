import {FleetCommand} from '../../base/command.js'
import {listUserViews, type UserView} from '../../identity/admin.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class UsersLs extends FleetCommand<typeof UsersLs> {
  static override summary = 'List the people and bots who may log in through the proxy.'
  static override description = 'Names, roles, whether they have enrolled (password and TOTP set) and their registered SSH keys. No secret is ever shown.'
  static override examples = ['<%= config.bin %> users add joe --roles admin --web-addr proxy.example.com:3080 >/dev/null && <%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{users: UserView[]}> {
    const users = await listUserViews(FileIdentityStore.forHome(this.home))
    if (users.length === 0) this.say('No users yet; add one with `fleetctl users add NAME --roles ROLE`.')
    for (const user of users) {
      const how = [user.enrolled ? 'password+totp' : 'not enrolled', user.sshKeys.length > 0 ? `${user.sshKeys.length} ssh key(s)` : ''].filter(Boolean).join(', ')
      this.say(`${user.name.padEnd(20)} ${user.roles.join(',').padEnd(24)} ${how}`)
    }
    return {users}
  }
}
