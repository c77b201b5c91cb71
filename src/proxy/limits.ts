import type {MaxStartups} from './config.js'

/**
 * OpenSSH's MaxStartups: past `start` unauthenticated connections, drop a new one with a chance
 * that rises linearly from `rate`% to 100% at `full`.
 */
export class StartupLimiter {
  private pending = 0

  constructor(
    private readonly limits: MaxStartups,
    private readonly random: () => number = Math.random,
  ) {}

  get unauthenticated(): number {
    return this.pending
  }

  /** Admit a new connection: a release function (call once, at authentication or close), or undefined to drop it. */
  admit(): (() => void) | undefined {
    const {start, rate, full} = this.limits
    if (this.pending >= full) return undefined
    if (this.pending >= start) {
      const chance = full === start ? 100 : rate + ((100 - rate) * (this.pending - start)) / (full - start)
      if (this.random() * 100 < chance) return undefined
    }
    this.pending++
    let released = false
    return () => {
      if (released) return
      released = true
      this.pending--
    }
  }
}

/** Counts open sessions per key (a user) against a cap. */
export class SessionCounter {
  private readonly open = new Map<string, number>()

  constructor(private readonly max: number) {}

  /** A release function, or undefined when `key` is at the cap. */
  acquire(key: string): (() => void) | undefined {
    const n = this.open.get(key) ?? 0
    if (n >= this.max) return undefined
    this.open.set(key, n + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.open.get(key) ?? 1) - 1
      if (left <= 0) this.open.delete(key)
      else this.open.set(key, left)
    }
  }

  count(key: string): number {
    return this.open.get(key) ?? 0
  }
}
