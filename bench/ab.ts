/**
 * `npm run bench:ab -- <other checkout>`: this checkout's proxy against another checkout's (built,
 * with its node_modules: e.g. a `git worktree` of the commit before a change), side by side on one
 * host, one-byte echo under a PTY interleaved round by round (the order flips every round), with
 * OpenSSH ProxyJump as the yardstick. Prints each round, then medians, ratios and each proxy's
 * event-loop CPU per round trip. For judging a latency change: on a shared machine a single run of
 * `npm run bench` moves by 10-20%, more than most changes do.
 * BENCH_RUNS rounds (default 10), BENCH_ECHO round trips per round (default 600), BENCH_ECHO_GAP_MS
 * as in bench/proxy.ts.
 */
import {existsSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {execa} from 'execa'

import {startAgent} from '../test/helpers/agent.js'
import {clientDefaults, fleetUser, type RunningProxy, startFleetHost, startProxy, writeFleetKnownHosts} from '../test/helpers/proxy.js'
import {tmpDir} from '../test/helpers/tmp.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const ECHOES = Number(process.env.BENCH_ECHO ?? 600)
const ECHO_GAP_MS = Number(process.env.BENCH_ECHO_GAP_MS ?? 0)
const ECHO_DRIVER = fileURLToPath(new URL('echo.py', import.meta.url))

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function main(): Promise<void> {
  const other = process.argv[2] ? resolve(process.argv[2]) : undefined
  if (!other || !existsSync(join(other, 'dist')) || !existsSync(join(other, 'test/helpers/proxy.ts'))) {
    throw new Error('usage: npm run bench:ab -- <another fleetctl checkout, built (npm ci && npm run build)>')
  }
  // The other checkout's own helper starts its own bin/run.js, with its own dist and node_modules.
  const {startProxy: startOther} = (await import(pathToFileURL(join(other, 'test/helpers/proxy.ts')).href)) as {startProxy: typeof startProxy}

  const tmp = tmpDir('fleetctl-bench-ab-')
  const home = join(tmp.path, 'home')
  const dir = tmp.dir
  const proxies: Record<string, RunningProxy> = {}
  const stops: (() => Promise<void>)[] = []
  try {
    // This checkout's proxy makes the CAs; the other one serves the same state.
    proxies.this = await startProxy(home)
    stops.push(() => proxies.this!.stop())
    proxies.other = await startOther(home)
    stops.push(() => proxies.other!.stop())
    const sshd = await startFleetHost(dir('host'), home)
    stops.push(() => sshd.stop())
    const agent = await startAgent(dir('agent'))
    stops.push(() => agent.stop())
    await agent.add(await fleetUser(dir('user'), home, 'bench'))

    const knownHosts = writeFleetKnownHosts(join(tmp.path, 'known_hosts'), home)
    const config = join(tmp.path, 'ssh_config')
    const jumpHost = (name: string, port: number, agentForwarding: boolean) => [`Host ${name}`, '  HostName 127.0.0.1', `  Port ${port}`, ...(agentForwarding ? ['  ForwardAgent yes'] : [])]
    writeFileSync(
      config,
      [
        ...jumpHost('this', proxies.this.port, true),
        ...jumpHost('other', proxies.other.port, true),
        ...jumpHost('plainjump', sshd.port, false),
        ...jumpHost('target', sshd.port, false),
        ...clientDefaults(knownHosts),
        '',
      ].join('\n'),
    )
    const env = {SSH_AUTH_SOCK: agent.socket, HOME: process.env.HOME, TERM: 'xterm'}
    const paths: [name: string, jump: string, pid?: number][] = [
      ['ProxyJump', 'plainjump'],
      [`this (${process.cwd()})`, 'this', proxies.this.pid],
      [`other (${other})`, 'other', proxies.other.pid],
    ]
    const p50: Record<string, number[]> = {}
    const cpu: Record<string, number[]> = {}
    for (let round = 0; round < RUNS; round++) {
      const order = round % 2 ? [...paths].reverse() : paths
      const line: string[] = []
      for (const [name, jump, pid] of order) {
        const options = [...(pid ? ['--cpu-of', String(pid)] : []), ...(ECHO_GAP_MS > 0 ? ['--gap-ms', String(ECHO_GAP_MS)] : [])]
        const {stdout} = await execa('python3', [ECHO_DRIVER, String(ECHOES), ...options, '--', 'ssh', '-F', config, '-tt', '-J', jump, 'target'], {env, stdin: 'ignore'})
        const result = JSON.parse(stdout) as {cpu_ns: null | number; times: number[]}
        ;(p50[name] ??= []).push(median(result.times))
        if (result.cpu_ns !== null) (cpu[name] ??= []).push(result.cpu_ns / 1000 / ECHOES)
        line.push(`${name.split(' ')[0]} ${median(result.times).toFixed(3)} ms${result.cpu_ns === null ? '' : ` (${(result.cpu_ns / 1000 / ECHOES).toFixed(0)} µs CPU)`}`)
      }
      console.log(`round ${round + 1}: ${line.join(', ')}`)
    }
    const yardstick = median(p50[paths[0]![0]]!)
    console.log(`${ECHOES} one-byte round trips per round${ECHO_GAP_MS > 0 ? `, ${ECHO_GAP_MS} ms apart` : ''}, median of ${RUNS} per-round p50s:`)
    for (const [name] of paths) {
      const cpuLine = cpu[name] ? `, ${median(cpu[name]).toFixed(0)} µs of event-loop CPU per round trip` : ''
      console.log(`  ${name}: ${median(p50[name]!).toFixed(3)} ms, ${(median(p50[name]!) / yardstick).toFixed(2)}× ProxyJump${cpuLine}`)
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
    tmp.remove()
  }
}

await main()
