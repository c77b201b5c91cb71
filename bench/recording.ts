/**
 * Throughput of the recording hot paths against a plain file write of the same bytes:
 * 256 MB (BENCH_MB) of random binary data in 32 KiB chunks, the size of an SSH channel packet.
 *
 *   npx tsx bench/recording.ts            # or: npm run bench:recording
 *   BENCH_MB=64 BENCH_REPEAT=5 npx tsx bench/recording.ts
 *
 * Each figure is the best of BENCH_REPEAT runs (default 3): on a shared machine the best run is
 * the one least disturbed by others.
 *
 * Random bytes are the worst case for asciicast (most of them become U+FFFD or \u00XX escapes);
 * printable text is shown too, as what a terminal mostly carries.
 */
import {randomBytes} from 'node:crypto'
import {createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {once} from 'node:events'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {RecordingStore} from '../src/recording/store.js'

const TOTAL = Number(process.env.BENCH_MB ?? 256) * 1024 * 1024
const CHUNK = 32 * 1024
const dir = mkdtempSync(join(tmpdir(), 'fleetctl-bench-'))
const meta = (session: string) => ({client: '127.0.0.1:1', host: 'bench', login: 'root', session, user: 'bench'})
const onError = {
  onError(error: Error) {
    throw error
  },
}

/** TOTAL bytes as 32 KiB views over a 32 MiB pool (the same cost per byte as fresh data). */
function* chunks(pool: Buffer): Generator<Buffer> {
  for (let sent = 0; sent < TOTAL; sent += CHUNK) {
    const at = sent % pool.length
    yield pool.subarray(at, at + CHUNK)
  }
}

const randomPool = randomBytes(32 * 1024 * 1024)
const textPool = Buffer.from(randomPool.map((b) => (b % 64 === 0 ? 0x0a : 0x20 + (b % 95))))

async function plainWrite(pool: Buffer, name: string): Promise<number> {
  const out = createWriteStream(join(dir, name))
  for (const chunk of chunks(pool)) if (!out.write(chunk)) await once(out, 'drain')
  out.end()
  await once(out, 'close')
  return statSync(join(dir, name)).size
}

async function rawTap(pool: Buffer, session: string, raw: boolean): Promise<number> {
  const store = await RecordingStore.open(dir)
  const recorder = await store.startStreams(meta(session), onError, {raw})
  for (const chunk of chunks(pool)) if (!recorder.write('stdout', chunk)) await recorder.writable()
  await recorder.close({exitStatus: 0})
  await store.close()
  return raw ? statSync(join(dir, `${session}.stdout`)).size : 0
}

async function asciicast(pool: Buffer, session: string): Promise<number> {
  const store = await RecordingStore.open(dir)
  const recorder = await store.startPty(meta(session), {cols: 80, rows: 24, term: 'xterm'}, onError)
  for (const chunk of chunks(pool)) if (!recorder.output(chunk)) await recorder.writable()
  await recorder.close({exitStatus: 0})
  await store.close()
  return statSync(recorder.file).size
}

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3)

async function measure(name: string, run: () => Promise<number>): Promise<{mbps: number; name: string; written: number}> {
  let best = Infinity
  let written = 0
  for (let i = 0; i < REPEAT; i++) {
    const started = process.hrtime.bigint()
    written = await run()
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9)
    // Each run starts from an empty folder, and the page cache is not filled with the last run's files.
    rmSync(dir, {force: true, recursive: true})
    mkdirSync(dir)
  }

  return {mbps: TOTAL / 1024 / 1024 / best, name, written}
}

const rows: {mbps: number; name: string; written: number}[] = []
for (const [label, pool] of [['random binary', randomPool], ['printable text', textPool]] as const) {
  const plain = await measure(`plain fs write (${label})`, () => plainWrite(pool, `plain-${label.replace(' ', '-')}`))
  rows.push(plain)
  if (label === 'random binary') {
    rows.push(await measure(`hash-only tap, sha256 (${label})`, () => rawTap(pool, 'hash', false)))
    rows.push(await measure(`raw tap, sha256 + append (${label})`, () => rawTap(pool, 'raw', true)))
  }

  rows.push(await measure(`asciicast encoder + writer (${label})`, () => asciicast(pool, `cast-${label.replace(' ', '-')}`)))
  for (const row of rows.slice(-(label === 'random binary' ? 3 : 1))) Object.assign(row, {ratio: row.mbps / plain.mbps})
}

console.log(`${TOTAL / 1024 / 1024} MiB in ${CHUNK / 1024} KiB chunks, best of ${REPEAT}, Node ${process.version}`)
for (const row of rows as ({ratio?: number} & (typeof rows)[number])[]) {
  const ratio = row.ratio === undefined ? '1.00× (baseline)' : `${row.ratio.toFixed(2)}× plain`
  const size = row.written ? `, ${(row.written / TOTAL).toFixed(2)}× the bytes on disk` : ''
  console.log(`${row.name.padEnd(46)} ${row.mbps.toFixed(0).padStart(6)} MiB/s  ${ratio}${size}`)
}
rmSync(dir, {force: true, recursive: true})
