import {userInfo} from 'node:os'

import {Flags} from '@oclif/core'

import {FleetCommand} from '../base/command.js'
import {durationFlag} from '../base/flags.js'
import {commaList} from '../base/list.js'
import {caKeySpec} from '../ca/store.js'
import {login, type LoginResult} from '../login/login.js'

export default class Login extends FleetCommand<typeof Login> {
  static override summary = 'Get a short-lived user certificate and load it into your ssh-agent.'
  static override description = `Makes a fresh key pair in the state directory, signs it with the fleet user CA, and loads key and certificate into the running ssh-agent (SSH_AUTH_SOCK) with a lifetime equal to the TTL, so the agent drops them when the certificate expires. With --no-agent the files are written only, for use with IdentityFile and CertificateFile.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --user joe --no-agent',
    '<%= config.bin %> <%= command.id %> --user joe --principals joe,deploy --ttl 8h --no-agent --json',
    {command: 'eval "$(ssh-agent -s)" && <%= config.bin %> <%= command.id %> --user joe --ttl 1h; ssh-agent -k >/dev/null', description: 'Load the certificate into a new ssh-agent'},
  ]

  static override flags = {
    'key-type': Flags.option({default: 'ed25519', options: ['ed25519', 'ecdsa', 'rsa'] as const, summary: 'Type of the key to generate.'})(),
    'no-agent': Flags.boolean({summary: 'Write the key and certificate files only; do not load them into ssh-agent.'}),
    principals: Flags.string({env: 'FLEETCTL_PRINCIPALS', summary: 'Logins the certificate allows, comma-separated (default: the user).'}),
    ttl: Flags.string({default: '12h', env: 'FLEETCTL_LOGIN_TTL', summary: 'Certificate lifetime, e.g. 12h, 30m.'}),
    // Looked up when the command runs: a value here would be the build machine's user, frozen into the manifest and --help.
    user: Flags.string({
      default: async () => userInfo().username,
      defaultHelp: async () => 'your login name',
      env: 'FLEETCTL_USER',
      summary: 'Your user name (the certificate key id and default principal).',
    }),
  }

  async run(): Promise<LoginResult> {
    const {flags} = this
    const ttlSeconds = durationFlag('ttl', flags.ttl)

    const result = await login({
      agentSocket: process.env.SSH_AUTH_SOCK || undefined,
      home: this.home,
      keySpec: caKeySpec(flags['key-type']),
      noAgent: flags['no-agent'],
      principals: commaList(flags.principals),
      ttlSeconds,
      user: flags.user,
    })
    this.say(`Logged in as ${result.keyId}: principals ${result.principals.join(', ')}, valid until ${result.validBefore}.`)
    this.say(result.agent ? `Loaded ${result.keyPath} and its certificate into the agent at ${result.agent}.` : `Wrote ${result.keyPath} and ${result.certificatePath}.`)
    return result
  }
}
