import type {Readable, Writable} from 'node:stream'

import {onData as listen, writeData} from '../ssh/index.js'

/** Chunks under this many bytes are tapped as they are forwarded (see onData in pump). */
const TAP_AT_ONCE_BYTES = 512

/** Sees every chunk; a returned promise means "the recording is behind: pause until it settles". */
export type Tap = (chunk: Buffer) => Promise<void> | undefined | void

/**
 * Copy `from` into `to` chunk by chunk with backpressure (pause `from` while `to` is full or the
 * tap is behind, which for an SSH channel stops its window adjusts and so the sender), handing
 * each chunk to `tap`. Resolves when `from` ends or closes; never ends `to` (the caller orders
 * EOF, exit status and close itself). The tap sees each chunk just after it is forwarded.
 */
export function pump(from: Readable, to: Writable, tap?: Tap): Promise<void> {
  return new Promise((resolve) => {
    let waiting = false
    let holds = 0
    const release = () => {
      if (--holds === 0) from.resume()
    }
    const hold = () => {
      if (holds++ === 0) from.pause()
    }
    const onDrain = () => {
      waiting = false
      release()
    }
    const runTap = (chunk: Buffer) => {
      const behind = tap!(chunk)
      if (behind) {
        hold()
        behind.then(release, release)
      }
    }
    /** Taps waiting for the next tick; while any does, later chunks queue behind it (order). */
    let deferred = 0
    const runDeferredTap = (chunk: Buffer) => {
      deferred--
      runTap(chunk)
    }
    const onData = (chunk: Buffer) => {
      if (to.writable && !to.destroyed && !writeData(to, chunk) && !waiting) {
        waiting = true
        hold()
        to.once('drain', onDrain)
      }
      if (!tap) return
      // Recording never delays forwarding. A small chunk (a keystroke, its echo) has left by now
      // (ssh2 writes a small packet at once when nothing is queued), so its tap runs here; bigger
      // ones leave together on the next tick (writeBatched in the ssh2 patch), their taps after.
      if (deferred === 0 && chunk.length < TAP_AT_ONCE_BYTES) {
        runTap(chunk)
      } else {
        deferred++
        process.nextTick(runDeferredTap, chunk)
      }
    }
    const done = () => {
      stopListening()
      from.removeListener('end', done)
      from.removeListener('close', done)
      to.removeListener('drain', onDrain)
      resolve()
    }
    const stopListening = listen(from, onData)
    from.once('end', done)
    from.once('close', done)
  })
}

/** Resolves once everything written to `to` so far has left its buffer (an empty write queues behind it). */
export function flushed(to: Writable): Promise<void> {
  if (!to.writable || to.destroyed || to.writableLength === 0) return Promise.resolve()
  return new Promise((resolve) => {
    to.write(Buffer.alloc(0), () => resolve())
    to.once('close', () => resolve())
  })
}

export function closed(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => stream.once('close', () => resolve()))
}
