import {randomUUID} from 'node:crypto'
import {BlockList, isIP} from 'node:net'

import {commaList} from '../base/list.js'
import type {Certificate} from '../certs/index.js'
import type {CertificateTrust} from '../ssh/index.js'
import type {ProxyConfig} from './config.js'
import type {ProxyIdentity} from './identity.js'
import type {SessionCounter, StartupLimiter} from './limits.js'
import type {Logger} from './log.js'
import type {ProxyMetrics} from './metrics.js'
import type {AuditSink, SessionRecorder} from './recording.js'

/** A session or forward that shutdown can wait for and, past the grace period, cut. */
export interface ActiveSession {
  readonly done: Promise<void>
  /** Close at once (shutdown deadline). */
  abort(reason: string): void
}

/** Everything shared by all connections of one running proxy. */
export interface ProxyServices {
  config: ProxyConfig
  identity: ProxyIdentity
  userTrust: CertificateTrust
  hostTrust: CertificateTrust
  log: Logger
  recorder: SessionRecorder
  audit: AuditSink
  metrics: ProxyMetrics
  startups: StartupLimiter
  userSessions: SessionCounter
  active: Set<ActiveSession>
  /** Every open connection context (outer and inner): what close() closes. */
  connections: Set<ConnectionContext>
  /** True once shutdown began: no new connections, sessions or forwards. */
  readonly draining: boolean
}

/**
 * One SSH connection (outer or inner): its log fields, who authenticated, and everything to close
 * with it (sockets, the host's connection, timers), closed once. It is in `services.connections`
 * from construction to close, so the server can close every connection it has.
 */
export class ConnectionContext {
  readonly id = randomUUID()
  /** When the proxy accepted it (`performance.now()`), for the setup-time metrics. */
  readonly openedAt = performance.now()
  log: Logger
  /** Set at authentication. */
  certificate?: Certificate
  login?: string
  /** Open sessions and forwards on this connection. */
  sessions = 0
  /** Why each refused authentication attempt was refused, for one auth.failure line. */
  readonly authFailures: string[] = []
  private readonly closers: (() => void)[] = []
  private isClosed = false

  constructor(
    readonly services: ProxyServices,
    readonly clientIp: string,
    readonly clientPort: number,
    fields: Record<string, unknown> = {},
  ) {
    this.log = services.log.child({conn: this.id.slice(0, 8), client: this.client, ...fields})
    services.connections.add(this)
  }

  get closed(): boolean {
    return this.isClosed
  }

  get client(): string {
    return isIP(this.clientIp) === 6 ? `[${this.clientIp}]:${this.clientPort}` : `${this.clientIp}:${this.clientPort}`
  }

  /** The user: the certificate's key id. */
  get user(): string | undefined {
    return this.certificate?.keyId
  }

  onClose(closer: () => void): void {
    if (this.isClosed) closer()
    else this.closers.push(closer)
  }

  /** A timer that is cleared when the connection closes. */
  timer(ms: number, fire: () => void): () => void {
    const timer = setTimeout(fire, ms)
    const clear = () => clearTimeout(timer)
    this.onClose(clear)
    return clear
  }

  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.services.connections.delete(this)
    for (const closer of this.closers.splice(0).reverse()) {
      try {
        closer()
      } catch (error) {
        this.log.warn('connection.close_failed', {error})
      }
    }
  }
}

/** A certificate's `source-address` critical option allows `ip` (comma-separated addresses and CIDRs). */
export function sourceAddressAllows(list: string, ip: string): boolean {
  const address = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
  const blocks = new BlockList()
  for (const entry of commaList(list)) {
    const [net, bits] = entry.split('/')
    const type = isIP(net!) === 6 ? 'ipv6' : isIP(net!) === 4 ? 'ipv4' : undefined
    if (!type) continue
    if (bits === undefined) blocks.addAddress(net!, type)
    else blocks.addSubnet(net!, Number(bits), type)
  }
  return isIP(address) !== 0 && blocks.check(address, family)
}

/** Restrictions a user certificate carries that the proxy enforces itself. */
export function certificateRestrictions(certificate: Certificate) {
  return {
    forceCommand: certificate.criticalOptions['force-command'],
    permitPortForwarding: 'permit-port-forwarding' in certificate.extensions,
    permitPty: 'permit-pty' in certificate.extensions,
    sourceAddress: certificate.criticalOptions['source-address'],
  }
}
