import {chmod, mkdir, readFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:https'
import {join} from 'node:path'

import {execa} from 'execa'

import {FleetError} from '../base/errors.js'
import {commaList} from '../base/list.js'
import {formatCAExport} from '../ca/export.js'
import {IDENTITY_PREFIX, identityRoutes} from '../identity/web-routes.js'
import {exists} from '../state/files.js'
import type {ProxyServices} from './context.js'

/**
 * The TLS certificate for the web endpoint: the given files, or a self-signed one kept in the
 * state directory (made once with openssl, for the proxy's names).
 */
export async function webCertificate(home: string, names: string[], files: {cert?: string; key?: string}): Promise<{cert: Buffer; key: Buffer}> {
  if (files.cert || files.key) {
    if (!files.cert || !files.key) throw new FleetError('--tls-cert and --tls-key go together', {code: 'bad_flags', exit: 'usage'})
    return {cert: await readFile(files.cert), key: await readFile(files.key)}
  }
  const cert = join(home, 'proxy', 'web.crt')
  const key = join(home, 'proxy', 'web.key')
  if (!(await exists(cert)) || !(await exists(key))) {
    await mkdir(join(home, 'proxy'), {recursive: true, mode: 0o700})
    const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',')
    const result = await execa(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '825', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`],
      {reject: false, stdin: 'ignore'},
    ).catch((error: Error) => ({exitCode: -1, stderr: error.message}))
    if (result.exitCode === 0) await chmod(key, 0o600)
    if (result.exitCode !== 0) {
      throw new FleetError(`cannot make a self-signed TLS certificate with openssl: ${String(result.stderr).trim()}`, {
        code: 'tls_failed',
        exit: 'failure',
        suggestions: ['install openssl, or pass --tls-cert and --tls-key'],
      })
    }
  }
  return {cert: await readFile(cert), key: await readFile(key)}
}

/**
 * HTTPS: `GET /webapi/auth/export?type=user|host` (the text `fleetctl ca export` prints, so
 * Teleport's documented `curl ... | sed s/cert-authority\ // > teleport_user_ca.pub` works),
 * `/healthz` and Prometheus `/metrics`; the login API under /webapi/identity/ (src/identity).
 */
export function createWebServer(services: ProxyServices, tls: {cert: Buffer; key: Buffer}): Server {
  const {identity, metrics} = services
  const identityWeb = identityRoutes({audit: services.audit, cluster: identity.cluster, home: services.config.home, hostCAKey: identity.hostCAKey, log: services.log, userCAKey: identity.userCAKey})
  return createServer({cert: tls.cert, key: tls.key}, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://proxy')
    if (url.pathname.startsWith(IDENTITY_PREFIX)) return identityWeb(request, response)
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
      response.end(body)
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'method not allowed\n')
    switch (url.pathname) {
      case '/webapi/auth/export': {
        const type = url.searchParams.get('type') ?? 'user'
        if (type !== 'user' && type !== 'host') return send(400, 'type must be user or host\n')
        const text = formatCAExport({
          cluster: identity.cluster,
          format: 'cert-authority',
          hostPatterns: commaList(url.searchParams.get('hosts') ?? '*'),
          publicKey: type === 'user' ? identity.userCAKey : identity.hostCAKey,
          type,
        })
        return send(200, `${text}\n`)
      }
      case '/healthz':
        return send(services.draining ? 503 : 200, services.draining ? 'draining\n' : 'ok\n')
      case '/metrics':
        return void metrics.render().then(
          (text) => send(200, text, metrics.contentType),
          (error: Error) => send(500, `metrics failed: ${error.message}\n`),
        )
      default:
        return send(404, 'not found\n')
    }
  })
}
