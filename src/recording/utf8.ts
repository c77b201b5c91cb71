/**
 * UTF-8 arrives in chunks cut anywhere. This finds where a sequence that the end of a chunk
 * cuts short begins, so the decoder can hold those bytes back for the next chunk.
 */
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
