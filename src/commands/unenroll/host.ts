import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {concurrencyFlag, HOST_RUN_EXIT_CODES, progressStyle, reloadCommandFlag, sshAccess, sshAccessFlags, sshdConfigFlag, sshdConfigPath} from '../../enroll/flags.js'
import {canPrompt, confirmChanges, confirmHostKey} from '../../enroll/prompts.js'
import {renderSummary, runExitCode, type RunReport} from '../../enroll/run.js'
import {collectTargets} from '../../enroll/targets.js'
import {unenrollHosts} from '../../enroll/unenroll.js'

export default class UnenrollHost extends FleetCommand<typeof UnenrollHost> {
  static override summary = 'Take hosts out of the fleet: remove exactly what enrollment added.'
  static override description = `Removes fleetctl's managed lines from sshd_config (or its drop-in), the host certificate it signed, the host key it generated (never one that was there before) and the fleet user CA key; checks with sshd -t, reloads sshd and checks that your own login still works, else puts every byte back. Hosts are named as for enroll host ([user@]host[:port], --inventory, --local).

${HOST_RUN_EXIT_CODES}`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --local --sshd-config ./sshd_config --dry-run', description: 'Show what unenrolling this machine would remove from ./sshd_config'},
  ]

  static override strict = false
  static override args = {hosts: Args.string({description: 'Hosts as [user@]host[:port].'})}

  static override flags = {
    ...sshAccessFlags,
    concurrency: concurrencyFlag,
    'dry-run': Flags.boolean({summary: 'Print what would be removed and change nothing.'}),
    inventory: Flags.string({env: 'FLEETCTL_INVENTORY', summary: 'File of hosts: one [user@]host[:port] per line, or an Ansible INI/YAML inventory.'}),
    local: Flags.boolean({exclusive: ['inventory', 'identity', 'ssh-config', 'ssh-option'], summary: 'Unenroll the machine fleetctl runs on, without SSH.'}),
    'reload-command': reloadCommandFlag,
    'sshd-config': sshdConfigFlag,
    yes: Flags.boolean({char: 'y', env: 'FLEETCTL_YES', summary: 'Do not ask before changing hosts.'}),
  }

  async run(): Promise<RunReport> {
    const {flags} = this
    const interactive = canPrompt({json: this.jsonEnabled(), yes: flags.yes})
    const result = await unenrollHosts(
      {home: this.home, sshdConfig: sshdConfigPath(flags['sshd-config'], flags.local), ...(flags['reload-command'] ? {reloadCommand: flags['reload-command']} : {})},
      {
        hosts: flags.local ? 'local' : await collectTargets(this.positionals, flags.inventory),
        access: sshAccess(flags),
        acceptNewHostKey: flags['accept-new-host-key'],
        concurrency: flags.concurrency,
        dryRun: flags['dry-run'],
        progress: progressStyle(this.jsonEnabled()),
        ...(flags['reload-command'] ? {reloadCommand: flags['reload-command']} : {}),
        ...(interactive ? {confirmHostKey, confirmChanges} : {}),
      },
    )
    for (const host of result.hosts) if (host.diff) this.say(`== ${host.host}\n${host.diff}`)
    this.say(renderSummary(result))
    if (result.counts.failed > 0) process.exitCode = runExitCode(result)
    return result
  }
}
