import {hostname} from 'node:os'

import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {durationFlag} from '../../base/flags.js'
import {commaList} from '../../base/list.js'
import {addUser, type AddedUser} from '../../identity/admin.js'
import {FileIdentityStore} from '../../identity/store.js'

export default class UsersAdd extends FleetCommand<typeof UsersAdd> {
  static override summary = 'Add a person (or a bot) and print their one-time enrolment token.'
  static override description = `Run on the proxy's machine. A person gets a one-time token to hand over: \`fleetctl login --enrol <token>\` sets their password and TOTP second factor over the proxy's HTTPS, with the proxy's web certificate fingerprint pinned from the token. A bot registered with --ssh-key needs no token: it logs in by signing with that key (\`fleetctl login --identity\`). What either may do comes from --roles (see \`fleetctl roles ls\`).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> joe --roles admin --web-addr proxy.example.com:3080',
    {
      command: 'ssh-keygen -q -t ed25519 -N "" -f ./ci && <%= config.bin %> <%= command.id %> ci-bot --roles admin --ssh-key "$(cat ./ci.pub)" --web-addr proxy.example.com:3080 --json',
      description: 'A CI bot that logs in with its own SSH key',
    },
  ]

  static override args = {name: Args.string({description: 'The user name (certificate key id; {{user}} in role logins).', required: true})}

  static override flags = {
    roles: Flags.string({required: true, summary: 'Roles, comma-separated.'}),
    'ssh-key': Flags.string({multiple: true, summary: 'A public key line the user may log in with instead of password + TOTP (bots, FIDO2 keys).'}),
    'tls-cert': Flags.string({env: 'FLEETCTL_PROXY_TLS_CERT', summary: 'The PEM certificate the proxy serves on HTTPS, to pin in the token (default: its own in <home>/proxy).'}),
    'token-ttl': Flags.string({default: '24h', summary: 'How long the enrolment token is valid.'}),
    'web-addr': Flags.string({env: 'FLEETCTL_PROXY_WEB_ADDR', summary: 'host:port people reach the proxy\'s HTTPS on (default: this machine\'s hostname:3080).'}),
  }

  async run(): Promise<AddedUser> {
    const {args, flags} = this
    const result = await addUser(FileIdentityStore.forHome(this.home), {
      home: this.home,
      name: args.name,
      roles: commaList(flags.roles),
      sshKeys: flags['ssh-key'] ?? [],
      tokenTtlSeconds: durationFlag('token-ttl', flags['token-ttl']),
      webAddress: flags['web-addr'] ?? `${hostname()}:3080`,
      webCertPath: flags['tls-cert'],
    })
    this.say(`Added ${result.user.name} (roles: ${result.user.roles.join(', ')}).`)
    if (result.token) this.say(`Hand this to ${result.user.name}; it works once, until ${result.tokenExpiresAt}:\n\n  ${result.loginCommand}\n`)
    else this.say(`${result.user.name} logs in with its registered key:\n\n  ${result.loginCommand}\n`)
    return result
  }
}
