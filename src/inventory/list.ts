import {formatDuration} from '../certs/index.js'
import {type InventoryHost, readInventory} from './store.js'

export interface HostListing {
  hosts: Array<InventoryHost & {expiresIn: string; expiresInSeconds: number | null}>
}

/** The inventory with each certificate's time left, soonest expiry first; optionally only those expiring within a window. */
export async function listHosts(home: string, options: {expiringWithinSeconds?: number; now?: number} = {}): Promise<HostListing> {
  const now = options.now ?? Date.now()
  const hosts = (await readInventory(home)).hosts.map((host) => {
    const seconds = host.certificate.validBefore === 'forever' ? null : Math.floor((Date.parse(host.certificate.validBefore) - now) / 1000)
    return {...host, expiresInSeconds: seconds, expiresIn: seconds === null ? 'never' : seconds <= 0 ? 'EXPIRED' : formatDuration(seconds)}
  })
  const window = options.expiringWithinSeconds
  return {
    hosts: hosts
      .filter((host) => window === undefined || (host.expiresInSeconds !== null && host.expiresInSeconds < window))
      .sort((a, b) => (a.expiresInSeconds ?? Infinity) - (b.expiresInSeconds ?? Infinity) || a.name.localeCompare(b.name)),
  }
}

export function renderHostListing(listing: HostListing): string {
  if (listing.hosts.length === 0) return 'No enrolled hosts. Enroll one with `fleetctl enroll host [user@]host`.'
  const rows = [
    ['HOST', 'PRINCIPALS', 'CERTIFICATE EXPIRES', 'IN', 'SERIAL', 'ENROLLED'],
    ...listing.hosts.map((host) => [host.name, host.principals.join(','), host.certificate.validBefore, host.expiresIn, host.certificate.serial, host.enrolledAt.slice(0, 10)]),
  ]
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n')
}
