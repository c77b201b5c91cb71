/**
 * Decodes a byte stream that arrives in arbitrary chunks into text. A UTF-8 sequence cut at a
 * chunk boundary is held back until the next chunk; bytes that are not UTF-8 become U+FFFD.
 * The text of all chunks together equals decoding the whole stream at once.
 */
export class Utf8StreamDecoder {
  private carry: Buffer | undefined

  write(chunk: Buffer): string {
    let bytes = chunk
    if (this.carry) {
      bytes = Buffer.concat([this.carry, chunk])
      this.carry = undefined
    }

    const cut = incompleteTailStart(bytes)
    if (cut < bytes.length) {
      // Copy: the caller may reuse its buffer once write() returns.
      this.carry = Buffer.from(bytes.subarray(cut))
      bytes = bytes.subarray(0, cut)
    }

    return bytes.toString('utf8')
  }

  /** Bytes held back for the next chunk. */
  get pending(): number {
    return this.carry?.length ?? 0
  }

  /** The end of the stream: a sequence still cut short is decoded (to U+FFFD). */
  end(): string {
    const rest = this.carry?.toString('utf8') ?? ''
    this.carry = undefined
    return rest
  }
}

/** Where a multi-byte sequence starts that the end of `bytes` cuts short; `bytes.length` if none. */
export function incompleteTailStart(bytes: Buffer): number {
  const end = bytes.length
  for (let i = end - 1; i >= 0 && i >= end - 3; i--) {
    const byte = bytes[i]
    if (byte < 0x80) return end
    if (byte < 0xc0) continue // continuation byte: look further back for its lead byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2
    return end - i < length ? i : end
  }

  return end
}
