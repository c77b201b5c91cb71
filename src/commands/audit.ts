import {Flags} from '@oclif/core'

import {AUDIT_EVENT_NAMES, type AuditQueryResult, formatAuditRecord, queryAudit} from '../audit/index.js'
import {FleetCommand} from '../base/command.js'
import {FleetError} from '../base/errors.js'
import {since} from '../base/flags.js'
import {statePaths} from '../state/home.js'

const EVENT_CHOICES = [...new Set([...AUDIT_EVENT_NAMES, ...AUDIT_EVENT_NAMES.map((name) => name.split('.')[0])])].sort()

export default class Audit extends FleetCommand<typeof Audit> {
  static override summary = 'Query the audit log: sessions, commands, forwards and refusals.'
  static override description = `Reads audit.log in the state directory (JSON lines, one event each) and prints the matching events, oldest first. Events: ${AUDIT_EVENT_NAMES.join(', ')}. --event takes a name or its first part (session matches session.start and session.end) and may be repeated.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --since 1h',
    '<%= config.bin %> <%= command.id %> --event session --user alice',
    '<%= config.bin %> <%= command.id %> --event auth.failure --event host.rejected --since 7d',
    '<%= config.bin %> <%= command.id %> --session 7d3f9a2c-4b1e-4f0a-9c8d-2e6b5a1f0c93 --json',
  ]

  static override flags = {
    event: Flags.string({
      helpValue: '<event>',
      multiple: true,
      async parse(input) {
        if (!EVENT_CHOICES.includes(input)) {
          throw new FleetError(`"${input}" is not an audit event`, {code: 'event_unknown', exit: 'usage', suggestions: [`Use one of ${EVENT_CHOICES.join(', ')}.`]})
        }

        return input
      },
      summary: 'Only these events (a name, or its first part: session, auth, port, ...).',
    }),
    limit: Flags.integer({min: 1, summary: 'Only the newest N matching events.'}),
    session: Flags.string({summary: 'Only events of this session.'}),
    since: since(),
    user: Flags.string({summary: 'Only events of this fleet user.'}),
  }

  async run(): Promise<AuditQueryResult> {
    const {event, limit, session, since: from, user} = this.flags
    const result = await queryAudit(statePaths(this.home).auditLog, {events: event, limit, session, since: from, user})
    for (const record of result.events) this.say(formatAuditRecord(record))
    if (result.events.length === 0) this.say('No audit events match.')
    if (result.skipped > 0) this.warn(`${result.skipped} line(s) of the audit log are not events (cut short by a crash?) and were skipped`)
    return result
  }
}
