import {close, constants, fsync, open, writev} from 'node:fs'
import {promisify} from 'node:util'

const openFd = promisify(open)
const closeFd = promisify(close)
const fsyncFd = promisify(fsync)
const writevFd = promisify(writev)

export interface AppendFileOptions {
  /** Create the file and fail if it exists (a recording never continues another one's file). */
  exclusive?: boolean
  mode?: number
}

/**
 * A file written only by appends through one fd (O_APPEND), one write in flight at a time, in
 * the order `append` was called. Each `append` hands its buffers to the kernel in as few
 * writev calls as the kernel allows, so a reader (or a crash) never sees half of one append
 * unless the disk filled up in the middle of it.
 */
export class AppendFile {
  private closed = false
  private queue: Promise<void> = Promise.resolve()

  private constructor(readonly path: string, private readonly fd: number) {}

  static async open(path: string, options: AppendFileOptions = {}): Promise<AppendFile> {
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (options.exclusive === false ? 0 : constants.O_EXCL)
    const fd = await openFd(path, flags, options.mode ?? 0o600)
    return new AppendFile(path, fd)
  }

  /** Appends the buffers in order; resolves when the kernel has them all. */
  append(chunks: Buffer[]): Promise<void> {
    return this.enqueue(() => writeAll(this.fd, chunks))
  }

  /** Waits for every append so far, then asks the disk to keep them (fsync). */
  sync(): Promise<void> {
    return this.enqueue(() => fsyncFd(this.fd))
  }

  /** Waits for every append so far and closes the fd. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return this.queue.catch(() => {})
    this.closed = true
    const done = this.queue
    this.queue = done.catch(() => {}).then(() => closeFd(this.fd))
    await this.queue
    await done
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is already closed`))
    // A failed write fails every later one too: a file with a hole in it is not a recording.
    const next = this.queue.then(work)
    this.queue = next
    return next
  }
}

async function writeAll(fd: number, chunks: Buffer[]): Promise<void> {
  let rest = chunks.filter((c) => c.length > 0)
  while (rest.length > 0) {
    const {bytesWritten} = await writevFd(fd, rest)
    if (bytesWritten === 0) throw Object.assign(new Error('the file system took no bytes'), {code: 'EIO'})
    rest = dropBytes(rest, bytesWritten)
  }
}

/** The buffers after the first `count` bytes (a short write leaves the rest to send). */
function dropBytes(chunks: Buffer[], count: number): Buffer[] {
  let skip = count
  let i = 0
  while (i < chunks.length && skip >= chunks[i].length) skip -= chunks[i++].length
  const rest = chunks.slice(i)
  if (skip > 0 && rest.length > 0) rest[0] = rest[0].subarray(skip)
  return rest
}
