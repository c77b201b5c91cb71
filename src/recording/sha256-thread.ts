import {Worker} from 'node:worker_threads'

/**
 * sha256 of session streams, computed on a worker thread so the proxy's event loop only copies
 * bytes: hashing a bulk transfer in line cost the proxy a quarter of its throughput. Chunks go
 * through one ring of shared memory as records (stream id, length, bytes), and a stream's end is
 * a record too, so the worker sees every stream's bytes in order and answers each digest after
 * the stream's last byte. The ring is made on first use, so idle sessions pay nothing for it.
 */

/** Ring bytes; a multiple of 8. */
const RING = 1024 * 1024
/** Record header: stream id (uint32, 0 = skip to the ring's start), then length (int32, -1 = end). */
const HEADER = 8
/** Chunks above this are split into several records. */
const MAX_RECORD = 64 * 1024
/**
 * Control words: where the main thread writes and where the worker reads (both in [0, 2 * RING):
 * a position past RING is the same byte one lap later, which tells a full ring from an empty
 * one), whether the main thread waits for room, whether the worker sleeps for want of bytes, and
 * a word that stays 0 for the worker's naps. The worker gets them in its workerData.
 */
const WORD = {WRITE: 0, READ: 1, WAITING: 2, SLEEPING: 3, NAP: 4} as const
const {WRITE, READ, WAITING, SLEEPING} = WORD
const WORDS = Object.keys(WORD).length

const align8 = (n: number) => (n + 7) & ~7

/** The worker's program (run as CommonJS source text: it must not refer to anything outside itself). */
function hashingThread(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const {createHash} = require('node:crypto') as typeof import('node:crypto')
  const {parentPort, workerData} = require('node:worker_threads') as typeof import('node:worker_threads')
  /* eslint-enable @typescript-eslint/no-require-imports */
  const {control, ring, size, word} = workerData as {control: SharedArrayBuffer; ring: SharedArrayBuffer; size: number; word: typeof WORD}
  const words = new Int32Array(control)
  const bytes = new Uint8Array(ring)
  const view = new DataView(ring)
  const hashes = new Map<number, import('node:crypto').Hash>()
  let read = Atomics.load(words, word.READ)
  for (;;) {
    const write = Atomics.load(words, word.WRITE)
    if (write === read) {
      // Says it sleeps before it looks at the write position again (in Atomics.wait), so a writer
      // that sees 0 here has published before that look, and the worker does not sleep on it.
      Atomics.store(words, word.SLEEPING, 1)
      Atomics.wait(words, word.WRITE, read)
      Atomics.store(words, word.SLEEPING, 0)
      continue
    }
    while (read !== write) {
      const offset = read % size
      const id = view.getUint32(offset, true)
      const length = view.getInt32(offset + 4, true)
      if (id === 0) {
        read += size - offset
      } else if (length < 0) {
        const hash = hashes.get(id) ?? createHash('sha256')
        hashes.delete(id)
        parentPort!.postMessage({digest: hash.digest('hex'), id})
        read += 8
      } else {
        let hash = hashes.get(id)
        if (!hash) hashes.set(id, (hash = createHash('sha256')))
        hash.update(bytes.subarray(offset + 8, offset + 8 + length))
        read += 8 + ((length + 7) & ~7)
      }
      read %= 2 * size
      Atomics.store(words, word.READ, read)
    }
    if (Atomics.exchange(words, word.WAITING, 0) === 1) parentPort!.postMessage({room: true})
    // A nap lets the next bytes gather: the main thread never wakes a worker that is busy (a
    // wake-up costs it a context switch), so while bytes flow the worker looks every millisecond.
    Atomics.wait(words, word.NAP, 0, 1)
  }
}

/** One stream's sha256, fed through the hashing thread. */
export interface Sha256Stream {
  /** Bytes taken but not yet in the ring (it was full): the caller pauses its source while above 0. */
  readonly backlog: number
  /** Hash `chunk` (copied into the ring at once, or kept as a copy: the caller may reuse it). */
  update(chunk: Buffer): void
  /** The hex digest of everything updated, once the worker has hashed it. Ends the stream. */
  digest(): Promise<string>
}

interface StreamState {
  backlog: number
  /** Called when the backlog is back to 0. */
  onRoom?: () => void
}

/** What waits for room in the ring, in order: a piece of a chunk (a copy), or a stream's end. */
interface Pending {
  chunk?: Buffer
  id: number
  state: StreamState
}

class HashingThread {
  private readonly control = new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT)
  private readonly ring = new SharedArrayBuffer(RING)
  private readonly words = new Int32Array(this.control)
  private readonly bytes = Buffer.from(this.ring)
  private readonly view = new DataView(this.ring)
  private readonly worker: Worker
  private nextId = 1
  private readonly answers = new Map<number, {reject: (error: Error) => void; resolve: (digest: string) => void}>()
  private readonly queue: Pending[] = []
  private failure: Error | undefined

  constructor() {
    this.worker = new Worker(`(${hashingThread.toString()})()`, {
      eval: true,
      name: 'fleetctl sha256',
      workerData: {control: this.control, ring: this.ring, size: RING, word: WORD},
    })
    // Only a digest being waited for keeps the process alive.
    this.worker.unref()
    this.worker.on('message', (message: {digest?: string; id?: number; room?: boolean}) => {
      if (message.room) return this.drain()
      const answer = this.answers.get(message.id!)
      this.answers.delete(message.id!)
      if (this.answers.size === 0) this.worker.unref()
      answer?.resolve(message.digest!)
    })
    const fail = (error: Error) => {
      this.failure ??= error
      for (const answer of this.answers.values()) answer.reject(this.failure)
      this.answers.clear()
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => fail(new Error(`the sha256 thread stopped (exit code ${code})`)))
  }

  open(onRoom?: () => void): Sha256Stream {
    const id = this.nextId
    this.nextId = this.nextId === 0xff_ff_ff_ff ? 1 : this.nextId + 1
    const state: StreamState = {backlog: 0, onRoom}
    let ended = false
    return {
      get backlog() {
        return state.backlog
      },
      update: (chunk) => {
        if (ended) throw new Error('this sha256 stream has ended')
        if (this.failure) throw this.failure
        for (let start = 0; start < chunk.length; start += MAX_RECORD) {
          this.submit({chunk: chunk.subarray(start, Math.min(start + MAX_RECORD, chunk.length)), id, state})
        }
      },
      digest: () => {
        ended = true
        if (this.failure) return Promise.reject(this.failure)
        return new Promise<string>((resolve, reject) => {
          if (this.answers.size === 0) this.worker.ref()
          this.answers.set(id, {reject, resolve})
          this.submit({id, state})
        })
      },
    }
  }

  private submit(item: Pending): void {
    if (this.queue.length === 0 && this.put(item)) return
    if (item.chunk) {
      item.chunk = Buffer.from(item.chunk)
      item.state.backlog += item.chunk.length
    }
    this.queue.push(item)
    this.drain()
  }

  /** Moves what waits into the ring while it fits; else asks the worker to say when it has made room. */
  private drain(): void {
    while (this.queue.length > 0) {
      const item = this.queue[0]!
      if (!this.put(item)) {
        Atomics.store(this.words, WAITING, 1)
        // The worker may have made its room between the two: look again before waiting.
        if (!this.put(item)) return
      }
      this.queue.shift()
      if (item.chunk) {
        item.state.backlog -= item.chunk.length
        if (item.state.backlog === 0) item.state.onRoom?.()
      }
    }
  }

  /** Wakes the worker if it sleeps for want of bytes (a napping one looks by itself). */
  private wake(): void {
    if (Atomics.load(this.words, SLEEPING) === 1) Atomics.notify(this.words, WRITE)
  }

  /** Copies one record into the ring; false (nothing written) when it does not fit now. */
  private put(item: Pending): boolean {
    const length = item.chunk?.length ?? 0
    const need = HEADER + align8(length)
    const write = Atomics.load(this.words, WRITE)
    const used = (write - Atomics.load(this.words, READ) + 2 * RING) % (2 * RING)
    const offset = write % RING
    // A record never wraps: if it does not fit before the ring's end, a skip record fills the rest.
    const skip = offset + need > RING ? RING - offset : 0
    if (RING - used < skip + need) return false
    if (skip > 0) this.view.setUint32(offset, 0, true)
    const at = (offset + skip) % RING
    this.view.setUint32(at, item.id, true)
    this.view.setInt32(at + 4, item.chunk ? length : -1, true)
    if (item.chunk) item.chunk.copy(this.bytes, at + HEADER)
    Atomics.store(this.words, WRITE, (write + skip + need) % (2 * RING))
    this.wake()
    return true
  }
}

let thread: HashingThread | undefined

/**
 * A new stream on the process's hashing thread (started on first use). `onRoom` is called when
 * the stream's backlog (bytes that met a full ring) is back to 0.
 */
export function sha256Stream(onRoom?: () => void): Sha256Stream {
  thread ??= new HashingThread()
  return thread.open(onRoom)
}
