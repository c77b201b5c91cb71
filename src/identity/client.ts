/**
 * The client side of the login API: JSON over HTTPS to the proxy, with its web certificate pinned
 * by SHA-256 fingerprint (from the enrolment token or --tls-fingerprint), checked before a byte of
 * the request is sent. Without a pin the certificate must verify against the system's CAs, unless
 * the caller said --insecure out loud. Never trust on first use.
 */
import {timingSafeEqual} from 'node:crypto'
import {request as httpRequest} from 'node:http'
import {isIP} from 'node:net'
import {connect, type TLSSocket} from 'node:tls'

import {FleetError} from '../base/errors.js'
import {formatFingerprint, normalizeFingerprint} from './token.js'

export interface ProxyEndpoint {
  /** host:port of the proxy's HTTPS. */
  address: string
  /** sha256 of the certificate, hex. */
  fingerprint?: string
  /** Accept any certificate (said out loud by the caller). */
  insecure?: boolean
}

export function splitAddress(address: string, defaultPort = 3080): {host: string; port: number} {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address)
  if (!match) throw new FleetError(`--proxy: "${address}" is not host[:port]`, {code: 'bad_proxy', exit: 'usage'})
  return {host: match[1], port: match[2] ? Number(match[2]) : defaultPort}
}

async function openPinned(endpoint: ProxyEndpoint): Promise<TLSSocket> {
  const {host, port} = splitAddress(endpoint.address)
  const pinned = endpoint.fingerprint !== undefined
  const socket = connect({host, port, rejectUnauthorized: !pinned && !endpoint.insecure, servername: isIP(host) ? undefined : host})
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve)
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const untrusted = /certificate|self.signed|CERT_|SELF_SIGNED/i.test(`${error.code} ${error.message}`)
      reject(
        new FleetError(`cannot reach the proxy at https://${endpoint.address}: ${error.message}`, {
          cause: error,
          code: untrusted ? 'tls_untrusted' : 'proxy_unreachable',
          exit: untrusted ? 'untrusted' : 'unreachable',
          suggestions: untrusted
            ? ['Pin the proxy\'s certificate with --tls-fingerprint sha256:… (from your enrolment token or your admin), or use the enrolment token with --enrol.']
            : ['Check the address and port (the proxy\'s --web-listen, default 3080) and that the proxy is running.'],
        }),
      )
    })
  })
  if (pinned) {
    const seen = normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '')
    const expected = Buffer.from(endpoint.fingerprint!, 'hex')
    const actual = Buffer.from(seen, 'hex')
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      socket.destroy()
      throw new FleetError(`the proxy at ${endpoint.address} presented a web certificate (${formatFingerprint(seen)}) that is not the pinned one (${formatFingerprint(endpoint.fingerprint!)})`, {
        code: 'tls_pin_mismatch',
        exit: 'untrusted',
        suggestions: ['Nothing was sent. If the proxy\'s certificate was replaced, get the new fingerprint from your admin and pass --tls-fingerprint; otherwise someone may be in the middle.'],
      })
    }
  }
  return socket
}

/** POST a JSON body; the parsed JSON answer, or a FleetError carrying the proxy's message. */
export async function postJson<T>(endpoint: ProxyEndpoint, path: string, body: unknown): Promise<T> {
  const socket = await openPinned(endpoint)
  const payload = Buffer.from(JSON.stringify(body))
  return new Promise<T>((resolve, reject) => {
    const request = httpRequest(
      {
        createConnection: () => socket,
        headers: {'content-length': payload.length, 'content-type': 'application/json', host: endpoint.address},
        method: 'POST',
        path,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          socket.destroy()
          let parsed: Record<string, unknown>
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
          } catch {
            return reject(new FleetError(`the proxy at ${endpoint.address} answered ${response.statusCode} without JSON; is it a fleetctl proxy?`, {code: 'proxy_bad_answer', exit: 'unreachable'}))
          }
          if (response.statusCode === 200) return resolve(parsed as T)
          reject(new ProxyRefusal(String(parsed.error ?? `HTTP ${response.statusCode}`), String(parsed.code ?? 'refused'), response.statusCode ?? 0))
        })
      },
    )
    request.on('error', (error) => {
      socket.destroy()
      reject(new FleetError(`the request to ${endpoint.address} failed: ${error.message}`, {code: 'proxy_unreachable', exit: 'unreachable'}))
    })
    request.end(payload)
  })
}

/** The proxy said no; its message is meant for the user. */
export class ProxyRefusal extends FleetError {
  constructor(
    message: string,
    readonly proxyCode: string,
    readonly status: number,
  ) {
    super(message, {
      code: proxyCode === 'locked_out' ? 'login_locked_out' : status === 401 || status === 403 || status === 429 ? 'login_refused' : 'proxy_refused',
      exit: status === 400 ? 'usage' : 'untrusted',
      suggestions: status === 401 ? ['Check the user name (--user), your password and the current code of your authenticator app, then run `fleetctl login` again.'] : [],
    })
  }
}
