/**
 * `npm run bench`: the proxy against OpenSSH on loopback, interleaved in one run. Bulk (`head -c
 * N /dev/zero` to /dev/null; BENCH_BYTES, default 512M) and one-byte echo under a PTY (BENCH_ECHO
 * round trips), for OpenSSH direct, OpenSSH ProxyJump through a plain sshd, `ssh -J` through
 * `fleetctl proxy` with recording on, and, as the floor under any relay written for Node, ssh
 * straight through a bare Node TCP relay (bench/tcp-relay.mjs: no SSH, nothing recorded).
 * BENCH_RUNS rounds (default 5); medians, ratios and the latency each path adds to direct ssh
 * printed, with the spread of the per-round ratios, the proxy's CPU seconds per GB of bulk data
 * and its (and the bare relay's) CPU time per echo round trip. BENCH_ECHO_GAP_MS waits that long
 * before each keystroke (typing speed instead of back to back: every process in the path then
 * wakes from idle for each one). Before the rounds each path gets BENCH_WARMUP echo round trips
 * (default 3000; the proxy's JIT compiler settles after a few thousand packets, as in a proxy that
 * has run for a while), whose p50 is printed as the cold figure.
 * First, BENCH_IDLE idle PTY sessions (default 60) are held open through the proxy, twice (a
 * fresh proxy, then a warm one), to report its memory and CPU time per idle session.
 * BENCH_ONLY=bulk|echo runs one of the two; BENCH_PROXY_NODE_ARGS go to the proxy's node (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it under load).
 * Needs the build (`npm run build`), sshd, ssh-agent and python3; run as root for PTYs.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa, type ResultPromise} from 'execa'

import {startAgent} from '../test/helpers/agent.js'
import {clientDefaults, fleetUser, type RunningProxy, startFleetHost, startProxy, writeFleetKnownHosts} from '../test/helpers/proxy.js'
import {tmpDir} from '../test/helpers/tmp.js'

const BYTES = process.env.BENCH_BYTES ?? '512M'
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const ECHOES = Number(process.env.BENCH_ECHO ?? 200)
const ECHO_GAP_MS = Number(process.env.BENCH_ECHO_GAP_MS ?? 0)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3000)
const ONLY = process.env.BENCH_ONLY
const IDLE = Number(process.env.BENCH_IDLE ?? 60)
const ECHO_DRIVER = fileURLToPath(new URL('echo.py', import.meta.url))
const FLEETCTL = 'fleetctl proxy (recording on)'
const RELAY = 'Node TCP relay, no SSH (floor)'

/** CPU seconds (user + system) of a process: its main thread, and all its threads. */
function cpuSeconds(pid: number): {all: number; main: number} {
  // Fields 14 and 15 of /proc/.../stat, counted after the command name (which may hold spaces).
  const ticks = (path: string) => {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  }
  return {all: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`)}
}

/** Nanoseconds a process's main thread has run (schedstat: finer than the 10 ms ticks of stat). */
const runNanoseconds = (pid: number) => Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0])

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function main(): Promise<void> {
  const tmp = tmpDir('fleetctl-bench-')
  const home = join(tmp.path, 'home')
  const dir = tmp.dir
  const probe = fileURLToPath(new URL('memory-probe.mjs', import.meta.url))
  const proxy = await startProxy(home, [], {}, ['--expose-gc', '--import', probe, ...(process.env.BENCH_PROXY_NODE_ARGS?.split(' ').filter(Boolean) ?? [])])
  const sshd = await startFleetHost(dir('host'), home)
  const agent = await startAgent(dir('agent'))
  const relay = execa('node', [fileURLToPath(new URL('tcp-relay.mjs', import.meta.url)), String(sshd.port)], {stdin: 'ignore'})
  try {
    const relayPort = await new Promise<number>((resolve, reject) => {
      relay.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())))
      relay.once('error', reject)
    })
    await agent.add(await fleetUser(dir('user'), home, 'bench'))
    const knownHosts = writeFleetKnownHosts(join(tmp.path, 'known_hosts'), home)
    const config = join(tmp.path, 'ssh_config')
    writeFileSync(
      config,
      [
        'Host fleetproxy',
        '  HostName 127.0.0.1',
        `  Port ${proxy.port}`,
        '  ForwardAgent yes',
        'Host plainjump',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        'Host noderelay',
        '  HostName 127.0.0.1',
        `  Port ${relayPort}`,
        'Host target',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        ...clientDefaults(knownHosts),
        '',
      ].join('\n'),
    )
    const paths: Record<string, string[]> = {
      'OpenSSH direct': ['target'],
      'OpenSSH ProxyJump': ['-J', 'plainjump', 'target'],
      [FLEETCTL]: ['-J', 'fleetproxy', 'target'],
      [RELAY]: ['noderelay'],
    }
    /** The processes whose CPU per echo round trip the bench reports. */
    const cpuOf: Record<string, number> = {[FLEETCTL]: proxy.pid, [RELAY]: relay.pid!}
    const env = {SSH_AUTH_SOCK: agent.socket, HOME: process.env.HOME, TERM: 'xterm'}
    // First, while the proxy's heap holds no garbage from the bulk runs.
    const idle = IDLE > 0 ? await idleSessionMemory(proxy, IDLE, ['-F', config, '-tt', ...paths[FLEETCTL]!], env) : undefined
    /** One echo run through a path: its p50, and the CPU per round trip of the process watched there. */
    const echoRun = async (name: string, count: number) => {
      const options = [...(cpuOf[name] ? ['--cpu-of', String(cpuOf[name])] : []), ...(ECHO_GAP_MS > 0 ? ['--gap-ms', String(ECHO_GAP_MS)] : [])]
      const {stdout} = await execa('python3', [ECHO_DRIVER, String(count), ...options, '--', 'ssh', '-F', config, '-tt', ...paths[name]!], {env, stdin: 'ignore'})
      const result = JSON.parse(stdout) as {cpu_ns: null | number; times: number[]}
      return {cpu: result.cpu_ns === null ? undefined : result.cpu_ns / 1000 / count, p50: median(result.times)}
    }
    // The proxy is a long-running process: its JIT compiler settles after a few thousand packets.
    // Each path gets the same warm-up before the measured rounds; its p50 is the cold figure.
    const cold: Record<string, number> = {}
    if (ONLY !== 'bulk' && WARMUP > 0) for (const name of Object.keys(paths)) cold[name] = (await echoRun(name, WARMUP)).p50
    const bulk: Record<string, number[]> = {}
    const echo: Record<string, number[]> = {}
    /** Microseconds the proxy's (and the bare relay's) event loop ran per echo round trip, per run. */
    const echoCpu: Record<string, number[]> = {}
    /** CPU seconds the proxy spent in each bulk run: its event-loop thread, and all its threads. */
    const proxyCpu: {all: number; main: number}[] = []
    for (let run = 0; run < RUNS; run++) {
      for (const [name, args] of Object.entries(paths)) {
        if (ONLY !== 'echo') {
          const cpuBefore = cpuSeconds(proxy.pid)
          const start = process.hrtime.bigint()
          const result = await execa('ssh', ['-F', config, ...args, `head -c ${BYTES} /dev/zero`], {env, stdin: 'ignore', stdout: 'ignore', reject: false})
          if (result.exitCode !== 0) throw new Error(`${name}: bulk failed: ${result.stderr}`)
          ;(bulk[name] ??= []).push(Number(process.hrtime.bigint() - start) / 1e9)
          if (name === FLEETCTL) {
            const cpuAfter = cpuSeconds(proxy.pid)
            proxyCpu.push({all: cpuAfter.all - cpuBefore.all, main: cpuAfter.main - cpuBefore.main})
          }
        }
        if (ONLY !== 'bulk') {
          const result = await echoRun(name, ECHOES)
          ;(echo[name] ??= []).push(result.p50)
          if (result.cpu !== undefined) (echoCpu[name] ??= []).push(result.cpu)
        }
        process.stderr.write('.')
      }
    }
    process.stderr.write('\n')
    const bytes = Number((await execa('bash', ['-c', `head -c ${BYTES} /dev/zero | wc -c`])).stdout)
    const baseline = 'OpenSSH ProxyJump'
    const rows = Object.keys(paths).map((name) => ({
      name,
      mbps: bulk[name] ? bytes / 1e6 / median(bulk[name]) : Number.NaN,
      p50: echo[name] ? median(echo[name]) : Number.NaN,
    }))
    const base = rows.find((row) => row.name === baseline)!
    // Each round runs every path back to back, so a round's ratio is less exposed to the machine's drift.
    const perRound = (values: Record<string, number[]>, invert: boolean) =>
      (values[FLEETCTL] ?? []).map((value, i) => (invert ? values[baseline]![i]! / value : value / values[baseline]![i]!)).sort((a, b) => a - b)
    const spread = (ratios: number[]) => (ratios.length > 0 ? `${ratios[0]!.toFixed(2)}-${ratios.at(-1)!.toFixed(2)}×` : 'n/a')
    const gap = ECHO_GAP_MS > 0 ? ` ${ECHO_GAP_MS} ms apart` : ''
    const warm = WARMUP > 0 ? `, after ${WARMUP} round trips of warm-up per path` : ''
    console.log(`bulk: head -c ${BYTES} /dev/zero, ${RUNS} interleaved runs; echo: ${ECHOES} one-byte round trips${gap} under a PTY, median of per-run p50${warm}`)
    const direct = rows.find((row) => row.name === 'OpenSSH direct')!
    console.log('path                              bulk MB/s   vs ProxyJump   echo p50 ms   vs ProxyJump   µs over direct')
    for (const row of rows) {
      console.log(
        `${row.name.padEnd(34)}${row.mbps.toFixed(1).padStart(9)}   ${(row.mbps / base.mbps).toFixed(2).padStart(11)}×   ${row.p50.toFixed(3).padStart(11)}   ${(row.p50 / base.p50).toFixed(2).padStart(11)}×   ${((row.p50 - direct.p50) * 1000).toFixed(0).padStart(14)}`,
      )
    }
    console.log(`fleetctl vs ProxyJump, per round (min-max): bulk ${spread(perRound(bulk, true))}, echo p50 ${spread(perRound(echo, false))}`)
    if (cold[FLEETCTL] !== undefined) {
      const coldRatio = (cold[FLEETCTL] / cold[baseline]!).toFixed(2)
      console.log(`echo p50 cold (the warm-up, on a fresh proxy): ProxyJump ${cold[baseline]!.toFixed(3)} ms, fleetctl ${cold[FLEETCTL].toFixed(3)} ms (${coldRatio}×)`)
    }
    if (echoCpu[FLEETCTL]) {
      const relayCpu = echoCpu[RELAY] ? `, the bare Node relay's ${median(echoCpu[RELAY]).toFixed(0)} µs` : ''
      console.log(`CPU per echo round trip (median): the proxy's event loop ${median(echoCpu[FLEETCTL]).toFixed(0)} µs${relayCpu}`)
    }
    if (proxyCpu.length > 0) {
      const gb = bytes / 1e9
      console.log(
        `proxy CPU per GB of bulk (median): ${(median(proxyCpu.map((c) => c.main)) / gb).toFixed(2)} s on its event loop, ${(median(proxyCpu.map((c) => c.all)) / gb).toFixed(2)} s in all threads (hashing, GC)`,
      )
    }
    if (idle) {
      const {cold, warm} = idle
      console.log(
        `proxy memory per idle session (\`ssh -tt -J\` shells, recording on, after a full GC): ${warm.livePerSession.toFixed(3)} MB heap + buffers` +
          ` (warm; cold ${cold.livePerSession.toFixed(3)}); RSS growth over a fresh proxy's first ${IDLE} sessions ${cold.rssPerSession.toFixed(3)} MB per session` +
          ` (RSS ${cold.before.rss.toFixed(1)} MB with ${Math.floor(IDLE / 2)} sessions, ${cold.after.rss.toFixed(1)} MB with ${IDLE})`,
      )
      console.log(`proxy CPU with ${IDLE} idle sessions open: ${warm.idleCpuMsPerSecond.toFixed(2)} ms per second on its event loop`)
    }
    const listening = proxy.events().find((e) => e.event === 'proxy.listening')
    console.log(`ssh2 native crypto binding loaded: ${String(listening?.native_crypto)}`)
    console.log(`proxy RSS after the run: ${(Number((await execa('ps', ['-o', 'rss=', '-p', String(proxy.pid)])).stdout.trim()) / 1024).toFixed(1)} MB`)
  } finally {
    relay.kill()
    await Promise.all([proxy.stop(), sshd.stop(), agent.stop(), relay.catch(() => undefined)])
    tmp.remove()
  }
}

interface MemorySample {
  /** MB after a full garbage collection. */
  rss: number
  /** JS heap in use plus memory outside it that JS objects own (Buffers), MB. */
  live: number
}

/** Asks the proxy (started with bench/memory-probe.mjs) for its memory after a full GC. */
async function memoryAfterGc(proxy: RunningProxy): Promise<MemorySample> {
  const seen = proxy.events().filter((e) => e.event === 'bench.memory').length
  process.kill(proxy.pid, 'SIGUSR2')
  await proxy.waitFor('bench.memory', () => proxy.events().filter((e) => e.event === 'bench.memory').length > seen)
  const line = proxy.events().filter((e) => e.event === 'bench.memory').at(-1) as unknown as {external: number; heapUsed: number; rss: number}
  return {rss: line.rss / 1e6, live: (line.heapUsed + line.external) / 1e6}
}

/**
 * The proxy's memory per idle PTY session: memory after a full GC with `count` sessions open,
 * less with half as many, per added session. Twice: on the fresh proxy ("cold", where the RSS
 * growth includes one-time costs such as code compiled on first use and the allocator's arenas),
 * then after those sessions closed ("warm", a proxy that has served sessions before; its RSS
 * barely moves, as freed memory is reused, so the warm figure is heap + buffers). Sessions open
 * a few at a time, so no startup limit drops any.
 */
async function idleSessionMemory(proxy: RunningProxy, count: number, sshArgs: string[], env: Record<string, string | undefined>) {
  const round = async () => {
    let figures: {after: MemorySample; before: MemorySample; idleCpuMsPerSecond: number; livePerSession: number; rssPerSession: number} | undefined
    await openIdleSessions(proxy, count, sshArgs, env, async (openUpTo) => {
      const half = Math.floor(count / 2)
      const before = await openUpTo(half)
      const after = await openUpTo(count)
      const added = count - half
      // The sessions are open and quiet: what does holding them cost the event loop?
      const ran = runNanoseconds(proxy.pid)
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const idleCpuMsPerSecond = (runNanoseconds(proxy.pid) - ran) / 1e6 / 3
      figures = {before, after, idleCpuMsPerSecond, rssPerSession: (after.rss - before.rss) / added, livePerSession: (after.live - before.live) / added}
    })
    return figures!
  }
  const cold = await round()
  const warm = await round()
  return {cold, warm}
}

/** Holds `ssh` sessions open while `measure` opens them up to a count and samples the proxy's memory; then ends them all. */
async function openIdleSessions(
  proxy: RunningProxy,
  count: number,
  sshArgs: string[],
  env: Record<string, string | undefined>,
  measure: (openUpTo: (total: number) => Promise<MemorySample>) => Promise<void>,
): Promise<void> {
  const started = () => proxy.events().filter((e) => e.event === 'session.start').length
  const already = started()
  const clients: ResultPromise[] = []
  const openUpTo = async (total: number) => {
    while (clients.length < total) {
      const batch = Math.min(5, total - clients.length)
      for (let i = 0; i < batch; i++) clients.push(execa('ssh', sshArgs, {env, stdin: 'pipe', stdout: 'ignore', stderr: 'ignore', reject: false}))
      const opened = clients.length
      await proxy.waitFor('session.start', () => started() - already >= opened, 30_000)
    }
    await new Promise((resolve) => setTimeout(resolve, 1000))
    return memoryAfterGc(proxy)
  }
  try {
    await measure(openUpTo)
  } finally {
    for (const client of clients) client.kill()
    await Promise.all(clients)
  }
}

await main()
