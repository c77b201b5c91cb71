import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {connect} from 'node:net'

import {execa} from 'execa'

import {type Daemon, startDaemon} from './processes.js'

export interface Agent extends Daemon {
  /** `ssh-add` a key (its `-cert.pub` beside it is added too), optionally with a lifetime in seconds. */
  add(keyPath: string, lifetimeSeconds?: number): Promise<void>
  /** `ssh-add -L` output lines. */
  list(): Promise<string[]>
  readonly socket: string
}

/** A real OpenSSH ssh-agent in the foreground on a socket in `dir`. */
export async function startAgent(dir: string, name = 'agent.sock'): Promise<Agent> {
  const socket = join(dir, name)
  const daemon = await startDaemon('ssh-agent', ['-D', '-a', socket], {ready: () => existsSync(socket), what: 'ssh-agent'})
  // The socket file appears at bind(), a moment before listen(): wait until it accepts.
  await waitUntilAccepting(socket)
  const env = {SSH_AUTH_SOCK: socket}
  return Object.assign(daemon, {
    async add(keyPath: string, lifetimeSeconds?: number) {
      await execa('ssh-add', [...(lifetimeSeconds ? ['-t', String(lifetimeSeconds)] : []), keyPath], {env, stdin: 'ignore'})
    },
    async list() {
      const {exitCode, stdout} = await execa('ssh-add', ['-L'], {env, reject: false})
      return exitCode === 0 ? stdout.split('\n').filter(Boolean) : []
    },
    socket,
  })
}

async function waitUntilAccepting(socket: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const conn = connect(socket)
      conn.once('connect', () => {
        conn.destroy()
        resolve(true)
      })
      conn.once('error', () => resolve(false))
    })
    if (accepted) return
    if (Date.now() > deadline) throw new Error(`ssh-agent at ${socket} does not accept connections`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
