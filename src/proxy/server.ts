import {createServer, type Server as NetServer} from 'node:net'
import type {Server as HttpsServer} from 'node:https'

import {assertCertificateSupport, certificateTrust, NATIVE_CRYPTO_HINTS, nativeCrypto, nativeCryptoLoaded} from '../ssh/index.js'
import {statePaths} from '../state/home.js'
import {type ProxyConfig, proxyPrincipals} from './config.js'
import type {ActiveSession, ProxyServices} from './context.js'
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
 * one shutdown that stops accepting, lets sessions finish up to the grace period, then closes
 * every session and recording.
 */
export class ProxyServer {
  private readonly sshListener: NetServer
  private webListener?: HttpsServer
  private draining = false

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

  /** Stop accepting; wait up to `graceSeconds` for sessions, then cut them; close recordings and the audit log. */
  async shutdown(graceSeconds = this.services.config.shutdownGraceSeconds): Promise<void> {
    const {active, audit, log, recorder} = this.services
    if (this.draining) return
    this.draining = true
    log.info('proxy.draining', {sessions: active.size, grace_seconds: graceSeconds})
    this.sshListener.close()
    this.webListener?.close()
    const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceSeconds * 1000).unref())
    const finished = await Promise.race([Promise.all([...active].map((session) => session.done)).then(() => 'done' as const), deadline])
    if (finished === 'timeout') {
      for (const session of active) session.abort(`the proxy is shutting down and its ${graceSeconds} s grace period is over`)
      await Promise.race([Promise.all([...active].map((session) => session.done)), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
    }
    await recorder.close()
    await audit.close()
    this.webListener?.closeAllConnections()
    log.info('proxy.stopped', {sessions_cut: finished === 'timeout'})
  }

  /** The second signal: close recordings as fast as possible and return. */
  async closeNow(): Promise<void> {
    await Promise.race([this.services.recorder.close(), new Promise((resolve) => setTimeout(resolve, 500).unref())])
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
