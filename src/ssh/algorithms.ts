/** SSH algorithm names for OpenSSH certificates (PROTOCOL.certkeys). */
import {isCertificateAlgorithm} from '../certs/index.js'

export {isCertificateAlgorithm} from '../certs/index.js'

const CERT_SUFFIX = '-cert-v01@openssh.com'

/** Host-key algorithms for host certificates, strongest first. */
export const CERT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
] as const

/** Plain host-key algorithms, offered after the certificate ones (see upstream.ts). */
export const PLAIN_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
] as const

/** The algorithm a certificate signs with: `rsa-sha2-512-cert-v01@openssh.com` -> `rsa-sha2-512`. */
export function baseAlgorithm(name: string): string {
  return isCertificateAlgorithm(name) ? name.slice(0, -CERT_SUFFIX.length) : name
}

/** The key type named at the start of an SSH key or certificate blob, or undefined if malformed. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const length = blob.readUInt32BE(0)
  if (length > blob.length - 4 || length > 64) return undefined
  return blob.subarray(4, 4 + length).toString('latin1')
}

/** The host-key algorithms a certificate of `keyType` can be presented under, best first. */
export function hostCertificateAlgorithms(keyType: string): string[] {
  if (keyType === 'ssh-rsa-cert-v01@openssh.com') {
    // One RSA certificate serves every RSA signature algorithm; SHA-1 last, for old clients.
    return ['rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com']
  }
  return [keyType]
}
