/**
 * What the SSH glue asks of certificate trust, and its implementation on src/certs. The glue
 * does no certificate cryptography of its own: a `CertificateTrust` decides whether a
 * certificate blob is signed by a trusted CA, is of the right type, names the principal, is
 * valid now and carries no critical option the caller does not enforce.
 */
import {type Certificate, type CertificateType, type PublicKey, type RejectionReason, verifyCertificate} from '../certs/index.js'

export type CertificateKind = CertificateType

export type TrustDecision =
  | {certificate: Certificate; keyId: string; ok: true; principals: string[]}
  | {message: string; ok: false; reason: RejectionReason | string}

export interface CertificateTrust {
  /**
   * Check an OpenSSH certificate blob for `principal` (a login for users, a host name for hosts);
   * `undefined` accepts any principal (the proxy's own login, where the login that matters is
   * the one on the host).
   */
  check(certificate: Buffer, kind: CertificateKind, principal: string | undefined): TrustDecision
}

export interface TrustOptions {
  /** The CA public keys to trust (the fleet's user CA for users, host CA for hosts). */
  caKeys: readonly PublicKey[]
  /**
   * Critical options the caller enforces (e.g. `force-command`). Certificates with any other
   * critical option are refused. Default: none, so a restricted certificate fails closed.
   */
  enforcedCriticalOptions?: readonly string[]
  skewSeconds?: number
  /** The clock, in seconds since the epoch (tests). */
  now?: () => number
}

/** Trust certificates issued by `caKeys`, checked by src/certs. */
export function certificateTrust(options: TrustOptions): CertificateTrust {
  return {
    check(blob, kind, principal) {
      const verdict = verifyCertificate(blob, {
        acceptedCriticalOptions: options.enforcedCriticalOptions ?? [],
        caKeys: options.caKeys,
        now: options.now?.(),
        principal,
        skewSeconds: options.skewSeconds,
        type: kind,
      })
      if (!verdict.ok) return {message: verdict.message, ok: false, reason: verdict.reason}
      const {certificate} = verdict
      return {certificate, keyId: certificate.keyId, ok: true, principals: certificate.principals}
    },
  }
}
