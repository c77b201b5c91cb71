import {isAbsolute, resolve} from 'node:path'

import {Flags} from '@oclif/core'

import {FleetError} from '../base/errors.js'
import {DEFAULT_SSHD_CONFIG} from './enroll.js'
import type {ProgressStyle} from './progress.js'
import type {SshAccess} from './ssh.js'

/** Flags of every command that reaches hosts over SSH (enroll, unenroll, renew). */
export const sshAccessFlags = {
  'accept-new-host-key': Flags.boolean({
    env: 'FLEETCTL_ACCEPT_NEW_HOST_KEY',
    summary: 'Trust a host key seen for the first time without asking (OpenSSH\'s StrictHostKeyChecking accept-new).',
  }),
  identity: Flags.string({char: 'i', env: 'FLEETCTL_IDENTITY', summary: 'Private key to log in with (ssh -i); default: your agent and ~/.ssh/config.'}),
  'ssh-config': Flags.string({char: 'F', env: 'FLEETCTL_SSH_CONFIG', summary: 'ssh_config file to use instead of ~/.ssh/config (ssh -F).'}),
  'ssh-option': Flags.string({char: 'o', multiple: true, summary: 'Option for ssh, as Key=Value (ssh -o); repeatable.'}),
  sudo: Flags.boolean({env: 'FLEETCTL_SUDO', summary: 'Run the host-side commands through sudo -n (for a non-root login).'}),
}

/** The exit codes of a command that works on many hosts (runExitCode), for its --help. */
export const HOST_RUN_EXIT_CODES = 'Exits 0 when no host failed; when hosts failed, with the exit code they share (6: none could be reached, 5: a host key was not trusted), else 1.'

export const concurrencyFlag = Flags.integer({default: 5, env: 'FLEETCTL_CONCURRENCY', min: 1, max: 100, summary: 'Hosts worked on at the same time.'})

export const sshdConfigFlag = Flags.string({
  default: DEFAULT_SSHD_CONFIG,
  env: 'FLEETCTL_SSHD_CONFIG',
  summary: 'sshd_config on the host; the user CA key, host key and certificate go beside it.',
})

export const reloadCommandFlag = Flags.string({env: 'FLEETCTL_RELOAD_COMMAND', summary: 'Command that reloads sshd on the host (default: pid file, systemd or init script).'})

/**
 * The sshd_config path as sshd and the managed lines need it: absolute. On this machine a
 * relative path is taken from the working directory; on a remote host there is none to take.
 */
export function sshdConfigPath(path: string, local: boolean): string {
  if (isAbsolute(path)) return path
  if (local) return resolve(path)
  throw new FleetError(`--sshd-config ${path} must be an absolute path on the host`, {code: 'bad_flags', exit: 'usage', suggestions: [`Write it from the root, e.g. /etc/ssh/${path.replace(/^\.\//, '')}.`]})
}

export function sshAccess(flags: {identity?: string; 'ssh-config'?: string; 'ssh-option'?: string[]; sudo?: boolean}): SshAccess {
  for (const option of flags['ssh-option'] ?? []) {
    if (!/^\w+[= ]/.test(option)) throw new FleetError(`--ssh-option "${option}" is not Key=Value`, {code: 'bad_flags', exit: 'usage', suggestions: ['Write ssh options as -o Port=2222.']})
  }
  return {
    ...(flags.identity ? {identity: flags.identity} : {}),
    ...(flags['ssh-config'] ? {sshConfig: flags['ssh-config']} : {}),
    sshOptions: flags['ssh-option'] ?? [],
    sudo: flags.sudo ?? false,
  }
}

/** Redrawn lines on a terminal, plain lines otherwise, nothing under --json. */
export function progressStyle(json: boolean): ProgressStyle {
  if (json) return 'silent'
  return process.stderr.isTTY && !process.env.CI ? 'tty' : 'lines'
}
