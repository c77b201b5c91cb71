import type {Writable} from 'node:stream'

/** What the fleetctl patch adds to ssh2's Channel: send one data packet now, skipping the Writable. */
interface DirectChannel {
  _fleetctlWriteNow?: (data: Buffer) => boolean
}

/**
 * `to.write(chunk)` for any stream, but for an ssh2 channel with nothing queued, whose window
 * and packet size take `chunk` whole, the data packet goes out at once without the stream
 * machinery's bookkeeping (what ssh2's own write would send, a few steps sooner: the latency of
 * every keystroke and echo passes through here). Returns what `write` would: false means wait
 * for 'drain'.
 */
export function writeData(to: Writable, chunk: Buffer): boolean {
  if ((to as DirectChannel)._fleetctlWriteNow?.(chunk) === true) return true
  return to.write(chunk)
}
