import {describe, expect, it} from 'vitest'

import {WireFormatError, WireReader, WireWriter} from '../../../src/certs/wire.js'

describe('SSH wire encoding', () => {
  it('round-trips uint32, uint64, string and mpint', () => {
    const blob = new WireWriter()
      .uint32(0xdeadbeef)
      .uint64(0xffff_ffff_ffff_ffffn)
      .string('ssh-ed25519')
      .mpint(Buffer.from([0x80, 1]))
      .mpint(Buffer.from([0, 0, 5]))
      .toBuffer()
    const r = new WireReader(blob)
    expect(r.uint32()).toBe(0xdeadbeef)
    expect(r.uint64()).toBe(0xffff_ffff_ffff_ffffn)
    expect(r.text()).toBe('ssh-ed25519')
    expect(r.mpint()).toEqual(Buffer.from([0x80, 1]))
    expect(r.mpint()).toEqual(Buffer.from([5]))
    r.end('test')
  })

  it('encodes mpints as RFC 4251 does (sign byte for a set high bit)', () => {
    expect(new WireWriter().mpint(Buffer.from([0x80])).toBuffer()).toEqual(Buffer.from([0, 0, 0, 2, 0, 0x80]))
    expect(new WireWriter().mpint(Buffer.from([0])).toBuffer()).toEqual(Buffer.from([0, 0, 0, 0]))
  })

  it('refuses truncated input, trailing bytes, negative and non-canonical mpints', () => {
    expect(() => new WireReader(Buffer.from([0, 0, 0, 5, 1])).string()).toThrow(WireFormatError)
    expect(() => new WireReader(Buffer.from([1])).end('x')).toThrow(/trailing/)
    expect(() => new WireReader(Buffer.from([0, 0, 0, 1, 0x80])).mpint()).toThrow(/negative/)
    expect(() => new WireReader(Buffer.from([0, 0, 0, 2, 0, 1])).mpint()).toThrow(/canonical/)
  })
})
