/**
 * Brute-force limits for logins: failures are counted per user name and per source address, and
 * a key with too many failures in the window is locked out for a while. Unknown names count the
 * same as known ones, so a lockout tells nothing about whether a user exists. Kept in memory of
 * one proxy; a shared store keeps them across proxies later.
 */

export interface ThrottlePolicy {
  /** Failures (per user name) within `windowSeconds` that lock the name out. */
  maxFailuresPerUser: number
  /** Failures from one source address that lock the address out (higher: many people share a NAT). */
  maxFailuresPerAddress: number
  windowSeconds: number
  lockoutSeconds: number
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {lockoutSeconds: 15 * 60, maxFailuresPerAddress: 100, maxFailuresPerUser: 20, windowSeconds: 15 * 60}

interface Counter {
  failures: number[]
  lockedUntil?: number
}

export class LoginThrottle {
  private readonly counters = new Map<string, Counter>()

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  /** Whether a login for `user` from `address` is refused for now, and until when. */
  lockedOut(user: string, address: string): {until: number} | undefined {
    const now = this.now()
    for (const key of [`u:${user}`, `a:${address}`]) {
      const until = this.counters.get(key)?.lockedUntil
      if (until !== undefined && until > now) return {until}
    }
    return undefined
  }

  fail(user: string, address: string): void {
    this.count(`u:${user}`, this.policy.maxFailuresPerUser)
    this.count(`a:${address}`, this.policy.maxFailuresPerAddress)
  }

  /** A success clears the user's failures (not the address's: one good account does not excuse guessing others). */
  succeed(user: string): void {
    this.counters.delete(`u:${user}`)
  }

  private count(key: string, limit: number): void {
    const now = this.now()
    const counter = this.counters.get(key) ?? {failures: []}
    counter.failures = counter.failures.filter((time) => time > now - this.policy.windowSeconds)
    counter.failures.push(now)
    if (counter.failures.length >= limit) {
      counter.lockedUntil = now + this.policy.lockoutSeconds
      counter.failures = []
    }
    this.counters.set(key, counter)
    if (this.counters.size > 100_000) this.prune(now)
  }

  private prune(now: number): void {
    for (const [key, counter] of this.counters) {
      if ((counter.lockedUntil ?? 0) < now && counter.failures.every((time) => time <= now - this.policy.windowSeconds)) this.counters.delete(key)
    }
  }
}
