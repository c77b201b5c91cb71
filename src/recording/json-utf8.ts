import {incompleteTailStart} from './utf8.js'

/**
 * Terminal output straight to the body of a JSON string, bytes to bytes, in one pass: valid
 * UTF-8 is copied, each maximal invalid subpart becomes U+FFFD (as the WHATWG decoder does) and
 * what JSON must escape is escaped as JSON.stringify does. The result equals
 * `JSON.stringify(new TextDecoder().decode(bytes))` without its quotes, at several times the
 * speed on binary output, where decode, stringify and re-encode each walk and copy the data.
 */

const HEX = '0123456789abcdef'
const SHORT_ESCAPES: Record<number, string> = {0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\'}

/** For each ASCII byte, the length of its escape (0: copied as is) and, 6 bytes apart, the escape. */
const ESCAPE_LENGTH = new Uint8Array(128)
const ESCAPE_BYTES = new Uint8Array(128 * 6)
for (let byte = 0; byte < 128; byte++) {
  const escape = SHORT_ESCAPES[byte] ?? (byte < 0x20 ? `\\u00${HEX[byte >> 4]}${HEX[byte & 15]}` : '')
  ESCAPE_LENGTH[byte] = escape.length
  ESCAPE_BYTES.set(Buffer.from(escape, 'latin1'), byte * 6)
}

/** The most output one input byte can produce (`\u00XX`). */
const MAX_EXPANSION = 6

/** Writes the escaped form of `bytes` into `out` at `at`; returns the end offset. */
export function escapeUtf8Json(bytes: Uint8Array, out: Uint8Array, at: number): number {
  let o = at
  const n = bytes.length
  let i = 0
  while (i < n) {
    const b = bytes[i]
    if (b < 0x80) {
      const length = ESCAPE_LENGTH[b]
      if (length === 0) out[o++] = b
      else for (let k = b * 6, end = k + length; k < end; k++) out[o++] = ESCAPE_BYTES[k]
      i++
      continue
    }

    // How long the sequence should be, and the range its second byte must fall in.
    let length = 0
    let low = 0x80
    let high = 0xbf
    if (b >= 0xc2 && b <= 0xdf) length = 2
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3
      if (b === 0xe0) low = 0xa0
      else if (b === 0xed) high = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4
      if (b === 0xf0) low = 0x90
      else if (b === 0xf4) high = 0x8f
    }

    // The maximal valid prefix of the sequence: all of it, or what becomes one U+FFFD.
    let valid = length === 0 ? 0 : 1
    if (valid && i + 1 < n && bytes[i + 1] >= low && bytes[i + 1] <= high) {
      valid = 2
      while (valid < length && i + valid < n && bytes[i + valid] >= 0x80 && bytes[i + valid] <= 0xbf) valid++
    }

    if (length !== 0 && valid === length) {
      for (let k = 0; k < length; k++) out[o++] = bytes[i + k]
      i += length
    } else {
      out[o++] = 0xef // U+FFFD
      out[o++] = 0xbf
      out[o++] = 0xbd
      i += Math.max(valid, 1)
    }
  }

  return o
}

/**
 * Where every escaper escapes into, one per thread: escaping is synchronous and its result is
 * copied out before it returns. (One per escaper kept 384 KiB per recorded terminal session.)
 */
let scratch = Buffer.allocUnsafeSlow(0)

function scratchFor(bytes: number): Buffer {
  if (bytes * MAX_EXPANSION > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(bytes, 64 * 1024) * MAX_EXPANSION)
  return scratch
}

/**
 * The streaming form: a sequence cut by the end of a chunk waits for the next one, so the
 * pieces together equal escaping the whole stream at once.
 */
export class JsonUtf8StreamEscaper {
  private carry: Buffer | undefined

  /** The escaped bytes of `chunk`, in a buffer of their own. */
  write(chunk: Uint8Array): Buffer {
    let bytes: Uint8Array = chunk
    if (this.carry) {
      bytes = Buffer.concat([this.carry, chunk])
      this.carry = undefined
    }

    const cut = incompleteTailStart(bytes as Buffer)
    if (cut < bytes.length) {
      this.carry = Buffer.from(bytes.subarray(cut))
      bytes = bytes.subarray(0, cut)
    }

    return this.escape(bytes)
  }

  /** Bytes held back for the next chunk. */
  get pending(): number {
    return this.carry?.length ?? 0
  }

  /** The end of the stream: a sequence still cut short becomes U+FFFD. */
  end(): Buffer {
    const rest = this.carry ?? Buffer.alloc(0)
    this.carry = undefined
    return this.escape(rest)
  }

  private escape(bytes: Uint8Array): Buffer {
    const out = scratchFor(bytes.length)
    const end = escapeUtf8Json(bytes, out, 0)
    return Buffer.from(out.subarray(0, end))
  }
}
