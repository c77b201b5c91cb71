import type {Readable, Writable} from 'node:stream'

/** Sees every chunk; a returned promise means "the recording is behind: pause until it settles". */
export type Tap = (chunk: Buffer) => Promise<void> | undefined | void

/**
 * Copy `from` into `to` chunk by chunk with backpressure (pause `from` while `to` is full or the
 * tap is behind, which for an SSH channel stops its window adjusts and so the sender), handing
 * each chunk to `tap`. Resolves when `from` ends or closes; never ends `to` (the caller orders
 * EOF, exit status and close itself).
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
    const onData = (chunk: Buffer) => {
      const behind = tap?.(chunk)
      if (behind) {
        hold()
        behind.then(release, release)
      }
      if (!to.writable || to.destroyed) return
      if (!to.write(chunk) && !waiting) {
        waiting = true
        hold()
        to.once('drain', onDrain)
      }
    }
    const done = () => {
      from.removeListener('data', onData)
      from.removeListener('end', done)
      from.removeListener('close', done)
      to.removeListener('drain', onDrain)
      resolve()
    }
    from.on('data', onData)
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
