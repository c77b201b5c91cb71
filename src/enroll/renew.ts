import {FleetError} from '../base/errors.js'
import {type InventoryHost, readInventory} from '../inventory/store.js'
import {connectLocally, connectOverSsh, type HostConnection} from './connection.js'
import {applyHost, describeChanges, type EnrollSettings, loadFleet, type PreparedHost, prepareHost} from './enroll.js'
import {type HostReport, type HostRun, report, runHostJob, type RunReport} from './run.js'
import type {HostKeyPolicy} from './ssh.js'
import type {HostTarget} from './target.js'

export interface RenewOptions extends Omit<HostRun, 'hosts' | 'access' | 'acceptNewHostKey'> {
  home: string
  /** Inventory names to renew; all when empty. */
  names: string[]
  /** Renew certificates that expire within this many seconds (all named ones with `force`). */
  expiringWithinSeconds: number
  force: boolean
  ttlSeconds: number
}

/** The target a recorded host was enrolled as. */
function recordedTarget(host: InventoryHost): HostTarget {
  const {access} = host
  return {spec: host.name, host: access.host ?? 'localhost', ...(access.user ? {user: access.user} : {}), ...(access.port ? {port: access.port} : {})}
}

/** Connects the way the host was enrolled: same ssh options and identity, or locally. */
function connectRecorded(host: InventoryHost, hostKeys: HostKeyPolicy): Promise<HostConnection> {
  const {access} = host
  if (access.local) return Promise.resolve(connectLocally({sudo: access.sudo, reloadCommand: access.reloadCommand}))
  return connectOverSsh(
    recordedTarget(host),
    {...(access.sshConfig ? {sshConfig: access.sshConfig} : {}), ...(access.identity ? {identity: access.identity} : {}), sshOptions: access.sshOptions ?? [], sudo: access.sudo ?? false},
    hostKeys,
    access.reloadCommand,
  )
}

/**
 * Re-signs the existing host key of every inventory host whose certificate expires soon, for the
 * principals recorded at enrollment, pushes the certificate and reloads sshd (no restart), then
 * checks a new connection sees it.
 */
export async function renewHosts(options: RenewOptions): Promise<RunReport> {
  const inventory = await readInventory(options.home)
  const unknown = options.names.filter((name) => !inventory.hosts.some((host) => host.name === name))
  if (unknown.length > 0) {
    throw new FleetError(`not in the inventory: ${unknown.join(', ')}`, {code: 'unknown_host', exit: 'usage', suggestions: ['See `fleetctl hosts ls` for the enrolled hosts.']})
  }
  const named = inventory.hosts.filter((host) => options.names.length === 0 || options.names.includes(host.name))
  const deadline = Date.now() + options.expiringWithinSeconds * 1000
  const due = named.filter((host) => options.force || (host.certificate.validBefore !== 'forever' && Date.parse(host.certificate.validBefore) < deadline))
  const records = new Map(due.map((host) => [host.name, host]))
  const fleet = await loadFleet(options.home)
  const settingsFor = (host: InventoryHost): EnrollSettings => ({
    home: options.home,
    sshdConfig: host.sshdConfig,
    principals: [],
    ttlSeconds: options.ttlSeconds,
    ...(host.access.reloadCommand ? {reloadCommand: host.access.reloadCommand} : {}),
    renew: {hostKey: host.hostKey, principals: host.principals},
  })

  const result = await runHostJob<PreparedHost>(
    {...options, hosts: due.map(recordedTarget), access: {}, acceptNewHostKey: false},
    {
      connect: (target, hostKeys) => connectRecorded(records.get(target.spec)!, hostKeys),
      prepare: (connection, target) => prepareHost(connection, settingsFor(records.get(target.spec)!), fleet),
      describe: describeChanges,
      apply: async (prepared, step) => {
        const outcome = await applyHost(prepared, settingsFor(records.get(prepared.connection.name)!), fleet, step)
        return {...outcome, certificate: {serial: outcome.certificate.serial, validBefore: outcome.certificate.validBefore}}
      },
    },
  )
  const notDue: HostReport[] = named
    .filter((host) => !records.has(host.name))
    .map((host) => ({host: host.name, status: 'unchanged', certificate: {serial: host.certificate.serial, validBefore: host.certificate.validBefore}, warnings: []}))
  return report(
    named.map(recordedTarget),
    new Map([...result.hosts, ...notDue].map((host) => [host.host, host])),
  )
}
