import {FleetCommand} from '../base/command.js'
import {logout, type LogoutResult} from '../identity/remote-login.js'

export default class Logout extends FleetCommand<typeof Logout> {
  static override summary = 'Drop your fleet key and certificate from the agent and this machine, and forget the proxy profile.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> login --local --user joe --no-agent >/dev/null && <%= config.bin %> <%= command.id %> --json']

  async run(): Promise<LogoutResult> {
    const result = await logout({agentSocket: process.env.SSH_AUTH_SOCK || undefined, home: this.home})
    this.say(result.removed.length > 0 || result.profile ? `Logged out: removed ${[...result.removed, ...(result.profile ? ['the profile'] : [])].join(', ')}.` : 'Nothing to log out of.')
    return result
  }
}
