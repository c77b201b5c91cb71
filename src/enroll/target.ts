import {FleetError} from '../base/errors.js'

/** A host as the operator named it: `[user@]host[:port]`, host possibly an ssh_config alias. */
export interface HostTarget {
  /** The text as given; the key of the host in the inventory. */
  spec: string
  host: string
  user?: string
  port?: number
  /** Another name the host goes by (an Ansible inventory name whose ansible_host is an address). */
  alias?: string
  /** This host's sshd_config, when an inventory says (`fleetctl_sshd_config`); else --sshd-config. */
  sshdConfig?: string
}

/** Parses `[user@]host[:port]`, with `[v6-address]:port` for IPv6 and a bare address without port. */
export function parseTarget(spec: string): HostTarget {
  const text = spec.trim()
  const at = text.lastIndexOf('@')
  const user = at > 0 ? text.slice(0, at) : undefined
  let rest = at >= 0 ? text.slice(at + 1) : text
  let port: number | undefined
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
  if (bracketed) {
    rest = bracketed[1]
    if (bracketed[2] !== undefined) port = Number(bracketed[2])
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [host, portText] = rest.split(':')
    if (!/^\d+$/.test(portText)) throw badTarget(spec, `port "${portText}" is not a number`)
    rest = host
    port = Number(portText)
  }
  if (!rest || /[\s/'"`$;&|<>]/.test(rest) || rest.startsWith('-')) throw badTarget(spec, 'not a host name or address')
  if (user !== undefined && !/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user)) throw badTarget(spec, `user "${user}" is not a login name`)
  if (port !== undefined && (port < 1 || port > 65_535)) throw badTarget(spec, `port ${port} is out of range`)
  return {spec: text, host: rest, ...(user === undefined ? {} : {user}), ...(port === undefined ? {} : {port})}
}

export function formatTarget(target: Omit<HostTarget, 'spec'>): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host
  return `${target.user ? `${target.user}@` : ''}${target.port && target.host.includes(':') ? host : target.host}${target.port ? `:${target.port}` : ''}`
}

function badTarget(spec: string, why: string): FleetError {
  return new FleetError(`"${spec}" is not a host to enroll: ${why}`, {
    code: 'bad_target',
    exit: 'usage',
    suggestions: ['Name hosts as [user@]host[:port], e.g. root@web-1.example.com:2222 or admin@[2001:db8::7]:22.'],
  })
}
