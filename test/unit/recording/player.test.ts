import {describe, expect, it} from 'vitest'

import type {AsciicastEvent} from '../../../src/recording/asciicast.js'
import {catCast, playCast} from '../../../src/recording/player.js'

async function* from(events: AsciicastEvent[]): AsyncGenerator<AsciicastEvent> {
  yield* events
}

const events: AsciicastEvent[] = [
  [0.5, 'o', 'a'],
  [1, 'r', '100x30'],
  [1.5, 'o', 'b'],
  [61.5, 'o', 'c'], // a minute idle
  [62, 'm', 'marker'],
  [62, 'o', 'd'],
]

/** Runs playCast on a fake clock: returns what was written and when (ms). */
async function play(options: {idleTimeLimit?: number; speed?: number}) {
  let now = 0
  const writes: [number, string][] = []
  const summary = await playCast(from(events), {
    ...options,
    now: () => now,
    sleep: async (ms) => {
      now += ms
    },
    write: (text) => writes.push([now, text]),
  })
  return {summary, writes}
}

describe('replaying a recording', () => {
  it('keeps the original timing of output events', async () => {
    const {summary, writes} = await play({})
    expect(writes).toEqual([[500, 'a'], [1500, 'b'], [61_500, 'c'], [62_000, 'd']])
    expect(summary).toEqual({duration: 62, events: 4})
  })

  it('cuts idle gaps to the limit and scales by the speed', async () => {
    expect((await play({idleTimeLimit: 2})).writes).toEqual([[500, 'a'], [1500, 'b'], [3500, 'c'], [4000, 'd']])
    expect((await play({idleTimeLimit: 2, speed: 2})).writes).toEqual([[250, 'a'], [750, 'b'], [1750, 'c'], [2000, 'd']])
  })

  it('prints everything at once with cat', async () => {
    let out = ''
    expect(await catCast(from(events), (text) => (out += text))).toEqual({duration: 62, events: 4})
    expect(out).toBe('abcd')
  })
})
