import type {Readable, Writable} from 'node:stream'

/**
 * Copy `from` into `to` chunk by chunk with backpressure (pause `from` while `to` is full, which
 * for an SSH channel stops its window adjusts and so the sender), handing each chunk to `tap`.
 * Resolves when `from` ends or closes; never ends `to` (the caller orders EOF, exit status and
 * close itself).
 */
export function pump(from: Readable, to: Writable, tap?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve) => {
    let waiting = false
    const onDrain = () => {
      waiting = false
      from.resume()
    }
    const onData = (chunk: Buffer) => {
      tap?.(chunk)
      if (!to.writable || to.destroyed) return
      if (!to.write(chunk) && !waiting) {
        waiting = true
        from.pause()
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
