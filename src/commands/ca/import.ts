import {Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {importCertificateAuthority, type ImportResult} from '../../ca/import.js'
import {askPassphrase, readPassphraseFile} from '../../ca/passphrase.js'
import {canPrompt} from '../../enroll/prompts.js'

/** The key as `ssh-keygen -l -E sha256` lists it: bits, fingerprint, comment, type. */
const fingerprintLine = (result: ImportResult) =>
  `${result.bits} ${result.fingerprint} ${result.comment} (${result.algorithm === 'ssh-ed25519' ? 'ED25519' : result.algorithm === 'ssh-rsa' ? 'RSA' : 'ECDSA'})`

export default class CaImport extends FleetCommand<typeof CaImport> {
  static override summary = 'Make an existing CA key the fleet\'s user or host CA.'
  static override description = `Hosts that already trust an organisation's CA (TrustedUserCAKeys, @cert-authority) keep working: fleetctl signs with the imported key from then on. Reads OpenSSH private keys (passphrase-protected too), PEM (PKCS#1, SEC1, PKCS#8; encrypted or not) and PuTTY PPK (v2, and v3 without a passphrase). The key is stored unencrypted, 0600, in the state directory, as \`ca init\` stores its own. An existing CA is replaced only with --force. Without --passphrase-file, a protected key's passphrase is asked for on a terminal, never in CI or under --json.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --type user --key corp_user_ca --passphrase-file corp_user_ca.passphrase', description: 'Import a passphrase-protected OpenSSH user CA'},
    {command: '<%= config.bin %> <%= command.id %> --type host --key corp_host_ca.pem --force', description: 'Replace the host CA with a PEM key (the old one is kept beside it)'},
  ]

  static override flags = {
    cluster: Flags.string({env: 'FLEETCTL_CLUSTER', summary: 'Cluster name, used in exports (default: the configured one, else this machine\'s hostname).'}),
    force: Flags.boolean({summary: 'Replace an existing CA of this type; its key is kept beside it as <path>.replaced-<time>.'}),
    key: Flags.string({required: true, summary: 'The CA\'s private key file (OpenSSH, PEM or PuTTY PPK).'}),
    'passphrase-file': Flags.string({env: 'FLEETCTL_CA_PASSPHRASE_FILE', summary: 'File whose first line is the key\'s passphrase.'}),
    type: Flags.option({options: ['user', 'host'] as const, required: true, summary: 'Which CA the key becomes.'})(),
  }

  async run(): Promise<ImportResult> {
    const {flags} = this
    const result = await importCertificateAuthority({
      cluster: flags.cluster,
      force: flags.force,
      home: this.home,
      keyFile: flags.key,
      passphrase: flags['passphrase-file'] === undefined ? undefined : await readPassphraseFile(flags['passphrase-file']),
      promptPassphrase: canPrompt({json: this.jsonEnabled()}) ? askPassphrase : undefined,
      type: flags.type,
    })
    if (result.replaced) this.say(`Moved the previous ${result.type} CA to ${result.replaced}.`)
    this.say(`Imported the ${result.type} CA of cluster ${result.cluster} from a ${result.format} file into ${result.path}:`)
    this.say(`  ${fingerprintLine(result)}`)
    this.say(`Hosts and clients that trust this key accept the certificates fleetctl issues from now on.`)
    return result
  }
}
