import {Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {since} from '../../base/flags.js'
import {formatRecordingsTable, listRecordings, type RecordingEntry} from '../../recording/index.js'
import {statePaths} from '../../state/home.js'

export interface RecordingsLsResult {
  recordings: RecordingEntry[]
}

export default class RecordingsLs extends FleetCommand<typeof RecordingsLs> {
  static override summary = 'List recorded sessions, oldest first.'
  static override description = `Reads the index of the recordings folder in the state directory. Terminal sessions have an asciicast recording (play it with \`fleetctl recordings play\`); sessions without a terminal (exec, sftp, scp) have byte counts and a sha256 per stream (shown with --json). A session without an end is still running, or its proxy stopped before it ended.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --user alice --since 7d',
    '<%= config.bin %> <%= command.id %> --host web1.example.com --json',
  ]

  static override flags = {
    host: Flags.string({summary: 'Only sessions to this host.'}),
    since: since(),
    user: Flags.string({summary: 'Only sessions of this fleet user.'}),
  }

  async run(): Promise<RecordingsLsResult> {
    const recordings = await listRecordings(statePaths(this.home).recordings, {host: this.flags.host, since: this.flags.since, user: this.flags.user})
    if (recordings.length === 0) this.say('No recorded sessions match.')
    else this.say(formatRecordingsTable(recordings))
    return {recordings}
  }
}
