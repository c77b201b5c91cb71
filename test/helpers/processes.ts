import {type ChildProcess, spawn, type SpawnOptions} from 'node:child_process'
import {createServer} from 'node:net'

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

export interface Daemon {
  readonly child: ChildProcess
  /** Everything the process wrote to stderr and stdout so far. */
  output(): string
  readonly pid: number
  /** Stops the process by its PID (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>
}

/**
 * Starts a long-running process and waits until `ready(output)` is true. The caller stops it by
 * PID, never by name, so suites can run side by side.
 */
export async function startDaemon(
  command: string,
  args: string[],
  options: SpawnOptions & {ready: (output: string) => boolean; timeoutMs?: number; what: string},
): Promise<Daemon> {
  const child = spawn(command, args, {...options, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  while (!options.ready(output)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.what} exited before it was ready (${child.exitCode ?? child.signalCode}):\n${output}`)
    }

    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${options.what} was not ready in time:\n${output}`)
    }

    await new Promise((resolve) => setTimeout(resolve, 20))
  }

  return {child, output: () => output, pid: child.pid!, stop}
}

/** What tests read from a finished command. */
export interface CommandResult {
  exitCode: number
  stderr: string
  stdout: string
}

export function commandResult(result: {exitCode?: number; stderr?: unknown; stdout?: unknown}): CommandResult {
  return {exitCode: result.exitCode ?? -1, stderr: String(result.stderr ?? ''), stdout: String(result.stdout ?? '')}
}
