import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'

import {FleetError} from '../base/errors.js'
import {fingerprint, parsePublicKey} from '../certs/index.js'
import {type CommandOutcome, type HostExecutor, lastLine, shellCommand, shellQuote} from './executor.js'
import type {HostTarget} from './target.js'

/** How the operator reaches hosts: what they would give the ssh command. */
export interface SshAccess {
  /** `ssh -F`: an ssh_config other than ~/.ssh/config. */
  sshConfig?: string
  /** `ssh -i`. */
  identity?: string
  /** `ssh -o`, as `Key=Value`. */
  sshOptions?: string[]
  connectTimeoutSeconds?: number
  /** Run every command through `sudo -n` (a non-root login). */
  sudo?: boolean
}

/** What `ssh -G` says the client will use for a target. */
export interface ResolvedTarget {
  user: string
  hostname: string
  port: number
  hostKeyAlias?: string
}

export type HostKeyPolicy = 'strict' | 'accept-new'

/** Why a connection failed, as a code the caller can act on and one line for the summary. */
export type ConnectFailure = 'host_key_unknown' | 'host_key_changed' | 'auth_failed' | 'unreachable' | 'not_ssh' | 'ssh_failed'

/** Options every connection fleetctl opens gets, ahead of the operator's so they cannot be undone. */
function ourOptions(access: SshAccess): string[] {
  return ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${access.connectTimeoutSeconds ?? 15}`, '-o', 'ServerAliveInterval=15']
}

/** The operator's part: config file, identity, -o options, user and port from the target. */
export function operatorArgs(target: HostTarget, access: SshAccess): string[] {
  return [
    ...(access.sshConfig ? ['-F', access.sshConfig] : []),
    ...(access.identity ? ['-i', access.identity] : []),
    ...(access.sshOptions ?? []).flatMap((option) => ['-o', option]),
    ...(target.user ? ['-l', target.user] : []),
    ...(target.port ? ['-p', String(target.port)] : []),
  ]
}

/** `ssh -G`: the user, address and port the client would really use (aliases, HostName, Port). */
export async function resolveTarget(target: HostTarget, access: SshAccess): Promise<ResolvedTarget> {
  const result = await execa('ssh', [...operatorArgs(target, access), '-G', target.host], {reject: false, stdin: 'ignore'})
  if (result.exitCode !== 0) {
    throw new FleetError(`ssh -G ${target.host} failed: ${lastLine(String(result.stderr))}`, {code: 'ssh_config', exit: 'usage'})
  }
  const values = new Map<string, string>()
  for (const line of String(result.stdout).split('\n')) {
    const space = line.indexOf(' ')
    if (space > 0 && !values.has(line.slice(0, space))) values.set(line.slice(0, space), line.slice(space + 1).trim())
  }
  const alias = values.get('hostkeyalias')
  return {
    user: values.get('user') ?? 'root',
    hostname: values.get('hostname') ?? target.host,
    port: Number(values.get('port') ?? 22),
    ...(alias && alias !== 'none' ? {hostKeyAlias: alias} : {}),
  }
}

/** Sorts ssh's complaint into a failure kind and a one-line reason. */
export function classifySshFailure(target: string, stderr: string): {kind: ConnectFailure; reason: string} {
  const line = lastLine(stderr)
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return {kind: 'host_key_changed', reason: `the host key of ${target} does not match the one in known_hosts (possible impersonation); fix known_hosts first`}
  }
  if (/host key is known for|Host key verification failed|authenticity of host/i.test(stderr)) {
    return {kind: 'host_key_unknown', reason: `the host key of ${target} is not in known_hosts`}
  }
  if (/Permission denied|Too many authentication failures/i.test(stderr)) {
    return {kind: 'auth_failed', reason: `login to ${target} refused: ${line}`}
  }
  if (/kex_exchange_identification|banner exchange|invalid format|Protocol major versions differ|Bad packet length|message authentication code incorrect/i.test(stderr)) {
    return {kind: 'not_ssh', reason: `${target} does not speak SSH: ${line}`}
  }
  if (/Connection refused|timed out|No route to host|Could not resolve|Network is unreachable|Name or service not known|Connection closed|Connection reset/i.test(stderr)) {
    return {kind: 'unreachable', reason: `cannot reach ${target}: ${line}`}
  }
  return {kind: 'ssh_failed', reason: `ssh to ${target} failed: ${line || 'no message'}`}
}

export class ConnectError extends FleetError {
  constructor(
    readonly kind: ConnectFailure,
    reason: string,
  ) {
    super(reason, {
      code: `connect_${kind}`,
      exit: kind === 'host_key_changed' || kind === 'host_key_unknown' ? 'untrusted' : 'unreachable',
      suggestions:
        kind === 'host_key_unknown'
          ? ['Check the fingerprint and pass --accept-new-host-key, or connect once with ssh and confirm it.']
          : kind === 'auth_failed'
            ? ['Check that `ssh <host> true` works with the same --identity, --ssh-option and user.']
            : [],
    })
  }
}

/**
 * One host over the operator's own OpenSSH client. A ControlMaster connection carries every
 * command, so the session that made the change is still open after sshd reloads.
 */
export class SshExecutor implements HostExecutor {
  private constructor(
    readonly name: string,
    private readonly target: HostTarget,
    private readonly access: SshAccess,
    private readonly controlDir: string,
  ) {}

  private get controlPath(): string {
    return join(this.controlDir, 'master')
  }

  static async connect(target: HostTarget, access: SshAccess, hostKeys: HostKeyPolicy): Promise<SshExecutor> {
    // A private directory: whoever can open the control socket can run commands as the operator.
    const controlDir = await mkdtemp(join(tmpdir(), 'fleetctl-ssh-'))
    const executor = new SshExecutor(target.spec, target, access, controlDir)
    const result = await execa(
      'ssh',
      [
        '-o', 'ControlMaster=yes',
        '-o', `ControlPath=${executor.controlPath}`,
        '-o', 'ControlPersist=600',
        '-o', `StrictHostKeyChecking=${hostKeys === 'accept-new' ? 'accept-new' : 'yes'}`,
        ...ourOptions(access),
        ...operatorArgs(target, access),
        '-T',
        target.host,
        'true',
      ],
      {reject: false, stdin: 'ignore', timeout: 120_000},
    )
    if (result.exitCode !== 0) {
      await rm(controlDir, {force: true, recursive: true})
      const {kind, reason} = classifySshFailure(target.spec, `${result.stderr}${result.timedOut ? '\nconnection timed out' : ''}`)
      throw new ConnectError(kind, reason)
    }
    return executor
  }

  async run(script: string, args: string[] = [], options: {input?: string} = {}): Promise<CommandOutcome> {
    const remote = shellCommand(script, args, this.access.sudo ?? false).map(shellQuote).join(' ')
    const result = await execa(
      'ssh',
      ['-o', 'ControlMaster=no', '-o', `ControlPath=${this.controlPath}`, ...ourOptions(this.access), ...operatorArgs(this.target, this.access), '-T', this.target.host, remote],
      {reject: false, stripFinalNewline: false, timeout: 120_000, ...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input})},
    )
    if (result.exitCode === 255 && !String(result.stdout)) {
      const {reason} = classifySshFailure(this.target.spec, String(result.stderr))
      return {exitCode: 255, stderr: reason, stdout: ''}
    }
    return {exitCode: result.exitCode ?? 1, stderr: String(result.stderr ?? ''), stdout: String(result.stdout ?? '')}
  }

  async close(): Promise<void> {
    await execa('ssh', ['-o', `ControlPath=${this.controlPath}`, '-O', 'exit', ...operatorArgs(this.target, this.access), this.target.host], {reject: false, stdin: 'ignore', timeout: 15_000})
    await rm(this.controlDir, {force: true, recursive: true})
  }
}

/** A fresh connection with the operator's own access (no master): "does my old way in still work?" */
export async function checkOperatorAccess(target: HostTarget, access: SshAccess, retryForMs = 15_000): Promise<string | undefined> {
  const deadline = Date.now() + retryForMs
  for (;;) {
    const result = await execa(
      'ssh',
      ['-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-o', 'StrictHostKeyChecking=yes', ...ourOptions(access), ...operatorArgs(target, access), '-T', target.host, 'true'],
      {reject: false, stdin: 'ignore', timeout: 60_000},
    )
    if (result.exitCode === 0) return undefined
    // Right after a reload sshd re-executes itself and refuses connections for a moment.
    if (/Connection refused|Connection reset|Connection closed/.test(String(result.stderr)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300))
      continue
    }
    return classifySshFailure(target.spec, String(result.stderr)).reason
  }
}

/** The fingerprints a host offers, for the operator to compare before trusting it. */
export async function scanHostKeyFingerprints(resolved: ResolvedTarget): Promise<string[]> {
  const result = await execa('ssh-keyscan', ['-T', '10', '-p', String(resolved.port), resolved.hostname], {reject: false, stdin: 'ignore'})
  const fingerprints: string[] = []
  for (const line of String(result.stdout).split('\n')) {
    const [, type, data] = line.trim().split(/\s+/)
    if (!type || !data || line.startsWith('#')) continue
    try {
      fingerprints.push(`${type} ${fingerprint(parsePublicKey(`${type} ${data}`).key)}`)
    } catch {
      // A key type this build does not parse: leave it out of the list.
    }
  }
  return fingerprints
}
