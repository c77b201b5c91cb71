import {ExitCode, FleetError} from '../base/errors.js'
import {type HostConnection, connectLocally, connectOverSsh} from './connection.js'
import {applyHost, describeChanges, type EnrollSettings, loadFleet, type PreparedHost, prepareHost} from './enroll.js'
import {type HostTaskResult, type ProgressStyle, runHostTasks} from './progress.js'
import {ConnectError, type HostKeyPolicy, resolveTarget, scanHostKeyFingerprints, type SshAccess} from './ssh.js'
import type {HostTarget} from './target.js'

export type HostStatus = 'enrolled' | 'renewed' | 'unenrolled' | 'unchanged' | 'would-change' | 'failed' | 'skipped'

/** One host's line in the summary (and in --json). */
export interface HostReport {
  host: string
  status: HostStatus
  /** Why it failed or was skipped, in one line. */
  reason?: string
  /** A failed host's exit class (README, "Exit codes"). */
  exit?: number
  principals?: string[]
  certificate?: {serial: string; validBefore: string}
  reloadedWith?: string
  /** What inspection found: the OS and the sshd version. */
  system?: {os: string; sshd: string}
  warnings: string[]
  /** --dry-run: what would be written. */
  diff?: string
}

export interface RunReport {
  hosts: HostReport[]
  counts: Record<HostStatus, number>
}

/** What every multi-host command shares: which hosts, how to reach them, how to show progress and ask. */
export interface HostRun {
  /** The hosts, or 'local' for this machine. */
  hosts: HostTarget[] | 'local'
  access: SshAccess
  acceptNewHostKey: boolean
  concurrency: number
  dryRun: boolean
  progress: ProgressStyle
  /** Asks about a host key seen for the first time; absent when nobody can answer. */
  confirmHostKey?: (host: string, fingerprints: string[]) => Promise<boolean>
  /** Asks before any host changes; absent under --yes, CI or without a terminal. */
  confirmChanges?: (changes: Array<{host: string; diff: string}>) => Promise<boolean>
  reloadCommand?: string
}

export interface EnrollRun extends HostRun {
  settings: EnrollSettings
}

/** What a job has learnt about a host before changing it. */
export interface Prepared {
  status: 'change' | 'unchanged'
  warnings: string[]
  principals?: string[]
  system?: {os: string; sshd: string}
}

export interface JobOutcome {
  status: 'enrolled' | 'renewed' | 'unchanged' | 'unenrolled'
  certificate?: {serial: string; validBefore: string}
  principals?: string[]
  reloadedWith?: string
}

/** One kind of change to hosts: enroll, unenroll, renew. */
export interface HostJob<P extends Prepared> {
  /** Opens the connection; the default is the operator's ssh (or this machine for 'local'). */
  connect?: (target: HostTarget, hostKeys: HostKeyPolicy) => Promise<HostConnection>
  prepare(connection: HostConnection, target: HostTarget): Promise<P>
  describe(prepared: P): string
  apply(prepared: P, step: (text: string) => void): Promise<JobOutcome>
}

const LOCAL: HostTarget = {spec: 'localhost', host: 'localhost'}

export async function enrollHosts(run: EnrollRun): Promise<RunReport> {
  const fleet = await loadFleet(run.settings.home)
  return runHostJob<PreparedHost>({...run, reloadCommand: run.reloadCommand ?? run.settings.reloadCommand}, {
    prepare: (connection, target) => prepareHost(connection, {...run.settings, ...(target.sshdConfig ? {sshdConfig: target.sshdConfig} : {})}, fleet),
    describe: describeChanges,
    apply: async (host, step) => {
      const outcome = await applyHost(host, run.settings, fleet, step)
      return {...outcome, certificate: {serial: outcome.certificate.serial, validBefore: outcome.certificate.validBefore}}
    },
  })
}

/**
 * Runs a job on every host: connect and prepare all (nothing changes), settle first-seen host
 * keys, show (--dry-run) or confirm the changes, then apply them `concurrency` at a time.
 */
export async function runHostJob<P extends Prepared>(run: HostRun, job: HostJob<P>): Promise<RunReport> {
  const targets = run.hosts === 'local' ? [LOCAL] : run.hosts
  const reports = new Map<string, HostReport>()
  const prepared = new Map<string, P>()
  const connections: HostConnection[] = []
  const fail = (host: string, error: Error, status: HostStatus = 'failed') =>
    reports.set(host, {host, status, reason: error.message, ...(status === 'failed' ? {exit: exitClass(error)} : {}), warnings: []})
  const connect =
    job.connect ??
    ((target: HostTarget, hostKeys: HostKeyPolicy) =>
      run.hosts === 'local' ? Promise.resolve(connectLocally({sudo: run.access.sudo, reloadCommand: run.reloadCommand})) : connectOverSsh(target, run.access, hostKeys, run.reloadCommand))

  const prepareOne = async (target: HostTarget, hostKeys: HostKeyPolicy, step: (text: string) => void) => {
    step('connecting')
    const connection = await connect(target, hostKeys)
    connections.push(connection)
    step('inspecting and planning')
    const host = await job.prepare(connection, target)
    prepared.set(target.spec, host)
    return host
  }

  try {
    const policy: HostKeyPolicy = run.acceptNewHostKey ? 'accept-new' : 'strict'
    const unknownKeys: HostTarget[] = []
    const first = await runHostTasks(
      targets,
      {concurrency: run.concurrency, style: run.progress, name: (t) => t.spec, done: (host: Prepared | null) => (host ? planned(host) : 'host key not known yet')},
      async (target, step) => {
        try {
          return await prepareOne(target, policy, step)
        } catch (error) {
          // Not a failure yet: the operator is asked (or told) once every host has been tried.
          if (!(error instanceof ConnectError && error.kind === 'host_key_unknown')) throw error
          unknownKeys.push(target)
          return null
        }
      },
    )
    first.forEach((result, index) => {
      if (!result.ok) fail(targets[index].spec, result.error)
    })
    unknownKeys.sort((a, b) => targets.indexOf(a) - targets.indexOf(b))
    await settleHostKeys(run, unknownKeys, fail, prepareOne)

    if (run.dryRun) {
      for (const [name, host] of prepared) {
        reports.set(name, {
          host: name,
          status: host.status === 'change' ? 'would-change' : 'unchanged',
          ...(host.principals ? {principals: host.principals} : {}),
          ...(host.system ? {system: host.system} : {}),
          warnings: host.warnings,
          ...(host.status === 'change' ? {diff: job.describe(host)} : {}),
        })
      }
      return report(targets, reports)
    }

    const changing = [...prepared.entries()].filter(([, host]) => host.status === 'change')
    if (run.confirmChanges && changing.length > 0) {
      const yes = await run.confirmChanges(changing.map(([name, host]) => ({host: name, diff: job.describe(host)})))
      if (!yes) {
        for (const [name] of changing) {
          fail(name, new Error('not confirmed; nothing changed'), 'skipped')
          prepared.delete(name)
        }
      }
    }

    const ready = targets.filter((target) => prepared.has(target.spec))
    const interruption = finishInFlightOnInterrupt()
    try {
      const applied = await runHostTasks(
        ready,
        {concurrency: run.concurrency, style: run.progress, name: (t) => t.spec, done: (outcome: JobOutcome) => `${outcome.status}${outcome.certificate ? `, certificate valid until ${outcome.certificate.validBefore}` : ''}`},
        (target, step) => {
          if (interruption.interrupted) throw new InterruptedError()
          return job.apply(prepared.get(target.spec)!, step)
        },
      )
      applied.forEach((result, index) => {
        const name = ready[index].spec
        const {system, warnings} = prepared.get(name)!
        const common = {...(system ? {system} : {}), warnings}
        if (result.ok) reports.set(name, {host: name, ...result.value, ...common})
        else if (result.error instanceof InterruptedError) reports.set(name, {host: name, status: 'skipped', reason: result.error.message, ...common})
        else reports.set(name, {host: name, status: 'failed', reason: result.error.message, exit: exitClass(result.error), ...common})
      })
    } finally {
      interruption.release()
    }
    return report(targets, reports)
  } finally {
    await Promise.all(connections.map((connection) => connection.close().catch(() => {})))
  }
}

class InterruptedError extends Error {
  constructor() {
    super('interrupted before it started; nothing changed')
  }
}

/**
 * A host half-way through a change must finish it or roll it back, never stop between writing
 * sshd_config and checking the new login. The first Ctrl-C lets running hosts finish and starts
 * no new one; a second one exits at once.
 */
function finishInFlightOnInterrupt(): {interrupted: boolean; release: () => void} {
  const state = {interrupted: false, release: () => {}}
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.interrupted) process.exit(130)
    state.interrupted = true
    process.stderr.write(`\n${signal}: finishing the hosts being changed (or rolling them back); no other host will start. Again to exit now.\n`)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  state.release = () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return state
}

const planned = (host: Prepared) => (host.status === 'change' ? 'ready to change' : 'already enrolled')

/** First-seen host keys: ask (showing the fingerprints), or fail with them when nobody can answer. */
async function settleHostKeys(
  run: HostRun,
  targets: HostTarget[],
  fail: (host: string, error: Error) => void,
  prepareOne: (target: HostTarget, policy: HostKeyPolicy, step: (text: string) => void) => Promise<Prepared>,
): Promise<void> {
  for (const target of targets) {
    const fingerprints = await scanHostKeyFingerprints(await resolveTarget(target, run.access)).catch(() => [])
    const shown = fingerprints.length > 0 ? fingerprints.join(', ') : 'no key could be read'
    if (!run.confirmHostKey) {
      fail(target.spec, new ConnectError('host_key_unknown', `the host key of ${target.spec} is not in known_hosts (${shown}); pass --accept-new-host-key after checking it, or connect once with ssh`))
      continue
    }
    if (!(await run.confirmHostKey(target.spec, fingerprints))) {
      fail(target.spec, new Error('host key not confirmed; nothing changed'))
      continue
    }
    const [result]: HostTaskResult<Prepared>[] = await runHostTasks([target], {concurrency: 1, style: run.progress, name: (t) => t.spec, done: planned}, (t, step) => prepareOne(t, 'accept-new', step))
    if (!result.ok) fail(target.spec, result.error)
  }
}

const exitClass = (error: Error) => (error instanceof FleetError ? error.exitCode : ExitCode.failure)

/**
 * The exit code of a run over hosts: 0 when none failed; the failed hosts' exit class when they
 * share one (every host unreachable: 6), else 1.
 */
export function runExitCode(result: RunReport): number {
  const classes = new Set(result.hosts.filter((host) => host.status === 'failed').map((host) => host.exit ?? ExitCode.failure))
  if (classes.size === 0) return ExitCode.ok
  return classes.size === 1 ? [...classes][0] : ExitCode.failure
}

export function report(targets: HostTarget[], reports: Map<string, HostReport>): RunReport {
  const hosts = targets.map((target) => reports.get(target.spec) ?? {host: target.spec, status: 'failed' as const, reason: 'not run', warnings: []})
  const counts: Record<HostStatus, number> = {enrolled: 0, renewed: 0, unenrolled: 0, unchanged: 0, 'would-change': 0, failed: 0, skipped: 0}
  for (const host of hosts) counts[host.status]++
  return {hosts, counts}
}

/** The summary table: one row per host, reasons in full (they are one line each). */
export function renderSummary(result: RunReport): string {
  const rows = result.hosts.map((host) => [
    host.host,
    host.status,
    host.reason ?? (host.certificate ? `serial ${host.certificate.serial}, valid until ${host.certificate.validBefore}` : host.status === 'would-change' ? 'see the diff above' : ''),
  ])
  const header = ['HOST', 'STATUS', 'DETAIL']
  const widths = [0, 1].map((column) => Math.max(header[column].length, ...rows.map((row) => row[column].length)))
  const line = (row: string[]) => `${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2]}`.trimEnd()
  const totals = Object.entries(result.counts)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ')
  return [line(header), ...rows.map(line), '', totals].join('\n')
}
