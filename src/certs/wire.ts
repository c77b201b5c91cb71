/**
 * The SSH wire encoding (RFC 4251 §5): uint32, uint64, string, mpint, name-lists.
 * Readers are strict: a short buffer or an unread tail is an error, so that a certificate whose
 * length fields were altered fails to parse instead of parsing into something else.
 */

export class WireFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WireFormatError'
  }
}

export class WireWriter {
  private readonly parts: Buffer[] = []

  uint32(value: number): this {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(value >>> 0)
    this.parts.push(b)
    return this
  }

  uint64(value: bigint): this {
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(BigInt.asUintN(64, value))
    this.parts.push(b)
    return this
  }

  /** A length-prefixed byte string; text is written as UTF-8. */
  string(value: Buffer | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
    this.uint32(bytes.length)
    this.parts.push(bytes)
    return this
  }

  /** A non-negative multiple-precision integer given as big-endian magnitude bytes. */
  mpint(magnitude: Buffer): this {
    let start = 0
    while (start < magnitude.length && magnitude[start] === 0) start++
    let body = magnitude.subarray(start)
    if (body.length > 0 && (body[0] & 0x80) !== 0) body = Buffer.concat([Buffer.from([0]), body])
    return this.string(body)
  }

  raw(bytes: Buffer): this {
    this.parts.push(bytes)
    return this
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts)
  }
}

export class WireReader {
  private offset = 0

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset
  }

  get position(): number {
    return this.offset
  }

  private take(length: number, what: string): Buffer {
    if (length > this.remaining) throw new WireFormatError(`truncated ${what}: need ${length} bytes, have ${this.remaining}`)
    const out = this.buffer.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  uint32(what = 'uint32'): number {
    return this.take(4, what).readUInt32BE(0)
  }

  uint64(what = 'uint64'): bigint {
    return this.take(8, what).readBigUInt64BE(0)
  }

  string(what = 'string'): Buffer {
    const length = this.uint32(`${what} length`)
    return this.take(length, what)
  }

  /** A string that must be valid UTF-8 text (names, key ids, principals). */
  text(what = 'text'): string {
    const bytes = this.string(what)
    const value = bytes.toString('utf8')
    if (!Buffer.from(value, 'utf8').equals(bytes)) throw new WireFormatError(`${what} is not valid UTF-8`)
    return value
  }

  /** A non-negative mpint in canonical form (no superfluous leading zero), as magnitude bytes. */
  mpint(what = 'mpint'): Buffer {
    const bytes = this.string(what)
    if (bytes.length === 0) return bytes
    if ((bytes[0] & 0x80) !== 0) throw new WireFormatError(`${what} is negative`)
    if (bytes[0] === 0) {
      if (bytes.length === 1 || (bytes[1] & 0x80) === 0) throw new WireFormatError(`${what} is not in canonical form`)
      return bytes.subarray(1)
    }
    return bytes
  }

  rest(): Buffer {
    return this.take(this.remaining, 'rest')
  }

  /** Throws unless every byte was consumed. */
  end(what: string): void {
    if (this.remaining !== 0) throw new WireFormatError(`${this.remaining} unexpected trailing bytes after ${what}`)
  }
}
