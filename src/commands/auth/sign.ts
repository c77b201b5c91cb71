import {Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {FleetError} from '../../base/errors.js'
import {durationFlag} from '../../base/flags.js'
import {commaList} from '../../base/list.js'
import {type CredentialRequest, type IssuedCredentials, issueCredentials} from '../../ca/credentials.js'
import {caKeySpec} from '../../ca/store.js'
import {DEFAULT_USER_EXTENSIONS} from '../../certs/index.js'

export default class AuthSign extends FleetCommand<typeof AuthSign> {
  static override summary = 'Issue a host or user certificate from the local CAs.'
  static override description = `Generates a key pair and writes <out> (private key, 0600) and <out>-cert.pub, or signs an existing key given with --public-key (the private key never moves). Host certificates name every --host as a principal; user certificates carry the usual extensions (pty, agent, port and X11 forwarding, user rc) unless --extensions says otherwise.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --host=api.example.com,ssh.example.com,64.225.88.175 --format=openssh --out=api.example.com',
    '<%= config.bin %> <%= command.id %> --user=joe --principals=joe,root --ttl 12h --out joe',
    '<%= config.bin %> <%= command.id %> --host=web-1.example.com --public-key ssh_host_ed25519_key.pub --out web-1',
    '<%= config.bin %> <%= command.id %> --user=ci --force-command "/usr/local/bin/deploy" --source-address 10.0.0.0/8 --ttl 15m',
  ]

  static override flags = {
    'critical-option-verify-required': Flags.boolean({summary: 'Require FIDO user verification (verify-required).'}),
    extensions: Flags.string({summary: `User certificate extensions, comma-separated (default: ${Object.keys(DEFAULT_USER_EXTENSIONS).join(',')}; "none" for none).`}),
    'force-command': Flags.string({summary: 'Critical option force-command: the only command this certificate may run.'}),
    format: Flags.option({default: 'openssh', options: ['openssh'] as const, summary: 'Output format.'})(),
    host: Flags.string({exactlyOne: ['host', 'user'], summary: 'Issue a host certificate for these names and addresses (comma-separated).'}),
    'key-id': Flags.string({summary: 'Key id logged by sshd (default: the user or first host name).'}),
    'key-type': Flags.option({default: 'ed25519', options: ['ed25519', 'ecdsa', 'rsa'] as const, summary: 'Type of the generated key.'})(),
    out: Flags.string({char: 'o', summary: 'Output path prefix (default: the user or first host name; with --public-key, beside it).'}),
    overwrite: Flags.boolean({summary: 'Replace existing output files.'}),
    principals: Flags.string({dependsOn: ['user'], summary: 'Logins the user certificate allows (comma-separated; default: the user).'}),
    'public-key': Flags.string({summary: 'Sign this existing public key file instead of generating a key (OpenSSH, RFC 4716/PuTTY or PEM).'}),
    'source-address': Flags.string({dependsOn: ['user'], summary: 'Critical option source-address: client addresses/CIDRs allowed (comma-separated).'}),
    ttl: Flags.string({env: 'FLEETCTL_SIGN_TTL', summary: 'Validity, e.g. 12h, 30d, 1h30m (default: 12h for users, 365d for hosts; 0 for forever).'}),
    user: Flags.string({exactlyOne: ['host', 'user'], summary: 'Issue a user certificate for this user.'}),
  }

  async run(): Promise<IssuedCredentials> {
    const {flags} = this
    const result = await issueCredentials({
      home: this.home,
      keySpec: caKeySpec(flags['key-type']),
      out: flags.out,
      overwrite: flags.overwrite,
      publicKeyFile: flags['public-key'],
      request: this.request(),
    })
    this.say(`The credentials have been written to ${result.files.join(', ')}`)
    return result
  }

  private request(): CredentialRequest {
    const {flags} = this
    const ttlSeconds = flags.ttl === undefined ? undefined : flags.ttl === '0' ? 0 : durationFlag('ttl', flags.ttl)

    if (flags.host) {
      const userOnly = ['force-command', 'extensions', 'critical-option-verify-required'] as const
      const misplaced = userOnly.filter((name) => flags[name])
      if (misplaced.length > 0) throw new FleetError(`--${misplaced[0]} applies to user certificates only`, {code: 'bad_flags', exit: 'usage'})
      return {hosts: commaList(flags.host), keyId: flags['key-id'], kind: 'host', ttlSeconds}
    }

    const criticalOptions: Record<string, string> = {}
    if (flags['force-command']) criticalOptions['force-command'] = flags['force-command']
    if (flags['source-address']) criticalOptions['source-address'] = flags['source-address']
    if (flags['critical-option-verify-required']) criticalOptions['verify-required'] = ''
    const extensions =
      flags.extensions === undefined ? undefined : Object.fromEntries(commaList(flags.extensions === 'none' ? '' : flags.extensions).map((name) => [name, '']))
    return {criticalOptions, extensions, keyId: flags['key-id'], kind: 'user', principals: commaList(flags.principals), ttlSeconds, user: flags.user!}
  }
}
