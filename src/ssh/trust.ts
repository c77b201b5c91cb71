/**
 * What the SSH glue asks of certificate trust. The glue does no certificate cryptography of its
 * own: a `CertificateTrust` (built on src/certs) decides whether a certificate blob is signed by
 * a trusted CA, is of the right type, names the principal and is valid now.
 */

export type CertificateKind = 'user' | 'host'

export type TrustDecision =
  | {ok: true; keyId: string; principals: string[]}
  | {ok: false; reason: string; message: string}

export interface CertificateTrust {
  /** Check an OpenSSH certificate blob for `principal` (a login for users, a host name for hosts). */
  check(certificate: Buffer, kind: CertificateKind, principal: string): TrustDecision
}
