import {parse} from 'yaml'

import {FleetError} from '../base/errors.js'
import {formatTarget, type HostTarget, parseTarget} from './target.js'

export type InventoryFormat = 'lines' | 'ansible-ini' | 'ansible-yaml'

/**
 * Hosts from an inventory file: one `[user@]host[:port]` per line, or an Ansible inventory (INI
 * or YAML) whose `ansible_host`, `ansible_user` and `ansible_port` say how to reach each host,
 * from host, group or `all` variables (and `fleetctl_sshd_config`, the host's sshd_config when it
 * is not the usual one). Hosts are listed once, in file order.
 */
export function parseInventoryFile(text: string, fileName = ''): {format: InventoryFormat; hosts: HostTarget[]} {
  const format = detectFormat(text, fileName)
  const hosts = format === 'ansible-yaml' ? fromAnsibleYaml(text, fileName) : format === 'ansible-ini' ? fromAnsibleIni(text, fileName) : fromLines(text)
  const seen = new Set<string>()
  return {format, hosts: hosts.filter((host) => !seen.has(host.spec) && seen.add(host.spec))}
}

function detectFormat(text: string, fileName: string): InventoryFormat {
  if (/\.ya?ml$/i.test(fileName) || /^(---|all:|[\w-]+:\s*$)/m.test(text.trimStart().split('\n')[0] ?? '')) return 'ansible-yaml'
  if (/^\s*\[[^\]]+\]\s*$/m.test(text) || /\bansible_\w+=/.test(text)) return 'ansible-ini'
  return 'lines'
}

function fromLines(text: string): HostTarget[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => parseTarget(line))
}

type Vars = Record<string, unknown>

/** An Ansible host: its name, reached at ansible_host as ansible_user on ansible_port. */
function ansibleTarget(name: string, vars: Vars, fileName: string): HostTarget {
  const address = String(vars.ansible_host ?? vars.ansible_ssh_host ?? name)
  const user = vars.ansible_user ?? vars.ansible_ssh_user
  const port = vars.ansible_port ?? vars.ansible_ssh_port
  try {
    const target = parseTarget(formatTarget({host: address, ...(user ? {user: String(user)} : {}), ...(port ? {port: Number(port)} : {})}))
    const sshdConfig = vars.fleetctl_sshd_config
    return {...target, spec: name, ...(address === name ? {} : {alias: name}), ...(sshdConfig ? {sshdConfig: String(sshdConfig)} : {})}
  } catch (error) {
    throw new FleetError(`${fileName || 'inventory'}: host ${name}: ${(error as Error).message}`, {code: 'bad_inventory', exit: 'usage'})
  }
}

/** Ansible's `web[01:03].example.com` ranges (numeric and alphabetic). */
export function expandHostPattern(pattern: string): string[] {
  const match = /^(.*?)\[([a-z0-9]+):([a-z0-9]+)\](.*)$/i.exec(pattern)
  if (!match) return [pattern]
  const [, head, from, to, tail] = match
  const names: string[] = []
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    for (let n = Number(from); n <= Number(to); n++) names.push(`${head}${String(n).padStart(from.length, '0')}${tail}`)
  } else {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) names.push(`${head}${String.fromCharCode(c)}${tail}`)
  }
  return names.flatMap(expandHostPattern)
}

function fromAnsibleIni(text: string, fileName: string): HostTarget[] {
  const hostVars = new Map<string, Vars>()
  const hostGroups = new Map<string, Set<string>>()
  const groupVars = new Map<string, Vars>()
  const children = new Map<string, string[]>()
  let section = 'ungrouped'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s*[#;].*/, '').trim()
    if (!line) continue
    const header = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line)
    if (header) {
      section = header[1]
      kind = (header[2] as 'vars' | 'children' | undefined) ?? 'hosts'
      continue
    }
    const [first, ...pairs] = line.split(/\s+/)
    if (kind === 'children') {
      children.set(section, [...(children.get(section) ?? []), first])
    } else if (kind === 'vars') {
      const [key, ...value] = line.split('=')
      groupVars.set(section, {...groupVars.get(section), [key.trim()]: value.join('=').trim()})
    } else {
      for (const name of expandHostPattern(first)) {
        hostVars.set(name, {...hostVars.get(name), ...Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))})
        hostGroups.set(name, (hostGroups.get(name) ?? new Set()).add(section))
      }
    }
  }
  // A group's variables reach its children's hosts; host variables win over group ones.
  const parents = (group: string): string[] => [...children.entries()].filter(([, kids]) => kids.includes(group)).flatMap(([parent]) => [parent, ...parents(parent)])
  return [...hostVars.entries()].map(([name, vars]) => {
    const groups = [...(hostGroups.get(name) ?? [])].flatMap((group) => [...parents(group).reverse(), group])
    const merged = Object.assign({}, groupVars.get('all'), ...groups.map((group) => groupVars.get(group) ?? {}), vars)
    return ansibleTarget(name, merged, fileName)
  })
}

function fromAnsibleYaml(text: string, fileName: string): HostTarget[] {
  let document: unknown
  try {
    document = parse(text)
  } catch (error) {
    throw new FleetError(`${fileName || 'inventory'} is not valid YAML: ${(error as Error).message}`, {code: 'bad_inventory', exit: 'usage'})
  }
  const hosts = new Map<string, Vars>()
  const walk = (group: unknown, inherited: Vars) => {
    if (!group || typeof group !== 'object') return
    const {children, hosts: members, vars} = group as {children?: Record<string, unknown>; hosts?: Record<string, Vars | null>; vars?: Vars}
    const scope = {...inherited, ...vars}
    for (const [pattern, hostVars] of Object.entries(members ?? {})) {
      for (const name of expandHostPattern(pattern)) hosts.set(name, {...scope, ...hosts.get(name), ...hostVars})
    }
    for (const child of Object.values(children ?? {})) walk(child, scope)
  }
  if (!document || typeof document !== 'object') throw new FleetError(`${fileName || 'inventory'} holds no Ansible groups`, {code: 'bad_inventory', exit: 'usage'})
  for (const group of Object.values(document as Record<string, unknown>)) walk(group, {})
  return [...hosts.entries()].map(([name, vars]) => ansibleTarget(name, vars, fileName))
}
