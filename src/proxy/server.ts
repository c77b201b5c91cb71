import {createServer, type Server as NetServer} from 'node:net'
import type {Server as HttpsServer} from 'node:https'

import {assertCertificateSupport, certificateTrust, NATIVE_CRYPTO_HINTS, nativeCrypto, nativeCryptoLoaded} from '../ssh/index.js'
import {statePaths} from '../state/home.js'
import {type ProxyConfig, proxyPrincipals} from './config.js'
import type {ActiveSession, ConnectionContext, ProxyServices} from './context.js'
import {ensureCertificateAuthorities, loadProxyIdentity} from './identity.js'
import {openAuditSink, openSessionRecorder} from './store-recording.js'
import {SessionCounter, StartupLimiter} from './limits.js'
import type {Logger} from './log.js'
import {ProxyMetrics} from './metrics.js'
import {serveOuter} from './outer.js'
import type {AuditSink, SessionRecorder} from './recording.js'
import {createWebServer, webCertificate} from './web.js'

/** Critical options the proxy enforces itself; a certificate with any other one is refused. */
const ENFORCED_CRITICAL_OPTIONS = ['force-command', 'source-address']

export interface ProxyAddresses {
  ssh: string
  web?: string
}

/**
 * The recording proxy: a checked config, a constructor (`create`), a serve loop (`listen`) and
 * one `close` over everything it opened: listeners, sessions, every connection context (each
 * owns its sockets, host connection and timers), the recorder, the audit log, the web server.
 */
export class ProxyServer {
  private readonly sshListener: NetServer
  private webListener?: HttpsServer
  private draining = false
  private closing?: Promise<void>
  private readonly deadline = new Deadline()

  private constructor(readonly services: ProxyServices) {
    this.sshListener = createServer((socket) => serveOuter(socket, services))
  }

  static async create(config: ProxyConfig, log: Logger, overrides: {audit?: AuditSink; recorder?: SessionRecorder} = {}): Promise<ProxyServer> {
    assertCertificateSupport()
    await ensureCertificateAuthorities(config.home, log)
    const identity = await loadProxyIdentity({home: config.home, principals: proxyPrincipals(config), mintedTtlSeconds: config.hostCertificateTtlSeconds}, log)
    const paths = statePaths(config.home)
    const state = {server: undefined as ProxyServer | undefined}
    const services: ProxyServices = {
      config,
      identity,
      userTrust: certificateTrust({caKeys: [identity.userCAKey], enforcedCriticalOptions: ENFORCED_CRITICAL_OPTIONS}),
      hostTrust: certificateTrust({caKeys: [identity.hostCAKey]}),
      log,
      recorder: overrides.recorder ?? (await openSessionRecorder(paths.recordings, {raw: config.recordNonPtyBytes})),
      audit: overrides.audit ?? (await openAuditSink(paths.auditLog, (error) => log.error('audit.write_failed', {error}))),
      metrics: new ProxyMetrics(),
      startups: new StartupLimiter(config.limits.maxStartups),
      userSessions: new SessionCounter(config.limits.maxSessionsPerUser),
      active: new Set<ActiveSession>(),
      connections: new Set<ConnectionContext>(),
      get draining() {
        return state.server?.draining ?? false
      },
    }
    state.server = new ProxyServer(services)
    return state.server
  }

  async listen(): Promise<ProxyAddresses> {
    const {config, identity, log} = this.services
    const ssh = await listenOn(this.sshListener, config.listen.host, config.listen.port)
    let web: string | undefined
    if (config.webListen) {
      const tls = await webCertificate(config.home, identity.principals, {cert: config.tlsCert, key: config.tlsKey})
      this.webListener = createWebServer(this.services, tls)
      web = await listenOn(this.webListener, config.webListen.host, config.webListen.port)
    }
    log.info('proxy.listening', {
      ssh,
      web: web ? `https://${web}` : undefined,
      home: config.home,
      principals: identity.principals,
      checks_host_keys: config.checksHostKeys,
      recordings: statePaths(config.home).recordings,
      audit_log: statePaths(config.home).auditLog,
      native_crypto: nativeCryptoLoaded(),
      // bin/run.js's #! line sets it; `node bin/run.js` without the flag runs slower under bulk load.
      single_threaded_gc: process.execArgv.includes('--single-threaded-gc'),
    })
    if (!config.checksHostKeys) log.warn('proxy.host_checks_off', {msg: 'proxy_checks_host_keys is off: hosts without a fleet host certificate are accepted (a warning is logged for each)'})
    const native = nativeCrypto()
    if (!native.loaded) {
      log.warn('proxy.native_crypto_missing', {msg: "ssh2's native crypto binding did not load; ciphers run in JavaScript and bulk transfers are slower", reason: native.problem, fix: NATIVE_CRYPTO_HINTS})
    }
    return {ssh, web}
  }

  /**
   * The one way the proxy stops: stop accepting (SSH and HTTPS), let sessions finish until
   * `graceSeconds` from now, cut the ones still running (telling their users why), close every
   * connection context (client, inner and host connections), then the recorder, the audit log and
   * the web server. Called again (a second signal: `close(0)`), it brings the deadline forward
   * and returns the same promise.
   */
  close(graceSeconds = this.services.config.shutdownGraceSeconds): Promise<void> {
    this.deadline.within(graceSeconds)
    this.closing ??= this.closeBy(graceSeconds)
    return this.closing
  }

  private async closeBy(graceSeconds: number): Promise<void> {
    const {active, audit, connections, log, recorder} = this.services
    this.draining = true
    log.info('proxy.draining', {sessions: active.size, connections: connections.size, grace_seconds: graceSeconds})
    this.sshListener.close()
    this.webListener?.close()
    const finished = await Promise.race([settled(active).then(() => 'done' as const), this.deadline.reached.then(() => 'timeout' as const)])
    const cut = finished === 'timeout' ? active.size : 0
    if (finished === 'timeout') {
      for (const session of active) session.abort(`the proxy is shutting down and its ${graceSeconds} s grace period is over`)
      // A cut session closes the host's side and sends its message; give it a moment to leave.
      await settled(active, AFTER_CUT_MS)
    }
    const closed = connections.size
    for (const ctx of [...connections]) ctx.close()
    // The sessions' own ends (recording closed, session.end audited) follow their connections'.
    await settled(active, AFTER_CUT_MS)
    await recorder.close().catch((error) => log.error('recording.close_failed', {error}))
    audit.write({event: 'proxy.stopped', session: null, user: null, login: null, host: null, client: null, sessionsCut: cut, connectionsClosed: closed})
    await audit.close().catch((error) => log.error('audit.close_failed', {error}))
    this.webListener?.closeAllConnections()
    log.info('proxy.stopped', {sessions_cut: cut > 0, connections_closed: closed})
  }
}

/** How long close() waits for cut sessions at each step; with the grace period, its whole bound. */
const AFTER_CUT_MS = 400

/** Resolves when every session open now has ended, or after `ms`. */
function settled(active: Set<ActiveSession>, ms?: number): Promise<void> {
  const ended = Promise.all([...active].map((session) => session.done)).then(() => {})
  if (ms === undefined) return ended
  return Promise.race([ended, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())])
}

/** A moment that can be brought forward, never pushed back. */
class Deadline {
  readonly reached: Promise<void>
  private reach!: () => void
  private at = Number.POSITIVE_INFINITY
  private timer?: NodeJS.Timeout

  constructor() {
    this.reached = new Promise((resolve) => (this.reach = resolve))
  }

  within(seconds: number): void {
    const at = Date.now() + seconds * 1000
    if (at >= this.at) return
    this.at = at
    clearTimeout(this.timer)
    if (seconds <= 0) return this.reach()
    this.timer = setTimeout(this.reach, seconds * 1000)
    // Open connections keep the process alive until then; nothing else should.
    this.timer.unref()
  }
}

function listenOn(server: NetServer | HttpsServer, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.removeListener('error', reject)
      const address = server.address()
      if (typeof address === 'string' || !address) return resolve(String(address))
      resolve(address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`)
    })
  })
}
