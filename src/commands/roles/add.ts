import {Flags} from '@oclif/core'
import {parse} from 'yaml'

import {FleetCommand} from '../../base/command.js'
import {FleetError} from '../../base/errors.js'
import {commaList} from '../../base/list.js'
import {addRole} from '../../identity/admin.js'
import {roleFromDocument, type RoleDocument, RoleDocumentError, roleToDocument} from '../../identity/role-file.js'
import {FileIdentityStore} from '../../identity/store.js'
import {readUserFile} from '../../state/files.js'

export default class RolesAdd extends FleetCommand<typeof RolesAdd> {
  static override summary = 'Add a role: which logins, on which hosts, for how long, with which permissions.'
  static override description = `From a YAML file (--file) or flags. Keys: name, description, logins ({{user}} is the person's own name), hosts (glob patterns on the names users dial), groups (inventory groups), max_ttl (the longest certificate lifetime, e.g. 8h), permit_pty (default true), port_forwarding (default false), agent_forwarding (default true). The built-in roles admin and auditor cannot be changed.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --name dev --logins \'{{user}},deploy\' --hosts \'web-*,*.stage.example.com\' --max-ttl 8h',
    {command: 'printf \'name: dba\\nlogins: [postgres]\\ngroups: [db]\\nmax_ttl: 1h\\nport_forwarding: true\\n\' > dba.yaml && <%= config.bin %> <%= command.id %> --file dba.yaml --json', description: 'From a YAML file'},
  ]

  static override flags = {
    'agent-forwarding': Flags.boolean({allowNo: true, exclusive: ['file'], summary: 'Allow agent forwarding (default: yes).'}),
    description: Flags.string({exclusive: ['file'], summary: 'What the role is for.'}),
    file: Flags.string({summary: 'A YAML file describing the role.'}),
    groups: Flags.string({exclusive: ['file'], summary: 'Inventory groups whose hosts the role reaches, comma-separated.'}),
    hosts: Flags.string({exclusive: ['file'], summary: 'Host name patterns the role reaches, comma-separated (globs: web-*, *.example.com).'}),
    logins: Flags.string({exclusive: ['file'], summary: 'Logins (principals), comma-separated; {{user}} is the person\'s own name.'}),
    'max-ttl': Flags.string({exclusive: ['file'], summary: 'The longest certificate lifetime (default 8h).'}),
    name: Flags.string({exclusive: ['file'], summary: 'The role name.'}),
    overwrite: Flags.boolean({summary: 'Replace a role of the same name.'}),
    'permit-pty': Flags.boolean({allowNo: true, exclusive: ['file'], summary: 'Allow interactive terminals (default: yes).'}),
    'port-forwarding': Flags.boolean({allowNo: true, exclusive: ['file'], summary: 'Allow port forwarding (default: no).'}),
  }

  async run(): Promise<RoleDocument> {
    const {flags} = this
    let document: unknown
    if (flags.file) {
      try {
        document = parse(await readUserFile(flags.file, 'role file'))
      } catch (error) {
        if (error instanceof FleetError) throw error
        throw new FleetError(`${flags.file}: ${(error as Error).message}`, {code: 'role_invalid', exit: 'usage'})
      }
    } else {
      if (!flags.name) throw new FleetError('a role needs a name', {code: 'role_invalid', exit: 'usage', suggestions: ['Pass --name, or describe the role in a YAML file with --file.']})
      document = {
        agent_forwarding: flags['agent-forwarding'],
        description: flags.description,
        groups: commaList(flags.groups),
        hosts: commaList(flags.hosts),
        logins: commaList(flags.logins),
        max_ttl: flags['max-ttl'],
        name: flags.name,
        permit_pty: flags['permit-pty'],
        port_forwarding: flags['port-forwarding'],
      }
      document = Object.fromEntries(Object.entries(document as object).filter(([, value]) => value !== undefined))
    }
    let role
    try {
      role = roleFromDocument(document)
    } catch (error) {
      if (!(error instanceof RoleDocumentError)) throw error
      throw new FleetError(`role: ${error.message}`, {code: 'role_invalid', exit: 'usage', suggestions: ['See `fleetctl roles add --help` for the keys.']})
    }
    await addRole(FileIdentityStore.forHome(this.home), role, {overwrite: flags.overwrite})
    this.say(`Added role ${role.name}.`)
    return roleToDocument(role)
  }
}
