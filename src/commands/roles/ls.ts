import {FleetCommand} from '../../base/command.js'
import {listRoles} from '../../identity/admin.js'
import {type RoleDocument, roleToDocument} from '../../identity/role-file.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class RolesLs extends FleetCommand<typeof RolesLs> {
  static override summary = 'List the roles, the built-in admin and auditor first.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{roles: (RoleDocument & {builtin: boolean})[]}> {
    const roles = (await listRoles(FileIdentityStore.forHome(this.home))).map(roleToDocument)
    for (const role of roles) {
      this.say(`${role.name.padEnd(16)} logins: ${role.logins?.join(',') || '-'}  hosts: ${[...(role.hosts ?? []), ...(role.groups ?? []).map((g) => `group:${g}`)].join(',') || '-'}  max_ttl: ${role.max_ttl}${role.builtin ? '  (built-in)' : ''}`)
    }
    return {roles}
  }
}
