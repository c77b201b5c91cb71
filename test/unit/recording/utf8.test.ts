import {randomBytes} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {incompleteTailStart, Utf8StreamDecoder} from '../../../src/recording/utf8.js'

/** What a decoder that sees the whole stream at once makes of it (WHATWG, U+FFFD for bad bytes). */
const whole = (bytes: Buffer) => new TextDecoder('utf-8', {ignoreBOM: true}).decode(bytes)

function decodeInChunks(bytes: Buffer, cuts: number[]): string {
  const decoder = new Utf8StreamDecoder()
  let text = ''
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    text += decoder.write(bytes.subarray(from, cut))
    from = cut
  }

  return text + decoder.end()
}

describe('UTF-8 stream decoding', () => {
  const sample = Buffer.from('a é € 𝄞 ✓ z', 'utf8')

  it('holds back a sequence cut at any byte and completes it with the next chunk', () => {
    for (let cut = 0; cut <= sample.length; cut++) {
      expect(decodeInChunks(sample, [cut]), `cut at ${cut}`).toBe('a é € 𝄞 ✓ z')
    }
  })

  it('survives every chunk being a single byte', () => {
    expect(decodeInChunks(sample, [...sample.keys()].slice(1))).toBe('a é € 𝄞 ✓ z')
  })

  it('emits nothing for a chunk that is only the start of a sequence', () => {
    const decoder = new Utf8StreamDecoder()
    expect(decoder.write(Buffer.from([0xf0, 0x9d]))).toBe('')
    expect(decoder.pending).toBe(2)
    expect(decoder.write(Buffer.from([0x84, 0x9e, 0x41]))).toBe('𝄞A')
    expect(decoder.pending).toBe(0)
  })

  it('turns invalid bytes into U+FFFD', () => {
    expect(decodeInChunks(Buffer.from([0x41, 0xff, 0x42, 0xc0, 0xaf, 0x43]), [2])).toBe('A\uFFFDB\uFFFD\uFFFDC')
    // A lead byte followed by something that cannot continue it.
    expect(decodeInChunks(Buffer.from([0xe2, 0x82, 0x41]), [1])).toBe('\uFFFDA')
  })

  it('decodes a sequence the stream ends in the middle of as U+FFFD', () => {
    expect(decodeInChunks(Buffer.from([0x41, 0xe2, 0x82]), [])).toBe('A\uFFFD')
  })

  it('keeps a byte order mark (terminal output is not a document)', () => {
    expect(decodeInChunks(Buffer.from([0xef, 0xbb, 0xbf, 0x41]), [1])).toBe('\uFEFFA')
  })

  it('matches decoding the whole stream at once, for random bytes cut at random places', () => {
    for (let round = 0; round < 200; round++) {
      const bytes = randomBytes(1 + Math.floor(Math.random() * 300))
      const cuts = [...new Set(Array.from({length: Math.floor(Math.random() * 20)}, () => Math.floor(Math.random() * bytes.length)))].sort((a, b) => a - b)
      expect(decodeInChunks(bytes, cuts)).toBe(whole(bytes))
    }
  })

  it('finds the start of a cut-short tail', () => {
    expect(incompleteTailStart(Buffer.from('abc'))).toBe(3)
    expect(incompleteTailStart(Buffer.from([0x41, 0xe2, 0x82]))).toBe(1)
    expect(incompleteTailStart(Buffer.from([0x41, 0xe2, 0x82, 0xac]))).toBe(4)
    expect(incompleteTailStart(Buffer.from([0xf0, 0x9d, 0x84]))).toBe(0)
    expect(incompleteTailStart(Buffer.from([0x80, 0x80, 0x80, 0x80]))).toBe(4)
  })
})
