import {Args, Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {FleetError} from '../../base/errors.js'
import {copyRecording, findRecording, streamRecording} from '../../recording/index.js'
import {statePaths} from '../../state/home.js'

export interface RecordingsExportResult {
  bytes: number
  out: string
  session: string
}

export default class RecordingsExport extends FleetCommand<typeof RecordingsExport> {
  static override summary = 'Write a session\'s asciicast recording, byte for byte, to a file or stdout.'
  static override description = `The file is asciicast v2, so asciinema (\`asciinema play\`, \`asciinema cat\`), asciinema-player and asciinema.org read it as it is. fleetctl's metadata is in the header under "fleetctl".`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 7d3f9a2c-4b1e-4f0a-9c8d-2e6b5a1f0c93 --out session.cast',
    {command: '<%= config.bin %> <%= command.id %> 7d3f9a2c-4b1e-4f0a-9c8d-2e6b5a1f0c93 | gzip > session.cast.gz', description: 'Compress it on the way out'},
  ]

  static override args = {
    session: Args.string({description: 'Session id, as `fleetctl recordings ls` shows it.', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', summary: 'File to write (default: stdout).'}),
    overwrite: Flags.boolean({dependsOn: ['out'], summary: 'Replace --out if it exists.'}),
  }

  async run(): Promise<RecordingsExportResult> {
    const {path, size} = await findRecording(statePaths(this.home).recordings, this.args.session)
    const {out} = this.flags
    if (out) {
      await copyRecording(path, out, this.flags.overwrite)
      this.say(`Wrote ${out} (${size} bytes).`)
    } else if (this.jsonEnabled()) {
      throw new FleetError('--json reports on the export, so the recording needs a file', {code: 'out_required', exit: 'usage', suggestions: ['Add --out FILE.']})
    } else {
      await streamRecording(path, process.stdout)
    }

    return {bytes: size, out: out ?? '-', session: this.args.session}
  }
}
