/**
 * The login API on the proxy's HTTPS listener, under /webapi/identity/:
 *   POST enrol  {token, user, password}            -> {user, totpSecret, otpauthUri}
 *   POST nonce  {}                                  -> {nonce, expiresInSeconds}
 *   POST login  {user, publicKey, ttlSeconds?, password + totp | proof {nonce, signature}}
 *                                                   -> the certificate and what it allows
 * Bodies are JSON, at most 64 KiB; refusals are {error, code} with 400/401/403/429.
 */
import {randomUUID} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {isIP} from 'node:net'

import {formatCAExport} from '../ca/export.js'
import {loadCertificateAuthority} from '../ca/store.js'
import {formatPublicKey, type PublicKey} from '../certs/index.js'
import {type LoginAuditEvent, LoginRefused, LoginService} from './service.js'
import {FileIdentityStore} from './store.js'

export const IDENTITY_PREFIX = '/webapi/identity/'
const MAX_BODY_BYTES = 64 * 1024

/** What the routes need from the running proxy (a narrow slice of its services). */
export interface IdentityWebContext {
  home: string
  cluster: string
  userCAKey: PublicKey
  hostCAKey: PublicKey
  /** The proxy's audit sink; events are plain objects with `event`. */
  audit: {write(event: never): void}
  log: {warn(event: string, fields?: Record<string, unknown>): void}
}

export type IdentityHandler = (request: IncomingMessage, response: ServerResponse) => void

export function identityRoutes(context: IdentityWebContext): IdentityHandler {
  const service = new LoginService({
    audit: (event: LoginAuditEvent) => context.audit.write(auditLine(event) as never),
    publicInfo: () => ({
      cluster: context.cluster,
      hostCA: formatCAExport({cluster: context.cluster, format: 'cert-authority', hostPatterns: ['*'], publicKey: context.hostCAKey, type: 'host'}),
      userCA: formatPublicKey(context.userCAKey),
    }),
    store: FileIdentityStore.forHome(context.home),
    userCA: async () => (await loadCertificateAuthority(context.home, 'user')).key,
  })

  return (request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, {'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8'})
      response.end(`${JSON.stringify(body)}\n`)
    }
    const route = new URL(request.url ?? '/', 'https://proxy').pathname.slice(IDENTITY_PREFIX.length)
    if (request.method !== 'POST') return send(405, {code: 'method_not_allowed', error: 'use POST'})
    const address = request.socket.remoteAddress ?? 'unknown'
    const client = isIP(address) === 6 ? `[${address}]:${request.socket.remotePort}` : `${address}:${request.socket.remotePort}`
    readJson(request)
      .then(async (body) => {
        switch (route) {
          case 'enrol':
            return send(200, await service.enrol(body as never, client))
          case 'nonce':
            return send(200, service.issueNonce())
          case 'login':
            return send(200, await service.login(body as never, address, client))
          default:
            return send(404, {code: 'not_found', error: `no such route: ${IDENTITY_PREFIX}${route}`})
        }
      })
      .catch((error: Error) => {
        if (error instanceof LoginRefused) return send(error.status, {code: error.code, error: error.message})
        if (error instanceof BodyError) return send(400, {code: 'bad_request', error: error.message})
        context.log.warn('identity.error', {error: error.message, route})
        send(500, {code: 'internal', error: 'the proxy could not complete the request; its log says why'})
      })
  }
}

class BodyError extends Error {}

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new BodyError('request body too large'))
        request.destroy()
      } else chunks.push(chunk)
    })
    request.on('error', reject)
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      if (text.trim() === '') return resolve({})
      try {
        const value = JSON.parse(text) as unknown
        if (typeof value !== 'object' || value === null || Array.isArray(value)) reject(new BodyError('the body must be a JSON object'))
        else resolve(value as Record<string, unknown>)
      } catch {
        reject(new BodyError('the body is not JSON'))
      }
    })
  })
}

/** An audit line for the proxy's sink: no session, login or host yet, a request id for the session field. */
function auditLine(event: LoginAuditEvent): Record<string, unknown> {
  return {host: null, login: null, session: `login-${randomUUID().slice(0, 8)}`, ...event}
}
