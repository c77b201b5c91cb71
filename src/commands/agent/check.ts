import {Flags} from '@oclif/core'

import {type AgentReport, checkAgent} from '../../agent/check.js'
import {FleetCommand} from '../../base/command.js'
import {durationFlag} from '../../base/flags.js'
import {loadCAPublicKey} from '../../ca/store.js'

export default class AgentCheck extends FleetCommand<typeof AgentCheck> {
  static override summary = 'Check that your ssh-agent holds a valid fleet certificate.'
  static override description = `Reads the agent in SSH_AUTH_SOCK, finds the certificates signed by the fleet user CA and reports principals, key id and time left. Exits non-zero, with the fix, when there is no agent, no fleet certificate, an expired one or one about to expire, or when the agent is GNOME Keyring or gpg-agent (they do not support certificates).`

  static override examples = [
    {command: 'eval "$(ssh-agent -s)" >/dev/null && <%= config.bin %> login --user joe --ttl 1h && <%= config.bin %> <%= command.id %>; ssh-agent -k >/dev/null', description: 'Log in, then check'},
    {command: '<%= config.bin %> <%= command.id %> --json || echo "not logged in"', description: 'In a script'},
  ]

  static override flags = {
    'min-validity': Flags.string({default: '5m', summary: 'Fail when the certificate has less time left than this.'}),
  }

  async run(): Promise<AgentReport> {
    const minSeconds = durationFlag('min-validity', this.flags['min-validity'])

    const ca = await loadCAPublicKey(this.home, 'user')
    const report = await checkAgent({minSeconds, socket: process.env.SSH_AUTH_SOCK || undefined, userCA: ca.key})
    const {certificate} = report
    this.say(`ok: ${certificate.keyId} (principals ${certificate.principals.join(', ')}), ${certificate.timeLeft} left, in the agent at ${report.agent.socket}`)
    return report
  }
}
