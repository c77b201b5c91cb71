import {createHash, randomBytes} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {sha256Stream} from '../../../src/recording/sha256-thread.js'

const sha256 = (...chunks: Buffer[]) => {
  const hash = createHash('sha256')
  for (const chunk of chunks) hash.update(chunk)
  return hash.digest('hex')
}

describe('sha256 on the hashing thread', () => {
  it('gives the digest of nothing for a stream without bytes', async () => {
    expect(await sha256Stream().digest()).toBe(sha256())
  })

  it('keeps interleaved streams apart, with chunks of every size (split above 256 KiB, wrapping the ring)', async () => {
    const streams = Array.from({length: 5}, () => ({chunks: [] as Buffer[], stream: sha256Stream()}))
    const sizes = [1, 7, 8, 9, 4095, 32_768, 262_143, 262_144, 262_145, 1_000_000]
    for (let round = 0; round < 6; round++) {
      for (const [i, entry] of streams.entries()) {
        const chunk = randomBytes(sizes[(round * 5 + i) % sizes.length]!)
        entry.chunks.push(chunk)
        entry.stream.update(chunk)
      }
      // Let the worker catch up now and then, as a session's event loop does.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const digests = await Promise.all(streams.map((entry) => entry.stream.digest()))
    expect(digests).toEqual(streams.map((entry) => sha256(...entry.chunks)))
  })

  it('copies a chunk at once: the caller may reuse its buffer', async () => {
    const stream = sha256Stream()
    const buffer = Buffer.from('first')
    stream.update(buffer)
    buffer.write('XXXXX')
    expect(await stream.digest()).toBe(sha256(Buffer.from('first')))
  })

  it('keeps what meets a full ring as a backlog, says when it has gone, and loses nothing', async () => {
    let rooms = 0
    const stream = sha256Stream(() => rooms++)
    const pool = Array.from({length: 64}, () => randomBytes(65_536))
    const expected = createHash('sha256')
    // With no chance for the event loop to run, write until the 8 MiB ring is full: the hashing
    // thread cannot keep up with copies for long, but how long depends on the machine's load, so
    // the test writes until it happens (at most 1 GiB) rather than a fixed amount.
    let last = pool[0]
    for (let written = 0; stream.backlog === 0 && written < 1 << 30; written += last.length) {
      last = pool[(written / 65_536) % pool.length]
      stream.update(last)
      expected.update(last)
    }
    expect(stream.backlog).toBeGreaterThan(0)
    // The caller may reuse a buffer that met the full ring: the backlog holds a copy.
    last.fill(0)
    while (stream.backlog > 0) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(rooms).toBeGreaterThan(0)
    expect(await stream.digest()).toBe(expected.digest('hex'))
  })

  it('refuses bytes after the digest', async () => {
    const stream = sha256Stream()
    await stream.digest()
    expect(() => stream.update(Buffer.from('late'))).toThrow(/ended/)
  })
})
