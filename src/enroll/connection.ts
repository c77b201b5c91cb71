import {userInfo} from 'node:os'

import type {HostAccessRecord} from '../inventory/store.js'
import {type HostExecutor, LocalExecutor} from './executor.js'
import type {HostFacts} from './inspect.js'
import {checkOperatorAccess, type HostKeyPolicy, operatorArgs, type ResolvedTarget, resolveTarget, type SshAccess, SshExecutor} from './ssh.js'
import type {HostTarget} from './target.js'

/**
 * A host being enrolled: the executor for its commands, the names the operator reaches it by,
 * and how to open a fresh connection to it, which differs between SSH and --local.
 */
export interface HostConnection {
  readonly name: string
  readonly executor: HostExecutor
  /** Names and addresses clients dial: they become host certificate principals. */
  readonly names: string[]
  readonly access: HostAccessRecord
  /** How a brand-new ssh reaches the host (without identities) and which login it uses. */
  newLogin(facts: HostFacts): {destination: string[]; login: string}
  /** Whether the operator's old way in still works; the reason when not. */
  checkOldAccess(): Promise<string | undefined>
  close(): Promise<void>
}

export async function connectOverSsh(target: HostTarget, access: SshAccess, hostKeys: HostKeyPolicy, reloadCommand?: string): Promise<HostConnection> {
  const resolved: ResolvedTarget = await resolveTarget(target, access)
  const executor = await SshExecutor.connect(target, access, hostKeys)
  const withoutIdentity = {...access, identity: undefined}
  return {
    name: target.spec,
    executor,
    names: [...new Set([...(target.alias ? [target.alias] : []), target.host, resolved.hostKeyAlias ?? resolved.hostname])],
    access: {
      host: target.host,
      ...(target.user ? {user: target.user} : {}),
      ...(target.port ? {port: target.port} : {}),
      ...(access.sshConfig ? {sshConfig: access.sshConfig} : {}),
      ...(access.identity ? {identity: access.identity} : {}),
      ...(access.sshOptions?.length ? {sshOptions: access.sshOptions} : {}),
      ...(access.sudo ? {sudo: true} : {}),
      ...(reloadCommand ? {reloadCommand} : {}),
    },
    newLogin: () => ({destination: [...operatorArgs(target, withoutIdentity), target.host], login: resolved.user}),
    checkOldAccess: () => checkOperatorAccess(target, access),
    close: () => executor.close(),
  }
}

export function connectLocally(options: {sudo?: boolean; reloadCommand?: string}): HostConnection {
  const executor = new LocalExecutor({sudo: options.sudo})
  return {
    name: 'localhost',
    executor,
    names: [],
    access: {local: true, ...(options.sudo ? {sudo: true} : {}), ...(options.reloadCommand ? {reloadCommand: options.reloadCommand} : {})},
    newLogin(facts) {
      const {address, port} = localListener(facts)
      // The host certificate names the host's own name, not the loopback address dialled here.
      return {destination: ['-F', 'none', '-o', `HostKeyAlias=${facts.hostname}`, '-p', String(port), address], login: userInfo().username}
    },
    // There is no remote session to lose: the local sshd answering again is the old access.
    checkOldAccess: async () => undefined,
    close: () => executor.close(),
  }
}

/** A loopback address and port the local sshd listens on, from `sshd -T`. */
export function localListener(facts: Pick<HostFacts, 'effective'>): {address: string; port: number} {
  const listen = facts.effective.get('listenaddress')?.[0]
  const match = listen ? /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen) : null
  if (match) {
    const address = match[1] === '0.0.0.0' ? '127.0.0.1' : match[1] === '::' ? '::1' : match[1]
    return {address, port: Number(match[2])}
  }
  return {address: '127.0.0.1', port: Number(facts.effective.get('port')?.[0] ?? 22)}
}
