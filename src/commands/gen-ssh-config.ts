import {Flags} from '@oclif/core'

import {FleetCommand} from '../base/command.js'
import {type GeneratedSshConfig, generateSshConfig} from '../ssh-config/generate.js'

export default class GenSshConfig extends FleetCommand<typeof GenSshConfig> {
  static override summary = 'Print or install the ~/.ssh/config block that sends fleet hosts through the proxy.'
  static override description = `The block gives the proxy host ForwardAgent yes (the proxy logs in to hosts with your agent) and sends the fleet's hosts through it with ProxyJump, ForwardAgent, StrictHostKeyChecking yes and the fleet's known_hosts file (trusting the host CA). --write splices it between "# BEGIN fleetctl" and "# END fleetctl" at the top of the config, so it wins over a later "Host *"; running it again changes nothing, every byte outside the markers is kept, the old file is backed up and the file mode is kept.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --proxy proxy.example.com:3023 --hosts \'*.example.com\'',
    '<%= config.bin %> <%= command.id %> --proxy proxy.example.com --hosts \'*.example.com,10.0.*\' --write',
    '<%= config.bin %> <%= command.id %> --proxy proxy.example.com --hosts \'web-*\' --write --config ./ssh_config && ssh -G -F ./ssh_config web-3 | grep -i proxyjump',
    '<%= config.bin %> <%= command.id %> --proxy proxy.example.com --hosts \'*.example.com\' --format json',
  ]

  static override flags = {
    config: Flags.string({summary: 'The ssh_config file to write (default: ~/.ssh/config).'}),
    format: Flags.option({default: 'openssh', options: ['openssh', 'json'] as const, summary: 'Print the block as ssh_config text or as JSON.'})(),
    hosts: Flags.string({env: 'FLEETCTL_HOSTS', summary: 'Fleet host patterns, comma-separated (default: *.<cluster>).'}),
    proxy: Flags.string({env: 'FLEETCTL_PROXY', summary: 'The proxy as host[:port] (default: this machine\'s hostname, port 3023).'}),
    write: Flags.boolean({summary: 'Splice the block into the config file and write the fleet known_hosts file.'}),
  }

  async run(): Promise<GeneratedSshConfig> {
    const result = await generateSshConfig({configPath: this.flags.config, home: this.home, hosts: this.flags.hosts, proxy: this.flags.proxy, write: this.flags.write})
    if (this.flags.format === 'json') {
      if (!this.jsonEnabled()) this.log(JSON.stringify(result, null, 2))
    } else if (!result.config) {
      this.say(result.block.trimEnd())
    } else {
      this.say(result.config.changed ? `Wrote the fleetctl block to ${result.config.path}${result.config.backup ? ` (backup: ${result.config.backup})` : ''}.` : `${result.config.path} already has this block; nothing changed.`)
      this.say(`Fleet host CA trusted through ${result.knownHostsFile}.`)
    }

    return result
  }
}
