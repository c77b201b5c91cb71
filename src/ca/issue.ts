import {randomBytes} from 'node:crypto'

import {
  type CertificateRequest,
  type CertificateType,
  DEFAULT_USER_EXTENSIONS,
  FOREVER,
  type PublicKey,
} from '../certs/index.js'

/**
 * Certificates are valid from a little before "now" so that a host whose clock runs slightly
 * behind the issuer's accepts them at once.
 */
export const BACKDATE_SECONDS = 60

export const DEFAULT_USER_TTL_SECONDS = 12 * 3600
export const DEFAULT_HOST_TTL_SECONDS = 365 * 86_400

/** A random serial: unique enough to revoke one certificate by serial in a KRL. */
export function randomSerial(): bigint {
  return randomBytes(8).readBigUInt64BE(0) >> 1n
}

export interface UserCertificateOptions {
  criticalOptions?: Record<string, string>
  /** Replaces the default extensions (permit-pty, -agent-forwarding, -port-forwarding, -X11-forwarding, -user-rc). */
  extensions?: Record<string, string>
  keyId?: string
  now?: number
  principals?: string[]
  publicKey: PublicKey
  /** Seconds; 0 means forever. */
  ttlSeconds?: number
  user: string
}

export interface HostCertificateOptions {
  /** Names and addresses clients reach the host by; all become principals. */
  hosts: string[]
  keyId?: string
  now?: number
  publicKey: PublicKey
  ttlSeconds?: number
}

function validity(ttlSeconds: number, now = Date.now() / 1000): {validAfter: bigint; validBefore: bigint} {
  const start = Math.floor(now)
  return {
    validAfter: BigInt(Math.max(0, start - BACKDATE_SECONDS)),
    validBefore: ttlSeconds === 0 ? FOREVER : BigInt(start + ttlSeconds),
  }
}

export function userCertificateRequest(options: UserCertificateOptions): CertificateRequest {
  return {
    criticalOptions: options.criticalOptions ?? {},
    extensions: options.extensions ?? DEFAULT_USER_EXTENSIONS,
    keyId: options.keyId ?? options.user,
    principals: options.principals && options.principals.length > 0 ? options.principals : [options.user],
    publicKey: options.publicKey,
    serial: randomSerial(),
    type: 'user',
    ...validity(options.ttlSeconds ?? DEFAULT_USER_TTL_SECONDS, options.now),
  }
}

export function hostCertificateRequest(options: HostCertificateOptions): CertificateRequest {
  return {
    keyId: options.keyId ?? options.hosts[0],
    principals: [...new Set(options.hosts)],
    publicKey: options.publicKey,
    serial: randomSerial(),
    type: 'host',
    ...validity(options.ttlSeconds ?? DEFAULT_HOST_TTL_SECONDS, options.now),
  }
}

export type {CertificateType}
