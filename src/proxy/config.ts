import {hostname} from 'node:os'

import {FleetError} from '../base/errors.js'
import {commaList} from '../base/list.js'
import {DEFAULT_MAX_STARTUPS, listenAddressOf, type ListenAddress, type MaxStartups, maxStartupsOf} from '../config/schema.js'
import {checkedConfig, CONFIG_HELP} from '../config/validate.js'

export type {ListenAddress, MaxStartups} from '../config/schema.js'

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

export interface ProxyFlags {
  listen?: string
  webListen?: string
  publicAddr?: string[]
  checksHostKeys?: boolean
  tlsCert?: string
  tlsKey?: string
}

const flagError = (message: string) => new FleetError(message, {code: 'bad_flags', exit: 'usage', suggestions: [CONFIG_HELP]})

/** A listen address from a flag; `what` names the flag in the error. */
export function parseListenAddress(text: string, what: string): ListenAddress {
  const address = listenAddressOf(text)
  if (!address) throw flagError(`${what}: "${text}" is not host:port (e.g. 0.0.0.0:3023)`)
  return address
}

export function parseMaxStartups(text: string): MaxStartups {
  const limits = maxStartupsOf(text)
  if (!limits) throw flagError(`max_startups: "${text}" is not start:rate:full (e.g. 10:30:100)`)
  return limits
}

const OFF = new Set(['', 'none', 'off'])

/**
 * Build the proxy's configuration: flags over the config file's keys over the schema's defaults.
 * `file` is config.yaml or the --config file (already checked when read from a file; checked
 * here again, without line numbers, when a caller builds one).
 */
export function resolveProxyConfig(home: string, file: Record<string, unknown>, flags: ProxyFlags): ProxyConfig {
  const checked = checkedConfig(file)
  const {proxy} = checked
  const webText = flags.webListen ?? proxy.web_listen
  const publicAddrs = flags.publicAddr?.length ? flags.publicAddr : typeof proxy.public_addr === 'string' ? commaList(proxy.public_addr) : (proxy.public_addr ?? [])

  return {
    home,
    listen: parseListenAddress(flags.listen ?? proxy.listen, flags.listen ? '--listen' : 'proxy.listen'),
    webListen: OFF.has(webText) ? undefined : parseListenAddress(webText, flags.webListen ? '--web-listen' : 'proxy.web_listen'),
    publicAddrs: publicAddrs.map((addr) => addr.trim().replace(/:\d+$/, '')).filter(Boolean),
    checksHostKeys: flags.checksHostKeys ?? proxy.checks_host_keys ?? checked.proxy_checks_host_keys ?? true,
    recordNonPtyBytes: proxy.record_non_pty_bytes,
    ciphers: proxy.ciphers,
    limits: {
      maxStartups: proxy.limits.max_startups ?? proxy.max_startups ?? parseMaxStartups(DEFAULT_MAX_STARTUPS),
      loginGraceSeconds: proxy.limits.login_grace_seconds,
      maxSessionsPerConnection: proxy.limits.max_sessions_per_connection,
      maxSessionsPerUser: proxy.limits.max_sessions_per_user,
    },
    shutdownGraceSeconds: proxy.shutdown_grace_seconds,
    tlsCert: flags.tlsCert ?? proxy.tls_cert,
    tlsKey: flags.tlsKey ?? proxy.tls_key,
    hostCertificateTtlSeconds: proxy.host_certificate_ttl_seconds,
  }
}

/** The names the proxy's own host certificate covers: public addresses, listen address, hostname, loopback. */
export function proxyPrincipals(config: ProxyConfig): string[] {
  const names = [...config.publicAddrs, hostname(), 'localhost', '127.0.0.1', '::1']
  if (!['0.0.0.0', '::', ''].includes(config.listen.host)) names.unshift(config.listen.host)
  return [...new Set(names.filter(Boolean))]
}
