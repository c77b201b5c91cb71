import {describe, expect, it} from 'vitest'

import {formatDuration, parseDuration} from '../../../src/certs/duration.js'

describe('durations', () => {
  it('parses Go-style durations with days and weeks', () => {
    expect(parseDuration('12h')).toBe(43_200)
    expect(parseDuration('1h30m')).toBe(5400)
    expect(parseDuration('90s')).toBe(90)
    expect(parseDuration('7d')).toBe(604_800)
    expect(parseDuration('2w')).toBe(1_209_600)
  })

  it('rejects what is not a duration', () => {
    for (const bad of ['', '12', 'h', '5q', '-1h', '1.5h', '0s']) expect(() => parseDuration(bad)).toThrow()
  })

  it('formats the two largest units', () => {
    expect(formatDuration(43_200)).toBe('12h')
    expect(formatDuration(2_591_999)).toBe('29d 23h')
    expect(formatDuration(45)).toBe('45s')
    expect(formatDuration(0)).toBe('0s')
  })
})
