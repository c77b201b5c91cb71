import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {durationFlag} from '../../base/flags.js'
import {concurrencyFlag, HOST_RUN_EXIT_CODES, progressStyle} from '../../enroll/flags.js'
import {canPrompt, confirmChanges} from '../../enroll/prompts.js'
import {renewHosts} from '../../enroll/renew.js'
import {renderSummary, runExitCode, type RunReport} from '../../enroll/run.js'

export default class HostsRenew extends FleetCommand<typeof HostsRenew> {
  static override summary = 'Re-sign host certificates that expire soon and push them; sshd only reloads.'
  static override description = `For every inventory host (or the ones named) whose certificate expires within --expiring-within, signs the host's existing public key again for the principals recorded at enrollment, writes the certificate, checks with sshd -t, reloads sshd and checks that a new connection presents the new certificate; on failure the old certificate is put back. Hosts are reached the way they were enrolled (same user, port, identity and ssh options).

${HOST_RUN_EXIT_CODES}`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --expiring-within 30d', description: 'Renew every certificate that runs out within 30 days'},
    {command: '<%= config.bin %> <%= command.id %> --expiring-within 60d --dry-run --json', description: 'Only list what would be renewed'},
  ]

  static override strict = false
  static override args = {hosts: Args.string({description: 'Inventory names of the hosts to renew (default: all).'})}

  static override flags = {
    concurrency: concurrencyFlag,
    'dry-run': Flags.boolean({summary: 'Show which hosts would be renewed and change nothing.'}),
    'expiring-within': Flags.string({default: '30d', env: 'FLEETCTL_EXPIRING_WITHIN', summary: 'Renew certificates that expire within this time.'}),
    force: Flags.boolean({summary: 'Renew the named hosts whatever their expiry.'}),
    ttl: Flags.string({default: '365d', env: 'FLEETCTL_HOST_TTL', summary: 'Lifetime of the new certificates.'}),
    yes: Flags.boolean({char: 'y', env: 'FLEETCTL_YES', summary: 'Do not ask before changing hosts.'}),
  }

  async run(): Promise<RunReport> {
    const {flags} = this
    const interactive = canPrompt({json: this.jsonEnabled(), yes: flags.yes})
    const result = await renewHosts({
      home: this.home,
      names: this.positionals,
      expiringWithinSeconds: durationFlag('expiring-within', flags['expiring-within']),
      force: flags.force,
      ttlSeconds: durationFlag('ttl', flags.ttl),
      concurrency: flags.concurrency,
      dryRun: flags['dry-run'],
      progress: progressStyle(this.jsonEnabled()),
      ...(interactive ? {confirmChanges} : {}),
    })
    this.say(renderSummary(result))
    if (result.counts.failed > 0) process.exitCode = runExitCode(result)
    return result
  }
}
