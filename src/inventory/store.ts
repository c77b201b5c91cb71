import {readFile} from 'node:fs/promises'

import {FleetError} from '../base/errors.js'
import {writeFileSafely} from '../state/files.js'
import {statePaths} from '../state/home.js'

/** How fleetctl reached the host, so `hosts renew` and `unenroll host` can reach it again. */
export interface HostAccessRecord {
  local?: boolean
  host?: string
  user?: string
  port?: number
  sshConfig?: string
  identity?: string
  sshOptions?: string[]
  sudo?: boolean
  reloadCommand?: string
}

/** One enrolled host in inventory.json. */
export interface InventoryHost {
  /** The host as the operator named it (`[user@]host[:port]`, or `localhost` for --local). */
  name: string
  access: HostAccessRecord
  hostname: string
  os: string
  sshdVersion: string
  sshdConfig: string
  hostKey: string
  hostKeyFingerprint: string
  hostCertificate: string
  trustedUserCAKeys: string
  principals: string[]
  certificate: {serial: string; keyId: string; validAfter: string; validBefore: string}
  /** sshd's effective MaxStartups after enrollment, when known. */
  maxStartups?: string
  enrolledAt: string
  renewedAt?: string
}

export interface Inventory {
  version: 1
  hosts: InventoryHost[]
}

export async function readInventory(home: string): Promise<Inventory> {
  const path = statePaths(home).inventory
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {version: 1, hosts: []}
    throw error
  }
  try {
    const value = JSON.parse(text) as Inventory
    if (value?.version !== 1 || !Array.isArray(value.hosts)) throw new Error('expected {"version": 1, "hosts": [...]}')
    return value
  } catch (error) {
    throw new FleetError(`${path} is not a fleetctl inventory: ${(error as Error).message}`, {
      code: 'inventory_invalid',
      exit: 'usage',
      suggestions: [`Fix or move ${path} aside; enrolling a host again records it anew.`],
    })
  }
}

// Hosts finish in parallel: updates to the one file go one after another.
let queue: Promise<unknown> = Promise.resolve()

/** Read, change and write inventory.json, one change at a time within this process. */
export async function updateInventory(home: string, change: (inventory: Inventory) => void): Promise<Inventory> {
  const next = queue.then(async () => {
    const inventory = await readInventory(home)
    change(inventory)
    inventory.hosts.sort((a, b) => a.name.localeCompare(b.name))
    await writeFileSafely(statePaths(home).inventory, `${JSON.stringify(inventory, null, 2)}\n`, {mode: 0o600, overwrite: true})
    return inventory
  })
  queue = next.catch(() => {})
  return next
}

export async function recordHost(home: string, host: InventoryHost): Promise<void> {
  await updateInventory(home, (inventory) => {
    const existing = inventory.hosts.find((entry) => entry.name === host.name)
    // Re-enrolling or renewing keeps the first enrollment date; a new certificate marks a renewal.
    const entry = existing
      ? {...host, enrolledAt: existing.enrolledAt, ...(existing.certificate.serial === host.certificate.serial ? (existing.renewedAt ? {renewedAt: existing.renewedAt} : {}) : {renewedAt: host.enrolledAt})}
      : host
    inventory.hosts = [...inventory.hosts.filter((other) => other.name !== host.name), entry]
  })
}

export async function forgetHost(home: string, name: string): Promise<void> {
  await updateInventory(home, (inventory) => {
    inventory.hosts = inventory.hosts.filter((entry) => entry.name !== name)
  })
}
