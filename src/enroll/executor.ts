import {execa} from 'execa'

/** What one command on a host printed and how it exited. */
export interface CommandOutcome {
  exitCode: number
  stderr: string
  stdout: string
}

/**
 * Runs shell scripts on one host: over the operator's SSH connection, or on this machine for
 * `--local`. Every step of enrollment goes through this, so the steps do not care which.
 */
export interface HostExecutor {
  /** Name for messages: the target as the operator wrote it, or "this machine". */
  readonly name: string
  /** `sh -c script sh ...args` on the host (through `sudo -n` when asked), stdin from `input`. */
  run(script: string, args?: string[], options?: {input?: string}): Promise<CommandOutcome>
  close(): Promise<void>
}

/** POSIX single-quoting: the text reaches the remote shell as one word, whatever it holds. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/** The argv that runs `script` with `args` under sh, optionally through non-interactive sudo. */
export function shellCommand(script: string, args: string[], sudo: boolean): string[] {
  const command = ['sh', '-c', script, 'sh', ...args]
  return sudo ? ['sudo', '-n', '--', ...command] : command
}

/** `enroll host --local`: the same steps on the machine fleetctl runs on. */
export class LocalExecutor implements HostExecutor {
  readonly name = 'localhost'

  constructor(private readonly options: {sudo?: boolean} = {}) {}

  async run(script: string, args: string[] = [], options: {input?: string} = {}): Promise<CommandOutcome> {
    const [file, ...rest] = shellCommand(script, args, this.options.sudo ?? false)
    const result = await execa(file, rest, {
      reject: false,
      ...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input}),
      stripFinalNewline: false,
      timeout: 120_000,
    })
    return {exitCode: result.exitCode ?? 1, stderr: String(result.stderr ?? result.message ?? ''), stdout: String(result.stdout ?? '')}
  }

  async close(): Promise<void> {}
}

/** The first line worth showing from a command's stderr (or stdout), for one-line reasons. */
export function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  )
}

/** The last non-debug line of ssh's stderr: the one that says why a connection failed. */
export function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('debug') && !line.startsWith('OpenSSH_') && !line.startsWith('Warning: Permanently added'))
  return lines.at(-1) ?? ''
}
