import {hostname} from 'node:os'

import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {commaList} from '../../base/list.js'
import {issueEnrolmentToken, updateUser, type UserView} from '../../identity/admin.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class UsersUpdate extends FleetCommand<typeof UsersUpdate> {
  static override summary = 'Change a user\'s roles or keys, or reset their password and TOTP with a new enrolment token.'
  static override examples = [
    '<%= config.bin %> users add joe --roles admin --web-addr proxy.example.com:3080 >/dev/null && <%= config.bin %> <%= command.id %> joe --roles admin,auditor',
    '<%= config.bin %> users add joe --roles admin --web-addr proxy.example.com:3080 >/dev/null && <%= config.bin %> <%= command.id %> joe --reset --web-addr proxy.example.com:3080',
  ]

  static override args = {name: Args.string({description: 'The user name.', required: true})}

  static override flags = {
    'add-ssh-key': Flags.string({multiple: true, summary: 'Register another public key line.'}),
    'remove-ssh-key': Flags.string({multiple: true, summary: 'Unregister a key, by its SHA256: fingerprint or its line.'}),
    reset: Flags.boolean({summary: 'Forget the password and TOTP seed and print a new enrolment token.'}),
    roles: Flags.string({summary: 'The new roles, comma-separated (replacing the old ones).'}),
    'tls-cert': Flags.string({env: 'FLEETCTL_PROXY_TLS_CERT', summary: 'With --reset: the certificate the proxy serves, to pin in the token.'}),
    'web-addr': Flags.string({env: 'FLEETCTL_PROXY_WEB_ADDR', summary: 'With --reset: host:port of the proxy\'s HTTPS (default: hostname:3080).'}),
  }

  async run(): Promise<{token?: string; user: UserView}> {
    const {args, flags} = this
    const store = FileIdentityStore.forHome(this.home)
    const user = await updateUser(store, args.name, {addSshKeys: flags['add-ssh-key'], removeSshKeys: flags['remove-ssh-key'], resetCredentials: flags.reset, roles: flags.roles === undefined ? undefined : commaList(flags.roles)})
    this.say(`Updated ${user.name} (roles: ${user.roles.join(', ')}; ssh keys: ${user.sshKeys.length}).`)
    if (!flags.reset) return {user}
    const issued = await issueEnrolmentToken(store, {home: this.home, name: user.name, webAddress: flags['web-addr'] ?? `${hostname()}:3080`, webCertPath: flags['tls-cert']})
    this.say(`Password and TOTP forgotten. Hand this to ${user.name}; it works once, until ${issued.tokenExpiresAt}:\n\n  ${issued.loginCommand}\n`)
    return {token: issued.token, user}
  }
}
