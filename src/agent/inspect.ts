import {basename} from 'node:path'

import {
  type Certificate,
  formatDuration,
  isCertificateAlgorithm,
  parseCertificate,
  type PublicKey,
  verifyCertificate,
} from '../certs/index.js'
import {WireReader} from '../certs/wire.js'
import type {AgentIdentity} from './client.js'

export type AgentKind = 'gnome-keyring' | 'gpg-agent' | 'other'

/**
 * Guesses the agent behind a socket from its path. GNOME Keyring and gpg-agent do not support
 * certificates, so fleet logins through them fail in ways that are hard to read.
 */
export function agentKind(socket: string): AgentKind {
  if (/\/keyring(-[^/]+)?\/ssh$/.test(socket) || /\/gcr\/ssh$/.test(socket)) return 'gnome-keyring'
  if (basename(socket) === 'S.gpg-agent.ssh') return 'gpg-agent'
  return 'other'
}

export interface FleetCertificateStatus {
  comment: string
  expired: boolean
  keyId: string
  principals: string[]
  secondsLeft: number
  serial: string
  timeLeft: string
  validBefore: string
}

function isCertificateBlob(blob: Buffer): boolean {
  try {
    return isCertificateAlgorithm(new WireReader(blob).text())
  } catch {
    return false
  }
}

/**
 * The agent's certificates that the fleet user CA signed, with their time left, longest-lived
 * first. Expired ones are listed too (an agent keeps them unless they were added with a lifetime).
 */
export function fleetCertificates(identities: AgentIdentity[], userCA: PublicKey, now = Date.now() / 1000): FleetCertificateStatus[] {
  const found: FleetCertificateStatus[] = []
  for (const identity of identities) {
    if (!isCertificateBlob(identity.blob)) continue
    let certificate: Certificate
    try {
      certificate = parseCertificate(identity.blob)
    } catch {
      continue
    }

    const check = verifyCertificate(certificate, {caKeys: [userCA], now, skewSeconds: 0, type: 'user'})
    const expired = !check.ok && check.reason === 'expired'
    if (!check.ok && !expired) continue
    const forever = certificate.validBefore === 0xffff_ffff_ffff_ffffn
    const secondsLeft = forever ? Number.POSITIVE_INFINITY : Number(certificate.validBefore) - Math.floor(now)
    found.push({
      comment: identity.comment,
      expired,
      keyId: certificate.keyId,
      principals: certificate.principals,
      secondsLeft,
      serial: certificate.serial.toString(),
      timeLeft: forever ? 'forever' : expired ? 'expired' : formatDuration(secondsLeft),
      validBefore: forever ? 'forever' : new Date(Number(certificate.validBefore) * 1000).toISOString(),
    })
  }

  return found.sort((a, b) => b.secondsLeft - a.secondsLeft)
}
