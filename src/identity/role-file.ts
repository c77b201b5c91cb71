/**
 * Roles as people write them (YAML or flags) to the stored form and back. Pure.
 */
import {parseDuration} from '../certs/index.js'
import {NAME_PATTERN} from './store.js'
import type {Role} from './types.js'

export const DEFAULT_ROLE_TTL_SECONDS = 8 * 3600

/** The YAML shape of a role (snake_case, durations as text). */
export interface RoleDocument {
  name: string
  description?: string
  logins?: string[]
  hosts?: string[]
  groups?: string[]
  max_ttl?: string
  permit_pty?: boolean
  port_forwarding?: boolean
  agent_forwarding?: boolean
}

const KEYS = new Set(['agent_forwarding', 'description', 'groups', 'hosts', 'logins', 'max_ttl', 'name', 'permit_pty', 'port_forwarding'])

export class RoleDocumentError extends Error {}

/** Checks a parsed YAML document and turns it into a role; errors name the field. */
export function roleFromDocument(document: unknown): Role {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new RoleDocumentError('a role is a mapping with at least `name`')
  const doc = document as Record<string, unknown>
  for (const key of Object.keys(doc)) if (!KEYS.has(key)) throw new RoleDocumentError(`unknown key "${key}" (known: ${[...KEYS].sort().join(', ')})`)
  const name = doc.name
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) throw new RoleDocumentError('`name` must be letters, digits, ".", "_" or "-"')
  const list = (key: string): string[] => {
    const value = doc[key] ?? []
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) throw new RoleDocumentError(`\`${key}\` must be a list of strings`)
    return (value as string[]).map((item) => item.trim())
  }
  const flag = (key: string, fallback: boolean): boolean => {
    const value = doc[key] ?? fallback
    if (typeof value !== 'boolean') throw new RoleDocumentError(`\`${key}\` must be true or false`)
    return value
  }
  let maxTtlSeconds = DEFAULT_ROLE_TTL_SECONDS
  if (doc.max_ttl !== undefined) {
    try {
      maxTtlSeconds = parseDuration(String(doc.max_ttl))
    } catch (error) {
      throw new RoleDocumentError(`\`max_ttl\`: ${(error as Error).message}`)
    }
  }
  const logins = list('logins')
  for (const login of logins) {
    if (!/^([A-Za-z0-9._-]|\{\{user\}\})+$/.test(login)) throw new RoleDocumentError(`login "${login}" may hold letters, digits, ".", "_", "-" and {{user}}`)
  }
  if (doc.description !== undefined && typeof doc.description !== 'string') throw new RoleDocumentError('`description` must be text')
  return {
    agentForwarding: flag('agent_forwarding', true),
    description: doc.description as string | undefined,
    groups: list('groups'),
    hosts: list('hosts'),
    logins,
    maxTtlSeconds,
    name,
    permitPty: flag('permit_pty', true),
    portForwarding: flag('port_forwarding', false),
  }
}

export function roleToDocument(role: Role): RoleDocument & {builtin: boolean} {
  return {
    agent_forwarding: role.agentForwarding,
    builtin: role.builtin === true,
    description: role.description,
    groups: role.groups,
    hosts: role.hosts,
    logins: role.logins,
    max_ttl: formatTtl(role.maxTtlSeconds),
    name: role.name,
    permit_pty: role.permitPty,
    port_forwarding: role.portForwarding,
  }
}

/** Seconds as the shortest exact duration text (8h, 90m, 1h30m). */
export function formatTtl(seconds: number): string {
  let rest = seconds
  let text = ''
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  return text || '0s'
}
