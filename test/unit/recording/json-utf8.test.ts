import {randomBytes} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {escapeUtf8Json, JsonUtf8StreamEscaper} from '../../../src/recording/json-utf8.js'
import {incompleteTailStart} from '../../../src/recording/utf8.js'

/** What a decoder that sees the whole stream at once makes of it (WHATWG, U+FFFD for bad bytes). */
const whole = (bytes: Buffer) => new TextDecoder('utf-8', {ignoreBOM: true}).decode(bytes)

/** The escaped JSON string body the stream escaper makes of `bytes` cut at `cuts`. */
function escapeInChunks(bytes: Buffer, cuts: number[]): string {
  const escaper = new JsonUtf8StreamEscaper()
  const pieces: Buffer[] = []
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(escaper.write(bytes.subarray(from, cut)))
    from = cut
  }

  pieces.push(escaper.end())
  return Buffer.concat(pieces).toString('utf8')
}

/** ... and the text a JSON reader gets back from it. */
const decodeInChunks = (bytes: Buffer, cuts: number[]): string => JSON.parse(`"${escapeInChunks(bytes, cuts)}"`)

describe('UTF-8 stream decoding to JSON', () => {
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
    const escaper = new JsonUtf8StreamEscaper()
    expect(escaper.write(Buffer.from([0xf0, 0x9d])).length).toBe(0)
    expect(escaper.pending).toBe(2)
    expect(escaper.write(Buffer.from([0x84, 0x9e, 0x41])).toString()).toBe('𝄞A')
    expect(escaper.pending).toBe(0)
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

  it('matches JSON.stringify of the whole stream decoded at once, for random bytes cut at random places', () => {
    for (let round = 0; round < 300; round++) {
      // Random bytes, and random bytes biased to multi-byte lead and continuation bytes.
      const bytes = randomBytes(1 + Math.floor(Math.random() * 300))
      if (round % 2) for (let i = 0; i < bytes.length; i++) bytes[i] = 0x80 | bytes[i]
      const cuts = [...new Set(Array.from({length: Math.floor(Math.random() * 20)}, () => Math.floor(Math.random() * bytes.length)))].sort((a, b) => a - b)
      expect(escapeInChunks(bytes, cuts)).toBe(JSON.stringify(whole(bytes)).slice(1, -1))
    }
  })

  it('escapes what JSON must, as JSON.stringify does, and copies the rest', () => {
    const every = Buffer.from(Array.from({length: 128}, (_, i) => i))
    const out = Buffer.alloc(every.length * 6)
    expect(out.subarray(0, escapeUtf8Json(every, out, 0)).toString()).toBe(JSON.stringify(every.toString('latin1')).slice(1, -1))
    expect(escapeInChunks(Buffer.from('\u2028 \u2029 \u007f é'), [])).toBe(JSON.stringify('\u2028 \u2029 \u007f é').slice(1, -1))
  })

  it('handles the edges of the UTF-8 ranges (overlongs, surrogates, above U+10FFFF)', () => {
    for (const bytes of [[0xe0, 0x80, 0x80], [0xe0, 0xa0, 0x80], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80], [0xc1, 0xbf], [0xc2, 0x80]]) {
      const buffer = Buffer.from(bytes)
      expect(decodeInChunks(buffer, []), buffer.toString('hex')).toBe(whole(buffer))
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
