/** SSH algorithm names for OpenSSH certificates (PROTOCOL.certkeys), and the ciphers fleetctl offers. */
import {isCertificateAlgorithm} from '../certs/index.js'
import {defaultCiphers} from './ssh2.js'

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

const AEAD_CIPHERS = new Set(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'])

/**
 * The AEAD ciphers in ssh2's order for this machine (it puts AES-GCM first when cpu-features
 * reports AES instructions and its native binding loaded, else ChaCha20-Poly1305): the order
 * the proxy asks hosts for, since in SSH the client's preference decides.
 */
export function clientCiphers(): string[] {
  return defaultCiphers().filter((name) => AEAD_CIPHERS.has(name))
}

/** `fast`: only the quickest AEAD cipher family here; `compatible`: every AEAD cipher. */
export type CipherPolicy = 'compatible' | 'fast'

/**
 * What the proxy offers as a server. The client's preference decides, and OpenSSH puts
 * ChaCha20-Poly1305 first: under `fast`, where AES-GCM is the fast one (AES instructions) it is
 * all that is offered, so clients, the proxy and every leg of a jump use it; else all three.
 * `compatible` offers all three, for clients without AES-GCM (PuTTY before 0.76).
 */
export function serverCiphers(policy: CipherPolicy = 'fast'): string[] {
  const ciphers = clientCiphers()
  if (policy === 'compatible') return ciphers
  return ciphers[0]?.startsWith('aes') ? ciphers.filter((name) => name.startsWith('aes')) : ciphers
}
