/**
 * Durations as users write them for TTLs: Go-style `12h`, `1h30m`, `90s`, plus `d` (days) and
 * `w` (weeks), which certificate lifetimes need. Returns seconds.
 */
const UNIT_SECONDS: Record<string, number> = {d: 86_400, h: 3600, m: 60, s: 1, w: 604_800}

export function parseDuration(text: string): number {
  const trimmed = text.trim()
  if (!/^(\d+[smhdw])+$/.test(trimmed)) {
    throw new Error(`"${text}" is not a duration; use a number and a unit, e.g. 90s, 30m, 12h, 7d, 1h30m`)
  }

  let seconds = 0
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhdw])/g)) seconds += Number(amount) * UNIT_SECONDS[unit]
  if (seconds <= 0) throw new Error(`duration "${text}" must be longer than zero`)
  return seconds
}

/** `12h`, `29d 23h`, `45s`: the two largest units, for "time left" output. */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.max(0, Math.floor(totalSeconds))
  const parts: string[] = []
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }

    if (parts.length === 2) break
  }

  return parts.join(' ')
}
