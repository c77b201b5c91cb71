/**
 * What a person's roles allow, as pure functions: the logins (certificate principals), the longest
 * certificate lifetime, the certificate extensions, and whether a host and login are allowed, with
 * the role that allowed it named. No I/O: the store hands in the records.
 */
import type {Role, User} from './types.js'

const HOUR = 3600

export const USER_PLACEHOLDER = '{{user}}'

/** A login may hold what a Unix account name may (and an expanded `{{user}}` must, too). */
const LOGIN_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/

/** Built-in roles: `admin` reaches every host as itself or root; `auditor` reads recordings and the audit log, with no logins. */
export const BUILTIN_ROLES: readonly Role[] = [
  {
    agentForwarding: true,
    builtin: true,
    description: 'Every host, as yourself or root; administers users and roles on the proxy machine',
    groups: [],
    hosts: ['*'],
    logins: [USER_PLACEHOLDER, 'root'],
    maxTtlSeconds: 12 * HOUR,
    name: 'admin',
    permitPty: true,
    portForwarding: true,
  },
  {
    agentForwarding: false,
    builtin: true,
    description: 'Recordings and the audit log only; no logins on any host',
    groups: [],
    hosts: [],
    logins: [],
    maxTtlSeconds: 12 * HOUR,
    name: 'auditor',
    permitPty: false,
    portForwarding: false,
  },
]

export const isBuiltinRole = (name: string): boolean => BUILTIN_ROLES.some((role) => role.name === name)

/** The roles of `names` that exist (built-in first, then the stored ones), and the names that do not. */
export function resolveRoles(names: string[], stored: Role[]): {missing: string[]; roles: Role[]} {
  const roles: Role[] = []
  const missing: string[] = []
  for (const name of names) {
    const role = BUILTIN_ROLES.find((r) => r.name === name) ?? stored.find((r) => r.name === name)
    if (role) roles.push(role)
    else missing.push(name)
  }
  return {missing, roles}
}

/** A role's logins for one person: `{{user}}` expanded; anything that is not a valid login dropped. */
export function roleLogins(role: Role, user: string): string[] {
  return role.logins.map((login) => login.replaceAll(USER_PLACEHOLDER, user)).filter((login) => LOGIN_PATTERN.test(login))
}

export interface Access {
  /** Sorted, unique. Empty means the person may not log in anywhere (never sign such a certificate). */
  principals: string[]
  /** The most restrictive cap of the roles that grant logins. */
  maxTtlSeconds: number
  /** The role whose cap that is. */
  ttlRole?: string
  extensions: Record<string, string>
  roles: string[]
}

/**
 * What a certificate for `user` may say. Logins and permissions are the union of the roles that
 * grant logins; the lifetime cap is the smallest of theirs, so adding a role never lengthens
 * another role's cap.
 */
export function evaluateAccess(user: Pick<User, 'name'>, roles: Role[]): Access {
  const granting = roles.filter((role) => roleLogins(role, user.name).length > 0)
  const principals = [...new Set(granting.flatMap((role) => roleLogins(role, user.name)))].sort()
  let maxTtlSeconds = 0
  let ttlRole: string | undefined
  for (const role of granting) {
    if (ttlRole === undefined || role.maxTtlSeconds < maxTtlSeconds) {
      maxTtlSeconds = role.maxTtlSeconds
      ttlRole = role.name
    }
  }
  const extensions: Record<string, string> = {}
  if (granting.some((r) => r.agentForwarding)) extensions['permit-agent-forwarding'] = ''
  if (granting.some((r) => r.portForwarding)) extensions['permit-port-forwarding'] = ''
  if (granting.some((r) => r.permitPty)) extensions['permit-pty'] = ''
  return {extensions, maxTtlSeconds, principals, roles: roles.map((r) => r.name), ttlRole}
}

/** The lifetime a certificate gets: what was asked (or the cap) but never more than the cap. */
export function capTtl(requestedSeconds: number | undefined, maxSeconds: number): {capped: boolean; ttlSeconds: number} {
  if (requestedSeconds === undefined) return {capped: false, ttlSeconds: maxSeconds}
  return requestedSeconds > maxSeconds ? {capped: true, ttlSeconds: maxSeconds} : {capped: false, ttlSeconds: requestedSeconds}
}

/** Shell-style glob (`*`, `?`) on a host name, case-insensitive, whole name. */
export function globMatch(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`).test(name.toLowerCase())
}

export type HostDecision = {allowed: true; role: string} | {allowed: false; reason: string}

/**
 * May `user` log in as `login` on `host` (the name dialed; `groups` are its inventory groups)?
 * Allowed when one role grants both the host and the login; refusals say which roles were looked at.
 */
export function checkHostAccess(user: Pick<User, 'name'>, roles: Role[], host: string, login: string, groups: string[] = []): HostDecision {
  const names = roles.map((r) => r.name).join(', ') || 'none'
  const reachingHost = roles.filter((role) => role.hosts.some((pattern) => globMatch(pattern, host)) || role.groups.some((group) => groups.includes(group)))
  if (reachingHost.length === 0) return {allowed: false, reason: `host ${host} is not in any of your roles (${names})`}
  const role = reachingHost.find((r) => roleLogins(r, user.name).includes(login))
  if (!role) {
    return {allowed: false, reason: `login ${login} on ${host} is not allowed by your roles (${reachingHost.map((r) => r.name).join(', ')} reach the host with ${[...new Set(reachingHost.flatMap((r) => roleLogins(r, user.name)))].join(', ') || 'no logins'})`}
  }
  return {allowed: true, role: role.name}
}
