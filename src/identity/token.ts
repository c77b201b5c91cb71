/**
 * The enrolment token handed to a new person: one string carrying the proxy's web address, the
 * user name, the one-time secret and the SHA-256 fingerprint of the proxy's web certificate, so
 * the first connection is already pinned (no trust on first use). The proxy keeps only the
 * secret's hash.
 */
import {createHash, randomBytes} from 'node:crypto'

import {FleetError} from '../base/errors.js'

const PREFIX = 'fleetctl-enrol-v1.'

export interface EnrolmentTicket {
  /** host:port of the proxy's HTTPS listener. */
  proxy: string
  user: string
  secret: string
  /** sha256 of the web certificate (DER), hex. */
  fingerprint: string
}

export const newTokenSecret = (): string => randomBytes(24).toString('base64url')

/** The id a token is stored under: sha256 of its secret. */
export const tokenId = (secret: string): string => createHash('sha256').update(secret).digest('hex')

export function encodeTicket(ticket: EnrolmentTicket): string {
  return PREFIX + Buffer.from(JSON.stringify({f: ticket.fingerprint, p: ticket.proxy, s: ticket.secret, u: ticket.user})).toString('base64url')
}

export function decodeTicket(text: string): EnrolmentTicket {
  const bad = () => new FleetError('this is not a fleetctl enrolment token', {code: 'bad_token', exit: 'usage', suggestions: ['Paste the whole token that `fleetctl users add` printed (it starts with fleetctl-enrol-v1.).']})
  const trimmed = text.trim()
  if (!trimmed.startsWith(PREFIX)) throw bad()
  try {
    const fields = JSON.parse(Buffer.from(trimmed.slice(PREFIX.length), 'base64url').toString('utf8')) as Record<string, unknown>
    const {f, p, s, u} = fields
    if (typeof f !== 'string' || typeof p !== 'string' || typeof s !== 'string' || typeof u !== 'string') throw bad()
    return {fingerprint: normalizeFingerprint(f), proxy: p, secret: s, user: u}
  } catch (error) {
    if (error instanceof FleetError) throw error
    throw bad()
  }
}

/** `AB:CD:…` (Node, openssl) or `sha256:abcd…` or plain hex, to plain lowercase hex. */
export function normalizeFingerprint(text: string): string {
  const hex = text.trim().replace(/^sha256:/i, '').replaceAll(':', '').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new FleetError(`"${text}" is not a SHA-256 certificate fingerprint`, {code: 'bad_fingerprint', exit: 'usage', suggestions: ['Give the fingerprint `fleetctl users add` printed, e.g. sha256:3f1c…, or `openssl x509 -noout -fingerprint -sha256 -in web.crt`.']})
  }
  return hex
}

export const formatFingerprint = (hex: string): string => `sha256:${hex}`
