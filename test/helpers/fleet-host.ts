import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'

import {type Daemon, freePort, startDaemon} from './processes.js'
import {SSHD, TEST_SSHD_POLICY} from './sshd.js'

/**
 * A stand-in for a real host: an sshd started from a config file the test owns and enrollment
 * edits (`sshd -D -e -f <config>`, port and pid file in the config), so a reload (SIGHUP to the
 * pid in its pid file) re-reads exactly what enrollment wrote.
 */
export interface FleetHost extends Daemon {
  dir: string
  configPath: string
  port: number
  /** `root@127.0.0.1:<port>`. */
  target: string
  /** Every file under the host's directory, path -> bytes (with mode), to prove nothing changed. */
  snapshot(): Map<string, string>
}

export interface FleetHostOptions {
  dir: string
  /** Public key lines allowed to log in (any user: the file is shared). */
  authorizedKeys: string[]
  /** The host's existing key type; 'ecdsa' leaves no ed25519 key, so enrollment makes one. */
  hostKeyType?: 'ed25519' | 'ecdsa'
  /** Turns the base config lines into the whole file (add Match blocks, Include, comments...). */
  config?: (base: string[], dir: string) => string
  /** Gets the host as soon as its sshd runs, so an afterAll stops it even when a sibling failed to start. */
  started?: FleetHost[]
}

export function baseConfig(dir: string, port: number, hostKey: string): string[] {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    ...TEST_SSHD_POLICY,
  ]
}

export async function startFleetHost(options: FleetHostOptions): Promise<FleetHost> {
  const {dir} = options
  mkdirSync(dir, {recursive: true})
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', {recursive: true})
  const type = options.hostKeyType ?? 'ed25519'
  const hostKey = join(dir, `ssh_host_${type}_key`)
  await execa('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `test-host@${dir}`, '-f', hostKey], {stdin: 'ignore'})
  writeFileSync(join(dir, 'authorized_keys'), options.authorizedKeys.map((line) => `${line}\n`).join(''), {mode: 0o600})
  const port = await freePort()
  const base = baseConfig(dir, port, hostKey)
  const configPath = join(dir, 'sshd_config')
  writeFileSync(configPath, options.config ? options.config(base, dir) : `${base.join('\n')}\n`)
  const daemon = await startDaemon(SSHD, ['-D', '-e', '-f', configPath], {ready: (output) => output.includes('Server listening on'), what: `sshd for ${dir}`})
  const host = Object.assign(daemon, {dir, configPath, port, target: `root@127.0.0.1:${port}`, snapshot: () => snapshot(dir)})
  options.started?.push(host)
  return host
}

function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>()
  const walk = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name)
      const stat = statSync(full)
      if (stat.isDirectory()) {
        files.set(`${full}/`, `dir ${(stat.mode & 0o7777).toString(8)}`)
        walk(full)
      } else {
        files.set(full, `${(stat.mode & 0o7777).toString(8)} ${readFileSync(full, 'utf8')}`)
      }
    }
  }
  walk(dir)
  return files
}

/** A user certificate from the fleet user CA for `login`, made by the CLI: key at `<out>`, cert at `<out>-cert.pub`. */
export const userCertArgs = (login: string, out: string) => ['auth', 'sign', '--user', login, '--ttl', '10m', '--out', out]
