import type {Readable, Writable} from 'node:stream'

import {onData as listen, writeData} from '../ssh/index.js'

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
    const onData = (chunk: Buffer) => {
      if (to.writable && !to.destroyed && !writeData(to, chunk) && !waiting) {
        waiting = true
        hold()
        to.once('drain', onDrain)
      }
      // The tap runs after this tick's writes have left (ssh2 sends a socket's packets on the
      // next tick, queued before this), so recording never delays forwarding; chunks stay in order.
      if (tap) process.nextTick(runTap, chunk)
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
