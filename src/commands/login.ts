import {userInfo} from 'node:os'

import {Flags} from '@oclif/core'

import {FleetCommand} from '../base/command.js'
import {durationFlag} from '../base/flags.js'
import {commaList} from '../base/list.js'
import {caKeySpec} from '../ca/store.js'
import {readProfile} from '../identity/profile.js'
import {formatTtl} from '../identity/role-file.js'
import {askPassword, askTotp, readFirstLine} from '../identity/prompts.js'
import {enrol, type EnrolResult, remoteLogin, type RemoteLoginResult} from '../identity/remote-login.js'
import {normalizeFingerprint} from '../identity/token.js'
import {login, type LoginResult} from '../login/login.js'

export default class Login extends FleetCommand<typeof Login> {
  static override summary = 'Log in to the fleet\'s proxy and load a short-lived certificate into your ssh-agent.'
  static override description = `Makes a key pair here (0600; only the public key is sent), proves who you are to the proxy over HTTPS (password + TOTP code, or with --identity a registered SSH key), and loads the key and the certificate the proxy signs into your ssh-agent for the certificate's lifetime. What the certificate allows (logins, lifetime, forwarding) comes from your roles; a --ttl above your roles' cap is cut to the cap, and you are told. The proxy, user and its pinned web certificate are kept in <home>/profile.json, so the next time \`fleetctl login\` is enough. First time: --enrol with the token from your admin. The password and code are asked on a terminal, never in CI: there they come from FLEETCTL_PASSWORD (or --password-stdin) and FLEETCTL_TOTP.

--local is the admin tool on the CA's own machine: it signs with the user CA in the state directory and takes --principals from the command line (and is what runs when there is no proxy to log in to).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --local --user joe --no-agent',
    '<%= config.bin %> <%= command.id %> --local --user joe --principals joe,deploy --ttl 8h --no-agent --json',
    {command: 'eval "$(ssh-agent -s)" && <%= config.bin %> <%= command.id %> --local --user joe --ttl 1h; ssh-agent -k >/dev/null', description: 'On the CA\'s machine: load a certificate into a new ssh-agent'},
  ]

  static override flags = {
    enrol: Flags.string({env: 'FLEETCTL_ENROL_TOKEN', exclusive: ['local', 'identity'], summary: 'First time: the enrolment token from `fleetctl users add`; sets your password and TOTP.'}),
    identity: Flags.string({env: 'FLEETCTL_IDENTITY', summary: 'Log in with this registered SSH key (private key file, or its .pub with the key in the agent) instead of password + TOTP.'}),
    insecure: Flags.boolean({summary: 'Accept any web certificate from the proxy (no pinning): only on a network you trust.'}),
    'key-type': Flags.option({default: 'ed25519', options: ['ed25519', 'ecdsa', 'rsa'] as const, summary: 'Type of the key to generate.'})(),
    local: Flags.boolean({summary: 'Sign with the user CA in the state directory (admin tool on the CA\'s machine).'}),
    'no-agent': Flags.boolean({summary: 'Write the key and certificate files only; do not load them into ssh-agent.'}),
    'password-stdin': Flags.boolean({summary: 'Read the password from the first line of standard input.'}),
    principals: Flags.string({env: 'FLEETCTL_PRINCIPALS', exclusive: ['proxy', 'enrol', 'identity'], summary: 'Local signing only (implies --local): logins the certificate allows, comma-separated (default: the user).'}),
    proxy: Flags.string({env: 'FLEETCTL_PROXY_WEB_ADDR', exclusive: ['local'], summary: 'The proxy\'s HTTPS address, host[:port] (default port 3080; default: the profile\'s).'}),
    'tls-fingerprint': Flags.string({env: 'FLEETCTL_PROXY_FINGERPRINT', exclusive: ['insecure'], summary: 'Pin the proxy\'s web certificate: sha256:… (from your admin).'}),
    totp: Flags.string({env: 'FLEETCTL_TOTP', summary: 'The current code of your authenticator app (asked on a terminal otherwise).'}),
    ttl: Flags.string({env: 'FLEETCTL_LOGIN_TTL', summary: 'Certificate lifetime, e.g. 8h (default: your roles\' cap; 12h with --local).'}),
    // No static default: it would be the build machine's user, frozen into the manifest and --help.
    user: Flags.string({defaultHelp: async () => 'the profile\'s user, else your login name', env: 'FLEETCTL_USER', summary: 'Your user name.'}),
  }

  async run(): Promise<EnrolResult | LoginResult | RemoteLoginResult> {
    const {flags} = this
    const json = this.jsonEnabled()
    const password = async (confirm: boolean) => askPassword({confirm, given: flags['password-stdin'] ? await readFirstLine() : process.env.FLEETCTL_PASSWORD, json})
    if (flags.enrol) {
      const result = await enrol({home: this.home, password: () => password(true), token: flags.enrol})
      this.say(`Enrolled as ${result.user} at ${result.proxy} (web certificate ${result.tlsFingerprint} pinned).`)
      this.say(`Add this to your authenticator app (or scan it as a QR code), then run \`fleetctl login\`:\n\n  ${result.otpauthUri}\n\n  secret: ${result.totpSecret}`)
      return result
    }
    const remote = !flags.local && !flags.principals && Boolean(flags.proxy || flags.identity || (await readProfile(this.home)))
    if (!remote) {
      const user = flags.user ?? userInfo().username
      const ttlSeconds = durationFlag('ttl', flags.ttl ?? '12h')
      const result = await login({agentSocket: process.env.SSH_AUTH_SOCK || undefined, home: this.home, keySpec: caKeySpec(flags['key-type']), noAgent: flags['no-agent'], principals: commaList(flags.principals), ttlSeconds, user})
      this.say(`Logged in as ${result.keyId} with the local CA: principals ${result.principals.join(', ')}, valid until ${result.validBefore}.`)
      this.say(result.agent ? `Loaded ${result.keyPath} and its certificate into the agent at ${result.agent}.` : `Wrote ${result.keyPath} and ${result.certificatePath}.`)
      return result
    }
    if (flags.insecure) this.warn('--insecure: the proxy\'s web certificate is not checked; anyone in the middle could read your password.')
    const result = await remoteLogin({
      agentSocket: process.env.SSH_AUTH_SOCK || undefined,
      credentials: {password: () => password(false), totp: () => askTotp({given: flags.totp, json})},
      fingerprint: flags['tls-fingerprint'] ? normalizeFingerprint(flags['tls-fingerprint']) : undefined,
      home: this.home,
      identity: flags.identity,
      insecure: flags.insecure || undefined,
      keySpec: caKeySpec(flags['key-type']),
      noAgent: flags['no-agent'],
      proxy: flags.proxy,
      ttlSeconds: flags.ttl ? durationFlag('ttl', flags.ttl) : undefined,
      user: flags.user,
    })
    this.say(`Logged in to ${result.proxy} as ${result.user} (roles: ${result.roles.join(', ')}): logins ${result.principals.join(', ')}, valid until ${result.validBefore}.`)
    if (result.ttlCapped) this.say(`You asked for ${flags.ttl}; your roles allow at most ${formatTtl(result.ttlSeconds)} (role ${result.ttlRole}), so the certificate lasts that long.`)
    this.say(result.agent ? `Loaded ${result.keyPath} and its certificate into the agent at ${result.agent}.` : `Wrote ${result.keyPath} and ${result.certificatePath}.`)
    return result
  }
}
