import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {commaList} from '../../base/list.js'
import {durationFlag} from '../../base/flags.js'
import {concurrencyFlag, HOST_RUN_EXIT_CODES, progressStyle, reloadCommandFlag, sshAccess, sshAccessFlags, sshdConfigFlag, sshdConfigPath} from '../../enroll/flags.js'
import {canPrompt, confirmChanges, confirmHostKey} from '../../enroll/prompts.js'
import {enrollHosts, renderSummary, runExitCode, type RunReport} from '../../enroll/run.js'
import {collectTargets} from '../../enroll/targets.js'

export default class EnrollHost extends FleetCommand<typeof EnrollHost> {
  static override summary = 'Put hosts under the fleet CAs: trust the user CA, present a host certificate.'
  static override description = `For each host, over your own SSH access (agent, ~/.ssh/config, --identity, --ssh-option): inspect sshd, generate an ed25519 host key on the host if there is none (the private key never leaves it), sign a host certificate for the names you used and the host's own names, write it and the user CA key beside sshd_config, add fleetctl's managed lines, check with sshd -t, reload sshd while the current connection stays open, and log in anew with a fleet user certificate under a strict host check. If that login fails, every file is put back and sshd reloaded again.

Name hosts as [user@]host[:port] (fleetctl enroll host root@web-1 admin@db-1:2222 --sudo) or with --inventory FILE: one host per line, or an Ansible INI or YAML inventory. --dry-run prints the diff and changes nothing; a second run reports "unchanged" and changes no byte.

${HOST_RUN_EXIT_CODES}`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --local --sshd-config ./sshd_config --dry-run', description: 'Show what enrolling this machine would change in ./sshd_config'},
    {command: '<%= config.bin %> <%= command.id %> --local --sshd-config ./sshd_config --max-startups 100:30:200 --dry-run --json', description: 'The same, with a MaxStartups fit for a recording proxy, for scripts'},
  ]

  static override strict = false
  static override args = {hosts: Args.string({description: 'Hosts as [user@]host[:port] (ssh_config aliases work).'})}

  static override flags = {
    ...sshAccessFlags,
    concurrency: concurrencyFlag,
    'dry-run': Flags.boolean({summary: 'Print the changes as a unified diff and change nothing.'}),
    inventory: Flags.string({env: 'FLEETCTL_INVENTORY', summary: 'File of hosts: one [user@]host[:port] per line, or an Ansible INI/YAML inventory.'}),
    local: Flags.boolean({exclusive: ['inventory', 'identity', 'ssh-config', 'ssh-option'], summary: 'Enroll the machine fleetctl runs on, without SSH.'}),
    'max-startups': Flags.string({env: 'FLEETCTL_MAX_STARTUPS', summary: 'Also set MaxStartups (e.g. 100:30:200; the proxy opens many connections).'}),
    principals: Flags.string({summary: 'More names for the host certificate, comma-separated.'}),
    'reload-command': reloadCommandFlag,
    'sshd-config': sshdConfigFlag,
    strategy: Flags.option({default: 'auto', options: ['auto', 'main-file', 'drop-in'] as const, summary: 'Where the managed lines go: a drop-in when sshd_config includes one, or the main file.'})(),
    ttl: Flags.string({default: '365d', env: 'FLEETCTL_HOST_TTL', summary: 'Host certificate lifetime.'}),
    yes: Flags.boolean({char: 'y', env: 'FLEETCTL_YES', summary: 'Do not ask before changing hosts.'}),
  }

  async run(): Promise<RunReport> {
    const {flags} = this
    const hosts = flags.local ? ('local' as const) : await collectTargets(this.positionals, flags.inventory)
    const interactive = canPrompt({json: this.jsonEnabled(), yes: flags.yes})
    const result = await enrollHosts({
      settings: {
        home: this.home,
        sshdConfig: sshdConfigPath(flags['sshd-config'], flags.local),
        principals: commaList(flags.principals),
        ttlSeconds: durationFlag('ttl', flags.ttl),
        ...(flags['max-startups'] ? {maxStartups: flags['max-startups']} : {}),
        ...(flags['reload-command'] ? {reloadCommand: flags['reload-command']} : {}),
        strategy: flags.strategy,
      },
      hosts,
      access: sshAccess(flags),
      acceptNewHostKey: flags['accept-new-host-key'],
      concurrency: flags.concurrency,
      dryRun: flags['dry-run'],
      progress: progressStyle(this.jsonEnabled()),
      ...(interactive ? {confirmHostKey, confirmChanges} : {}),
    })
    for (const host of result.hosts) {
      if (host.diff) this.say(`== ${host.host}\n${host.diff}`)
      for (const warning of host.warnings) this.say(`warning: ${host.host}: ${warning}`)
    }
    this.say(renderSummary(result))
    if (result.counts.failed > 0) process.exitCode = runExitCode(result)
    return result
  }
}
