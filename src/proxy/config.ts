import {hostname} from 'node:os'

import {FleetError} from '../base/errors.js'
import {commaList} from '../base/list.js'

/** Where to listen: `host:port`, `[v6]:port` or `:port` (all addresses). */
export interface ListenAddress {
  host: string
  port: number
}

/** OpenSSH's MaxStartups `start:rate:full`: random early drop of unauthenticated connections. */
export interface MaxStartups {
  start: number
  /** Percent chance of dropping a connection once `start` are pending, rising linearly to 100 at `full`. */
  rate: number
  full: number
}

export interface ProxyLimits {
  maxStartups: MaxStartups
  /** Seconds a connection has to authenticate (outer and inner). */
  loginGraceSeconds: number
  /** Sessions (shell, exec, subsystem) and forwards open at once on one connection. */
  maxSessionsPerConnection: number
  /** Sessions open at once for one user (certificate key id) across connections. */
  maxSessionsPerUser: number
}

/** The proxy's checked configuration: flags over config.yaml's `proxy:` section over defaults. */
export interface ProxyConfig {
  home: string
  listen: ListenAddress
  /** Undefined when the web endpoint is off. */
  webListen?: ListenAddress
  /** Names users reach the proxy by; all become principals of its host certificate. */
  publicAddrs: string[]
  /** Strict host certificates (default); false accepts plain host keys with a warning each time. */
  checksHostKeys: boolean
  /** Also store the bytes of sessions without a PTY (they are always hashed and counted). */
  recordNonPtyBytes: boolean
  /** `fast` (default): AES-GCM only where the CPU has AES instructions; `compatible`: every AEAD cipher. */
  ciphers: 'compatible' | 'fast'
  limits: ProxyLimits
  /** Seconds SIGTERM waits for sessions to finish before closing them. */
  shutdownGraceSeconds: number
  tlsCert?: string
  tlsKey?: string
  /** Lifetime of the host certificates minted for the hosts users reach through the proxy. */
  hostCertificateTtlSeconds: number
}

export const DEFAULT_LIMITS: ProxyLimits = {
  maxStartups: {start: 10, rate: 30, full: 100},
  loginGraceSeconds: 30,
  maxSessionsPerConnection: 10,
  maxSessionsPerUser: 100,
}

export interface ProxyFlags {
  listen?: string
  webListen?: string
  publicAddr?: string[]
  checksHostKeys?: boolean
  tlsCert?: string
  tlsKey?: string
}

const configError = (message: string) =>
  new FleetError(message, {code: 'config_invalid', exit: 'usage', suggestions: ['See `fleetctl proxy start --help` for the config keys.']})

export function parseListenAddress(text: string, what: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim())
  const port = match ? Number(match[3]) : Number.NaN
  if (!match || port > 65_535) throw configError(`${what}: "${text}" is not host:port (e.g. 0.0.0.0:3023)`)
  return {host: match[1] ?? (match[2] || '0.0.0.0'), port}
}

export function parseMaxStartups(text: string): MaxStartups {
  const parts = text.split(':').map(Number)
  const [start, rate, full] = parts.length === 1 ? [parts[0]!, 100, parts[0]!] : parts
  if (parts.length === 2 || parts.length > 3 || ![start, rate, full].every((n) => Number.isInteger(n) && n! >= 0) || rate! > 100 || full! < start!) {
    throw configError(`max_startups: "${text}" is not start:rate:full (e.g. 10:30:100)`)
  }
  return {start: start!, rate: rate!, full: full!}
}

/** YAML 1.2 reads `no` as a string: accept the words people write in sshd_config too. */
function yesNo(value: unknown, key: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'boolean') return value
  const word = String(value).toLowerCase()
  if (['yes', 'true', 'on'].includes(word)) return true
  if (['no', 'false', 'off'].includes(word)) return false
  throw configError(`${key}: "${String(value)}" is not yes or no`)
}

function positive(value: unknown, key: string, fallback: number): number {
  if (value === undefined || value === null) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw configError(`${key}: "${String(value)}" is not a positive number`)
  return n
}

function cipherPolicy(value: unknown): 'compatible' | 'fast' {
  if (value === undefined || value === null || value === 'fast') return 'fast'
  if (value === 'compatible') return 'compatible'
  throw configError(`proxy.ciphers must be fast or compatible, not ${JSON.stringify(value)}`)
}

function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value.map((v) => String(v).trim()).filter(Boolean) : commaList(String(value))
}

/**
 * Build the proxy's configuration. `file` is the parsed config (config.yaml or --config); its
 * `proxy:` mapping holds the keys, and the top-level `proxy_checks_host_keys` is honoured too.
 */
export function resolveProxyConfig(home: string, file: Record<string, unknown>, flags: ProxyFlags): ProxyConfig {
  const section = (file.proxy ?? {}) as Record<string, unknown>
  if (typeof section !== 'object' || Array.isArray(section)) throw configError('proxy: must be a mapping')
  const limits = (section.limits ?? {}) as Record<string, unknown>
  const listen = parseListenAddress(flags.listen ?? String(section.listen ?? '0.0.0.0:3023'), '--listen')
  const webText = flags.webListen ?? (section.web_listen === undefined ? '0.0.0.0:3080' : String(section.web_listen))
  const checks = flags.checksHostKeys ?? yesNo(section.checks_host_keys, 'proxy.checks_host_keys') ?? yesNo(file.proxy_checks_host_keys, 'proxy_checks_host_keys') ?? true
  const publicAddrs = [...stringList(flags.publicAddr), ...(flags.publicAddr?.length ? [] : stringList(section.public_addr))].map((addr) =>
    addr.replace(/:\d+$/, ''),
  )

  return {
    home,
    listen,
    webListen: ['', 'off', 'none'].includes(webText) ? undefined : parseListenAddress(webText, '--web-listen'),
    publicAddrs,
    checksHostKeys: checks,
    recordNonPtyBytes: yesNo(section.record_non_pty_bytes, 'proxy.record_non_pty_bytes') ?? false,
    ciphers: cipherPolicy(section.ciphers),
    limits: {
      maxStartups: section.max_startups === undefined && limits.max_startups === undefined ? DEFAULT_LIMITS.maxStartups : parseMaxStartups(String(limits.max_startups ?? section.max_startups)),
      loginGraceSeconds: positive(limits.login_grace_seconds, 'proxy.limits.login_grace_seconds', DEFAULT_LIMITS.loginGraceSeconds),
      maxSessionsPerConnection: positive(limits.max_sessions_per_connection, 'proxy.limits.max_sessions_per_connection', DEFAULT_LIMITS.maxSessionsPerConnection),
      maxSessionsPerUser: positive(limits.max_sessions_per_user, 'proxy.limits.max_sessions_per_user', DEFAULT_LIMITS.maxSessionsPerUser),
    },
    shutdownGraceSeconds: positive(section.shutdown_grace_seconds, 'proxy.shutdown_grace_seconds', 30),
    tlsCert: flags.tlsCert ?? (section.tls_cert === undefined ? undefined : String(section.tls_cert)),
    tlsKey: flags.tlsKey ?? (section.tls_key === undefined ? undefined : String(section.tls_key)),
    hostCertificateTtlSeconds: positive(section.host_certificate_ttl_seconds, 'proxy.host_certificate_ttl_seconds', 3600),
  }
}

/** The names the proxy's own host certificate covers: public addresses, listen address, hostname, loopback. */
export function proxyPrincipals(config: ProxyConfig): string[] {
  const names = [...config.publicAddrs, hostname(), 'localhost', '127.0.0.1', '::1']
  if (!['0.0.0.0', '::', ''].includes(config.listen.host)) names.unshift(config.listen.host)
  return [...new Set(names.filter(Boolean))]
}
