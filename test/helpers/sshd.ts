import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Daemon, freePort, startDaemon} from './processes.js'

export const SSHD = '/usr/sbin/sshd'

export interface SshdOptions {
  /** Lines appended to authorized_keys (plain-key access), optional. */
  authorizedKeys?: string[]
  /** Directory for the config and logs; must exist. */
  dir: string
  /** Extra sshd_config lines (before any Match). */
  extraConfig?: string[]
  hostCertificates?: string[]
  /** Paths of host private keys. */
  hostKeys: string[]
  /** Path of a TrustedUserCAKeys file, optional. */
  trustedUserCAKeys?: string
  /** Extra sshd command-line arguments (`-o LogLevel=DEBUG1` overrides the config's first value). */
  args?: string[]
}

export interface Sshd extends Daemon {
  readonly configPath: string
  readonly port: number
}

/** What every test sshd allows: key logins only, root included, no PAM, files of any mode, verbose logs. */
export const TEST_SSHD_POLICY = ['UsePAM no', 'PermitRootLogin yes', 'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'LogLevel VERBOSE']

/** The sshd_config a test sshd runs with: loopback only, its own files, nothing of the machine's. */
export function sshdConfig(options: SshdOptions): string {
  const authorizedKeys = join(options.dir, 'authorized_keys')
  writeFileSync(authorizedKeys, (options.authorizedKeys ?? []).map((l) => `${l}\n`).join(''), {mode: 0o600})
  return [
    'ListenAddress 127.0.0.1',
    ...options.hostKeys.map((k) => `HostKey ${k}`),
    ...(options.hostCertificates ?? []).map((c) => `HostCertificate ${c}`),
    ...(options.trustedUserCAKeys ? [`TrustedUserCAKeys ${options.trustedUserCAKeys}`] : []),
    `AuthorizedKeysFile ${authorizedKeys}`,
    'PidFile none',
    ...TEST_SSHD_POLICY,
    'Subsystem sftp internal-sftp',
    ...(options.extraConfig ?? []),
    '',
  ].join('\n')
}

/** Starts a real OpenSSH sshd in the foreground on a free loopback port; its log is its output. */
export async function startSshd(options: SshdOptions): Promise<Sshd> {
  // sshd refuses to start without its privilege-separation directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', {recursive: true})
  const configPath = join(options.dir, 'sshd_config')
  writeFileSync(configPath, sshdConfig(options))
  const port = await freePort()
  const daemon = await startDaemon(SSHD, ['-D', '-e', '-f', configPath, '-p', String(port), ...(options.args ?? [])], {
    ready: (output) => output.includes('Server listening on'),
    what: 'sshd',
  })
  return Object.assign(daemon, {configPath, port})
}
