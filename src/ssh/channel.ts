import type {Readable, Writable} from 'node:stream'

/** What vendor/ssh2 adds to ssh2's Channel (lib/Channel.js; see vendor/ssh2/FLEETCTL.md). */
interface DirectChannel {
  /** Send one data packet now, skipping the Writable; false when write() would queue it. */
  _fleetctlWriteNow?: (data: Buffer) => boolean
  /** The one consumer handed each data packet straight from the packet handler while the channel flows. */
  _fleetctlSink?: ((data: Buffer) => void) | undefined
}

const isChannel = (stream: unknown): stream is DirectChannel => typeof (stream as DirectChannel)._fleetctlWriteNow === 'function'

/**
 * `to.write(chunk)` for any stream, but for an ssh2 channel with nothing queued, whose window
 * and packet size take `chunk` whole, the data packet goes out at once without the stream
 * machinery's bookkeeping (what ssh2's own write would send, a few steps sooner: the latency of
 * every keystroke and echo passes through here). Returns what `write` would: false means wait
 * for 'drain'.
 */
export function writeData(to: Writable, chunk: Buffer): boolean {
  if (isChannel(to) && to._fleetctlWriteNow!(chunk)) return true
  return to.write(chunk)
}

/**
 * `from.on('data', listener)` for the stream's only consumer; an ssh2 channel also hands it each
 * data packet straight from its packet handler while it flows with nothing buffered (same order
 * and backpressure: `pause()` routes packets through the stream again). Returns the undo.
 */
export function onData(from: Readable, listener: (chunk: Buffer) => void): () => void {
  from.on('data', listener)
  const sink = isChannel(from) && from._fleetctlSink === undefined
  if (sink) from._fleetctlSink = listener
  return () => {
    from.removeListener('data', listener)
    if (sink && (from as DirectChannel)._fleetctlSink === listener) (from as DirectChannel)._fleetctlSink = undefined
  }
}
