import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa, type Options} from 'execa'

import {type CommandResult, commandResult} from './processes.js'

export interface SshClientOptions {
  /** Extra `-o` options. */
  config?: Record<string, string>
  /** Directory for the client's own known_hosts and config files. */
  dir: string
  /** Identity file (its `-cert.pub` is picked up by ssh). */
  identity?: string
  /** known_hosts lines; the file is written fresh for each call. */
  knownHosts: string[]
  port: number
  /** SSH_AUTH_SOCK for the client, or none. */
  agentSocket?: string
}

/** Runs the real OpenSSH client with nothing of the machine's ~/.ssh: `ssh -F none`, its own known_hosts. */
export async function runSsh(options: SshClientOptions, destination: string, command: string[], execaOptions: Options = {}): Promise<CommandResult> {
  const knownHosts = join(options.dir, 'known_hosts')
  writeFileSync(knownHosts, options.knownHosts.map((l) => `${l}\n`).join(''))
  const config: Record<string, string> = {
    BatchMode: 'yes',
    ConnectTimeout: '10',
    GlobalKnownHostsFile: '/dev/null',
    IdentitiesOnly: options.identity ? 'yes' : 'no',
    StrictHostKeyChecking: 'yes',
    UserKnownHostsFile: knownHosts,
    ...options.config,
  }
  const args = [
    '-F', 'none',
    '-p', String(options.port),
    ...Object.entries(config).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    ...(options.identity ? ['-i', options.identity] : []),
    destination,
    ...command,
  ]
  const result = await execa('ssh', args, {
    env: {SSH_AUTH_SOCK: options.agentSocket ?? ''},
    reject: false,
    stdin: 'ignore',
    timeout: 30_000,
    ...execaOptions,
  })
  return commandResult(result)
}
