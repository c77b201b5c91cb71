import {Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {type InitResult, initCertificateAuthorities} from '../../ca/store.js'

export default class CaInit extends FleetCommand<typeof CaInit> {
  static override summary = 'Create the fleet\'s user CA and host CA in the state directory.'
  static override description = `The user CA signs user certificates that every host's sshd trusts (TrustedUserCAKeys); the host CA signs host certificates that clients and the proxy trust (@cert-authority). Private keys are written 0600. An existing CA (one brought in with \`ca import\`) is kept, never overwritten.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --cluster example.com --key-type ecdsa',
  ]

  static override flags = {
    cluster: Flags.string({env: 'FLEETCTL_CLUSTER', summary: 'Cluster name, used in exports and key comments (default: this machine\'s hostname).'}),
    'key-type': Flags.option({default: 'ed25519', options: ['ed25519', 'ecdsa', 'rsa'] as const, summary: 'CA key type (ecdsa is P-256, rsa is 4096 bits).'})(),
  }

  async run(): Promise<InitResult> {
    const result = await initCertificateAuthorities(this.home, {cluster: this.flags.cluster, keyType: this.flags['key-type']})
    this.say(`Created the certificate authorities of cluster ${result.cluster} in ${result.home}:`)
    for (const [name, ca] of [['user', result.userCA], ['host', result.hostCA]] as const) {
      this.say(`  ${name} CA  ${ca.fingerprint}  ${ca.path}${ca.existing ? '  (there already, kept)' : ''}`)
    }

    this.say('Next: `fleetctl ca export --type user` for the hosts\' TrustedUserCAKeys.')
    return result
  }
}
