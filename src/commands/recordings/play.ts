import {once} from 'node:events'

import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {nonNegativeNumber} from '../../base/flags.js'
import {type AsciicastHeader, catCast, findRecording, openCast, playCast, type PlaySummary} from '../../recording/index.js'
import {statePaths} from '../../state/home.js'

export interface RecordingsPlayResult extends PlaySummary {
  header: AsciicastHeader
  /** All output, under --json. */
  output?: string
  session: string
}

export default class RecordingsPlay extends FleetCommand<typeof RecordingsPlay> {
  static override summary = 'Replay a recorded terminal session.'
  static override description = `Writes the session's output to this terminal with its original timing, like \`asciinema play\`. Pauses longer than --idle-time-limit are cut short. --cat prints all output at once, like \`asciinema cat\`. With --json nothing is replayed: the header and all output are returned.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 7d3f9a2c-4b1e-4f0a-9c8d-2e6b5a1f0c93',
    '<%= config.bin %> <%= command.id %> 7d3f9a2c-4b1e-4f0a-9c8d-2e6b5a1f0c93 --speed 4 --idle-time-limit 0.5',
    {command: '<%= config.bin %> <%= command.id %> 7d3f9a2c-4b1e-4f0a-9c8d-2e6b5a1f0c93 --cat | grep -a uptime', description: 'Search what a session printed'},
  ]

  static override args = {
    session: Args.string({description: 'Session id, as `fleetctl recordings ls` shows it.', required: true}),
  }

  static override flags = {
    cat: Flags.boolean({summary: 'Print all output at once, without timing.'}),
    'idle-time-limit': nonNegativeNumber({allowZero: true})({summary: 'Cut pauses to at most this many seconds; 0 keeps them (default: the recording\'s own limit, else 2).'}),
    speed: nonNegativeNumber({})({default: 1, summary: 'Playback speed factor: 2 is twice as fast.'}),
  }

  async run(): Promise<RecordingsPlayResult> {
    const {path} = await findRecording(statePaths(this.home).recordings, this.args.session)
    const {events, header} = await openCast(path)
    if (this.jsonEnabled()) {
      let output = ''
      const summary = await catCast(events, (text) => (output += text))
      return {...summary, header, output, session: this.args.session}
    }

    const write = (text: string) => process.stdout.write(text) || once(process.stdout, 'drain')
    const limit = this.flags['idle-time-limit'] ?? header.idle_time_limit ?? 2
    const summary = this.flags.cat
      ? await catCast(events, write)
      : await playCast(events, {idleTimeLimit: limit === 0 ? Infinity : limit, speed: this.flags.speed, write})
    return {...summary, header, session: this.args.session}
  }
}
