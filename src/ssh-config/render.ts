/**
 * The ~/.ssh/config block that sends fleet hosts through the recording proxy. Pure: text in,
 * text out; src/ssh-config/apply.ts does the file work.
 */

export const BEGIN_MARKER = '# BEGIN fleetctl'
export const END_MARKER = '# END fleetctl'

export interface ProxyAddress {
  host: string
  port: number
}

export interface ClientConfigOptions {
  cluster: string
  /** Host patterns of the fleet, in ssh_config syntax (`*.example.com`, `web-?`). */
  hostPatterns: string[]
  /** The fleet's known_hosts file, holding the host CA's @cert-authority line. */
  knownHostsFile: string
  proxy: ProxyAddress
}

/** Parses `host[:port]` or `[v6]:port`; the port defaults to the proxy's 3023. */
export function parseProxyAddress(text: string, defaultPort = 3023): ProxyAddress {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const [host, port] = v6 ? [v6[1], v6[2]] : text.split(/:(?=\d+$)/)
  const portNumber = port === undefined ? defaultPort : Number(port)
  if (!host || /\s/.test(host) || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65_535) {
    throw new Error(`"${text}" is not a proxy address; use host or host:port, e.g. proxy.example.com:3023`)
  }

  return {host, port: portNumber}
}

/** ssh_config quoting: a value with spaces or quotes is wrapped in double quotes. */
const quote = (value: string) => (/[\s"]/.test(value) ? `"${value.replaceAll('"', '')}"` : value)

export function renderClientBlock(options: ClientConfigOptions): string {
  const {cluster, hostPatterns, knownHostsFile, proxy} = options
  if (hostPatterns.length === 0) throw new Error('at least one host pattern is needed (e.g. *.example.com)')
  for (const pattern of hostPatterns) {
    if (!pattern || /[\s"]/.test(pattern)) throw new Error(`host pattern "${pattern}" must not contain spaces or quotes`)
  }

  const trust = [`    UserKnownHostsFile ${quote(knownHostsFile)}`, '    StrictHostKeyChecking yes']
  return [
    `${BEGIN_MARKER} (cluster ${cluster}): written by \`fleetctl gen-ssh-config --write\`; edits inside are replaced`,
    '# The proxy: it needs your agent to log in to hosts as you, and OpenSSH forwards it to a',
    '# jump host only when the jump host\'s own block says so.',
    `Host ${proxy.host}`,
    `    Port ${proxy.port}`,
    '    ForwardAgent yes',
    ...trust,
    '',
    '# Fleet hosts go through the recording proxy.',
    `Host ${[...hostPatterns, `!${proxy.host}`].join(' ')}`,
    `    ProxyJump ${proxy.host}`,
    '    ForwardAgent yes',
    ...trust,
    '',
    '# Lines after this block apply to every host, as they did before it was added.',
    'Host *',
    END_MARKER,
    '',
  ].join('\n')
}

/** The fleet's known_hosts: trust the host CA for the fleet hosts and the proxy, nothing else. */
export function renderKnownHosts(hostCALine: string): string {
  return `# Written by fleetctl gen-ssh-config: the fleet host CA.\n${hostCALine}\n`
}

export class ManagedBlockError extends Error {}

/**
 * Puts the block into an ssh_config text: in place of an earlier fleetctl block, else at the top,
 * where it wins over later `Host *` settings (ssh takes the first value it sees). Every byte
 * outside the markers is kept.
 */
export function spliceManagedBlock(existing: string, block: string): string {
  const lines = existing.split(/(?<=\n)/)
  const begin = lines.findIndex((l) => l.startsWith(BEGIN_MARKER))
  const end = lines.findIndex((l, i) => i > begin && l.replace(/\r?\n$/, '') === END_MARKER)
  if (begin === -1 && lines.some((l) => l.replace(/\r?\n$/, '') === END_MARKER)) {
    throw new ManagedBlockError(`found "${END_MARKER}" without "${BEGIN_MARKER}"; fix the file by hand`)
  }

  if (begin === -1) return existing === '' ? block : `${block}\n${existing}`
  if (end === -1) throw new ManagedBlockError(`found "${BEGIN_MARKER}" without "${END_MARKER}"; fix the file by hand`)
  // The END line's own newline belongs to the block; keep the file's last line ending as it was.
  const after = lines.slice(end + 1).join('')
  const endHadNewline = lines[end].endsWith('\n')
  const replacement = endHadNewline ? block : block.replace(/\n$/, '')
  return lines.slice(0, begin).join('') + replacement + after
}

/** A concrete host name that a pattern matches, to ask `ssh -G` about. */
export function sampleHostFor(pattern: string): string {
  return pattern.replaceAll('*', 'fleetctl-check').replaceAll('?', 'x')
}
