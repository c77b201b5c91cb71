import {Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {commaList} from '../../base/list.js'
import {formatCAExport} from '../../ca/export.js'
import {loadCertificateAuthority} from '../../ca/store.js'
import {fingerprint} from '../../certs/index.js'

export interface CaExportResult {
  cluster: string
  fingerprint: string
  text: string
  type: 'host' | 'user'
}

export default class CaExport extends FleetCommand<typeof CaExport> {
  static override summary = 'Print a CA\'s public key for sshd (user CA) or known_hosts (host CA).'
  static override description = `--type user prints "cert-authority <key> clustername=<cluster>&type=user"; without its first word it is a TrustedUserCAKeys line. --type host prints an "@cert-authority <hosts> <key> type=host" known_hosts line. --format public-key prints the bare OpenSSH public key instead.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --type user | sed s/cert-authority\\ // > fleet_user_ca.pub', description: 'Make a TrustedUserCAKeys file (install it as e.g. /etc/ssh/fleet_user_ca.pub)'},
    {command: '<%= config.bin %> <%= command.id %> --type host --hosts \'*.example.com\' >> ~/.ssh/known_hosts', description: 'Trust the host CA for a domain'},
    '<%= config.bin %> <%= command.id %> --type user --format public-key',
  ]

  static override flags = {
    format: Flags.option({default: 'cert-authority', options: ['cert-authority', 'public-key'] as const, summary: 'Output shape.'})(),
    hosts: Flags.string({default: '*', summary: 'Host patterns for the @cert-authority line (comma-separated, known_hosts syntax).'}),
    type: Flags.option({options: ['user', 'host'] as const, required: true, summary: 'Which CA to export.'})(),
  }

  async run(): Promise<CaExportResult> {
    const ca = await loadCertificateAuthority(this.home, this.flags.type)
    const text = formatCAExport({
      cluster: ca.cluster,
      format: this.flags.format,
      hostPatterns: commaList(this.flags.hosts),
      publicKey: ca.key.publicKey,
      type: this.flags.type,
    })
    this.say(text)
    return {cluster: ca.cluster, fingerprint: fingerprint(ca.key.publicKey), text, type: this.flags.type}
  }
}
