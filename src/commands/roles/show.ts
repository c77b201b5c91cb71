import {Args} from '@oclif/core'
import {stringify} from 'yaml'

import {FleetCommand} from '../../base/command.js'
import {getRole} from '../../identity/admin.js'
import {type RoleDocument, roleToDocument} from '../../identity/role-file.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class RolesShow extends FleetCommand<typeof RolesShow> {
  static override summary = 'Show one role as YAML (the form `roles add --file` reads).'
  static override examples = ['<%= config.bin %> <%= command.id %> admin', '<%= config.bin %> <%= command.id %> auditor --json']
  static override args = {name: Args.string({description: 'The role name.', required: true})}

  async run(): Promise<RoleDocument & {builtin: boolean}> {
    const role = roleToDocument(await getRole(FileIdentityStore.forHome(this.home), this.args.name))
    this.say(stringify(role).trimEnd())
    return role
  }
}
