/**
 * `npm run bench`: the proxy against OpenSSH on loopback, interleaved in one run. Bulk (`head -c
 * N /dev/zero` to /dev/null; BENCH_BYTES, default 512M) and one-byte echo under a PTY (BENCH_ECHO
 * round trips), for OpenSSH direct, OpenSSH ProxyJump through a plain sshd, and `ssh -J` through
 * `fleetctl proxy` with recording on. BENCH_RUNS rounds (default 3); medians and ratios printed.
 * Needs the build (`npm run build`), sshd, ssh-agent and python3; run as root for PTYs.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

import {startAgent} from '../test/helpers/agent.js'
import {fleetUser, LOGIN, startFleetHost, startProxy} from '../test/helpers/proxy.js'
import {tmpDir} from '../test/helpers/tmp.js'

const BYTES = process.env.BENCH_BYTES ?? '512M'
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const ECHOES = Number(process.env.BENCH_ECHO ?? 200)
const ECHO_DRIVER = fileURLToPath(new URL('echo.py', import.meta.url))

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function main(): Promise<void> {
  const tmp = tmpDir('fleetctl-bench-')
  const home = join(tmp.path, 'home')
  const dir = (name: string) => {
    const path = join(tmp.path, name)
    mkdirSync(path, {recursive: true})
    return path
  }
  const proxy = await startProxy(home)
  const sshd = await startFleetHost(dir('host'), home)
  const agent = await startAgent(dir('agent'))
  try {
    await agent.add(await fleetUser(dir('user'), home, 'bench'))
    const knownHosts = join(tmp.path, 'known_hosts')
    writeFileSync(knownHosts, `@cert-authority * ${(await import('node:fs')).readFileSync(join(home, 'ca', 'host_ca.pub'), 'utf8')}`)
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
        'Host target',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        'Host *',
        `  User ${LOGIN}`,
        `  UserKnownHostsFile ${knownHosts}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '  IdentityFile /dev/null',
        '',
      ].join('\n'),
    )
    const paths: Record<string, string[]> = {
      'OpenSSH direct': ['target'],
      'OpenSSH ProxyJump': ['-J', 'plainjump', 'target'],
      'fleetctl proxy (recording on)': ['-J', 'fleetproxy', 'target'],
    }
    const env = {SSH_AUTH_SOCK: agent.socket, HOME: process.env.HOME, TERM: 'xterm'}
    const bulk: Record<string, number[]> = {}
    const echo: Record<string, number[]> = {}
    for (let run = 0; run < RUNS; run++) {
      for (const [name, args] of Object.entries(paths)) {
        const start = process.hrtime.bigint()
        const result = await execa('ssh', ['-F', config, ...args, `head -c ${BYTES} /dev/zero`], {env, stdin: 'ignore', stdout: 'ignore', reject: false})
        if (result.exitCode !== 0) throw new Error(`${name}: bulk failed: ${result.stderr}`)
        const seconds = Number(process.hrtime.bigint() - start) / 1e9
        ;(bulk[name] ??= []).push(seconds)
        const {stdout} = await execa('python3', [ECHO_DRIVER, String(ECHOES), '--', 'ssh', '-F', config, '-tt', ...args], {env, stdin: 'ignore'})
        ;(echo[name] ??= []).push(median(JSON.parse(stdout) as number[]))
        process.stderr.write('.')
      }
    }
    process.stderr.write('\n')
    const bytes = Number((await execa('bash', ['-c', `head -c ${BYTES} /dev/zero | wc -c`])).stdout)
    const baseline = 'OpenSSH ProxyJump'
    const rows = Object.keys(paths).map((name) => {
      const mbps = bytes / 1e6 / median(bulk[name]!)
      const p50 = median(echo[name]!)
      return {name, mbps, p50}
    })
    const base = rows.find((row) => row.name === baseline)!
    console.log(`bulk: head -c ${BYTES} /dev/zero, ${RUNS} interleaved runs; echo: ${ECHOES} one-byte round trips under a PTY, median of per-run p50`)
    console.log('path                              bulk MB/s   vs ProxyJump   echo p50 ms   vs ProxyJump')
    for (const row of rows) {
      console.log(
        `${row.name.padEnd(34)}${row.mbps.toFixed(1).padStart(9)}   ${(row.mbps / base.mbps).toFixed(2).padStart(11)}×   ${row.p50.toFixed(3).padStart(11)}   ${(row.p50 / base.p50).toFixed(2).padStart(11)}×`,
      )
    }
    const listening = proxy.events().find((e) => e.event === 'proxy.listening')
    console.log(`ssh2 native crypto binding loaded: ${String(listening?.native_crypto)}`)
    console.log(`proxy RSS after the run: ${(Number((await execa('ps', ['-o', 'rss=', '-p', String(proxy.pid)])).stdout.trim()) / 1024).toFixed(1)} MB`)
  } finally {
    await Promise.all([proxy.stop(), sshd.stop(), agent.stop()])
    tmp.remove()
  }
}

await main()
