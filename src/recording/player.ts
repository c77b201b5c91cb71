import type {AsciicastEvent} from './asciicast.js'

export interface PlayOptions {
  /** Gaps between events are cut to this many seconds (asciinema's --idle-time-limit). */
  idleTimeLimit?: number
  /** Milliseconds now, and a wait of so many ms; injectable so tests need not wait. */
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** 2 plays twice as fast. */
  speed?: number
  write: (text: string) => unknown
}

export interface PlaySummary {
  /** Seconds the replay took at its speed, idle gaps cut. */
  duration: number
  events: number
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Replays output events with their timing. Waits are measured against one schedule, not
 * chained, so thousands of small events do not drift.
 */
export async function playCast(events: AsyncIterable<AsciicastEvent>, options: PlayOptions): Promise<PlaySummary> {
  const speed = options.speed ?? 1
  const limit = options.idleTimeLimit ?? Infinity
  const sleep = options.sleep ?? realSleep
  const now = options.now ?? Date.now
  let previous = 0
  let schedule = 0
  let count = 0
  const started = now()
  for await (const [time, code, data] of events) {
    if (code !== 'o') continue
    schedule += Math.min(Math.max(time - previous, 0), limit) / speed
    previous = time
    const wait = started + schedule * 1000 - now()
    if (wait > 0) await sleep(wait)
    await options.write(data)
    count++
  }

  return {duration: Math.round(schedule * 1000) / 1000, events: count}
}

/** All output at once, like `asciinema cat`. */
export async function catCast(events: AsyncIterable<AsciicastEvent>, write: (text: string) => unknown): Promise<PlaySummary> {
  let count = 0
  let last = 0
  for await (const [time, code, data] of events) {
    if (code !== 'o') continue
    await write(data)
    count++
    last = time
  }

  return {duration: last, events: count}
}
