import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {pump} from '../../../src/proxy/streams.js'

describe('pump', () => {
  it('forwards every chunk and taps them in order, small ones at once and big ones after the tick', async () => {
    const from = new PassThrough()
    const to = new PassThrough()
    const forwarded: string[] = []
    to.on('data', (chunk: Buffer) => forwarded.push(chunk.toString()))
    const tapped: string[] = []
    const done = pump(from, to, (chunk) => void tapped.push(chunk.toString()))

    // A flowing PassThrough hands a written chunk on within write(): a small chunk is tapped as it
    // is forwarded, not a tick later.
    from.write('a')
    expect(tapped).toEqual(['a'])

    // A big chunk is tapped on the next tick; a small one right behind it waits too, so order holds.
    const big = 'B'.repeat(4096)
    from.write(big)
    from.write('c')
    expect(tapped).toEqual(['a'])
    from.end()
    await done
    await new Promise((resolve) => setImmediate(resolve))
    expect(tapped).toEqual(['a', big, 'c'])
    expect(forwarded.join('')).toBe(`a${big}c`)
  })

  it('pauses the source while the tap is behind and resumes when it settles', async () => {
    const from = new PassThrough()
    const to = new PassThrough()
    to.resume()
    let settle!: () => void
    const behind = new Promise<void>((resolve) => (settle = resolve))
    let calls = 0
    const done = pump(from, to, () => (++calls === 1 ? behind : undefined))
    from.write('x')
    await new Promise((resolve) => setImmediate(resolve))
    expect(from.isPaused()).toBe(true)
    settle()
    await behind
    await new Promise((resolve) => setImmediate(resolve))
    expect(from.isPaused()).toBe(false)
    from.end()
    await done
  })
})
