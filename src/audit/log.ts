import {mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import {FleetError} from '../base/errors.js'
import {AppendFile} from '../recording/append-file.js'
import {type AuditEvent, formatAuditLine} from './events.js'

/**
 * The append-only audit log. Each event is one line handed to the kernel in one write on an
 * O_APPEND fd, so proxies on one machine appending to the same file never interleave halves of
 * lines. Opening fails (so the proxy does not start) if the log cannot be written.
 */
export class AuditLog {
  private constructor(private readonly file: AppendFile) {}

  get path(): string {
    return this.file.path
  }

  static async open(path: string): Promise<AuditLog> {
    try {
      await mkdir(dirname(path), {mode: 0o700, recursive: true})
      return new AuditLog(await AppendFile.open(path, {exclusive: false}))
    } catch (error) {
      throw auditError(path, error)
    }
  }

  /** Appends one event; rejects when it could not be written, which the proxy must act on. */
  async record(event: AuditEvent, time: Date = new Date()): Promise<void> {
    try {
      await this.file.append([Buffer.from(formatAuditLine(event, time))])
    } catch (error) {
      throw auditError(this.path, error)
    }
  }

  async close(): Promise<void> {
    await this.file.sync().catch(() => {})
    await this.file.close()
  }
}

function auditError(path: string, cause: unknown): FleetError {
  const code = (cause as NodeJS.ErrnoException)?.code
  return new FleetError(`cannot write the audit log ${path}: ${code ?? (cause as Error)?.message}`, {
    cause,
    code: 'audit_unavailable',
    suggestions: ['Make the state directory (--home) writable by the user the proxy runs as, and check the disk has space.'],
  })
}
