import {Listr, ListrLogger, ProcessOutput} from 'listr2'

/** How per-host progress shows: redrawn lines on a terminal, plain lines on stderr, or nothing (--json). */
export type ProgressStyle = 'tty' | 'lines' | 'silent'

export type HostTaskResult<T> = {ok: true; value: T} | {ok: false; error: Error}

/**
 * Runs `action` for every host, `concurrency` at a time, one progress line per host. Every host
 * runs to its end; the caller gets each host's value or error in the order given.
 */
export async function runHostTasks<H, T>(
  hosts: readonly H[],
  options: {concurrency: number; style: ProgressStyle; name: (host: H) => string; done?: (value: T) => string},
  action: (host: H, step: (text: string) => void) => Promise<T>,
): Promise<HostTaskResult<T>[]> {
  const results: HostTaskResult<T>[] = hosts.map(() => ({ok: false, error: new Error('not run')}))
  if (hosts.length === 0) return results
  const logger = new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})
  const list = new Listr(
    hosts.map((host, index) => ({
      title: options.name(host),
      task: async (_context: unknown, task: {title: string}) => {
        const name = options.name(host)
        try {
          const value = await action(host, (text) => (task.title = `${name}: ${text}`))
          results[index] = {ok: true, value}
          task.title = options.done ? `${name}: ${options.done(value)}` : name
        } catch (error) {
          results[index] = {ok: false, error: error as Error}
          throw new Error(`${name}: ${(error as Error).message}`)
        }
      },
    })),
    {
      concurrent: Math.max(1, options.concurrency),
      exitOnError: false,
      registerSignalListeners: false,
      renderer: options.style === 'tty' ? 'default' : options.style === 'lines' ? 'simple' : 'silent',
      rendererOptions: {logger},
      fallbackRenderer: 'simple',
      fallbackRendererOptions: {logger},
    },
  )
  try {
    await list.run()
  } catch {
    // Each host's error is already in its result.
  }
  return results
}
