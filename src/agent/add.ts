import {execa} from 'execa'

import {FleetError} from '../base/errors.js'

/**
 * Loads a key and the `-cert.pub` beside it into the agent with `ssh-add -t`, so the agent
 * itself forgets both when the certificate runs out.
 */
export async function addToAgent(keyPath: string, options: {lifetimeSeconds: number; socket: string}): Promise<void> {
  const result = await execa('ssh-add', ['-t', String(options.lifetimeSeconds), keyPath], {
    env: {SSH_AUTH_SOCK: options.socket},
    reject: false,
    stdin: 'ignore',
  })
  if (result.exitCode !== 0) {
    throw new FleetError(`ssh-add could not load ${keyPath} into the agent at ${options.socket}: ${result.stderr.trim() || `exit ${result.exitCode}`}`, {
      code: 'agent_add_failed',
      exit: 'failure',
      suggestions: ['Check that SSH_AUTH_SOCK points at a running OpenSSH ssh-agent, or pass --no-agent and use the files with CertificateFile.'],
    })
  }
}

/** Removes a key (and its certificate) from the agent; a key that is not there is not an error. */
export async function removeFromAgent(keyPath: string, socket: string): Promise<void> {
  await execa('ssh-add', ['-d', keyPath], {env: {SSH_AUTH_SOCK: socket}, reject: false, stdin: 'ignore'})
}
