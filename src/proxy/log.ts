/** One JSON line per event: `{"time","level","event",...fields}`. Never log key material or session bytes. */
export type LogLevel = 'debug' | 'error' | 'info' | 'warn'

export type LogFields = Record<string, unknown>

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  error(event: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger
}

export function jsonLogger(write: (line: string) => void, base: LogFields = {}): Logger {
  const log = (level: LogLevel, event: string, fields: LogFields = {}) => {
    write(`${JSON.stringify({time: new Date().toISOString(), level, event, ...base, ...fields}, replacer)}\n`)
  }
  return {
    log,
    info: (event, fields) => log('info', event, fields),
    warn: (event, fields) => log('warn', event, fields),
    error: (event, fields) => log('error', event, fields),
    child: (fields) => jsonLogger(write, {...base, ...fields}),
  }
}

/** Errors print as their message; buffers never print (they may be keys or session bytes). */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message
  if (Buffer.isBuffer(value) || (value && typeof value === 'object' && (value as {type?: string}).type === 'Buffer')) return '[redacted]'
  if (typeof value === 'bigint') return value.toString()
  return value
}
