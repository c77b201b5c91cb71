import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../base/command.js'
import {ExitCode} from '../base/errors.js'
import {type DoctorReport, runDoctor} from '../doctor/doctor.js'

const MARK = {fail: '✗', ok: '✓', skip: '-', warn: '!'} as const

export default class Doctor extends FleetCommand<typeof Doctor> {
  static override summary = 'Say why `ssh <host>` would not connect or not be recorded.'
  static override description = `Checks, in order: this installation's ssh2 (OpenSSH certificate support, and whether its native crypto binding loaded, which \`proxy start\` uses); the agent and its fleet certificate; that the effective ssh config (ssh -G) sends the host through the proxy with ForwardAgent; that the proxy is reachable and presents a fleet host certificate; that the host presents a valid fleet host certificate (when reachable from here); sshd's MaxStartups as enrollment recorded it (on the machine with the inventory); and the clock against the proxy's. Each problem comes with the exact fix. Exits 1 when any check fails.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> web-3.example.com --timeout 1 || true', description: 'Diagnose one host'},
    {command: '<%= config.bin %> <%= command.id %> --proxy 127.0.0.1:3023 --timeout 1 --json || true', description: 'Check agent, proxy and clock only, as JSON'},
  ]

  static override args = {
    host: Args.string({description: 'The fleet host you would ssh to.'}),
  }

  static override flags = {
    config: Flags.string({summary: 'The ssh_config file ssh would read (default: ssh\'s own, ~/.ssh/config).'}),
    proxy: Flags.string({env: 'FLEETCTL_PROXY', summary: 'The proxy as host[:port] (default: from the host\'s ProxyJump).'}),
    timeout: Flags.integer({default: 5, summary: 'Seconds to wait for each network probe.'}),
    web: Flags.string({summary: 'The proxy\'s web address host:port for the clock check (default: the proxy host, port 3080).'}),
  }

  async run(): Promise<DoctorReport> {
    const report = await runDoctor({
      agentSocket: process.env.SSH_AUTH_SOCK || undefined,
      home: this.home,
      host: this.args.host,
      proxy: this.flags.proxy,
      sshConfigPath: this.flags.config,
      timeoutSeconds: this.flags.timeout,
      web: this.flags.web,
    })
    for (const finding of report.findings) {
      this.say(`${MARK[finding.status]} ${finding.check}: ${finding.message}`)
      if (finding.fix) this.say(`    fix: ${finding.fix}`)
    }

    if (!report.ok) process.exitCode = ExitCode.failure
    return report
  }
}
