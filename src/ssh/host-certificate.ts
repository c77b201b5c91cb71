import {hostCertificateAlgorithms, isCertificateAlgorithm} from './algorithms.js'
import {type ParsedKey, utils} from './ssh2.js'

/** One entry of an ssh2 `Server`'s `hostKeys`. */
export interface HostKeyEntry {
  key: ParsedKey
}

/**
 * Host keys for an ssh2 `Server` that present `certificate` (an OpenSSH host certificate line or
 * blob) for `privateKey`. ssh2 takes any parsed key: each returned key is the private key with
 * the certificate's algorithm as its type and the certificate as its public blob, one per
 * algorithm the certificate can be presented under (three for RSA).
 */
export function certifiedHostKeys(privateKey: string | Buffer, certificate: string | Buffer, passphrase?: string): HostKeyEntry[] {
  const key = firstKey(utils.parseKey(privateKey, passphrase), 'host key')
  if (!key.isPrivateKey()) throw new Error('host key: not a private key')
  const cert = firstKey(utils.parseKey(certificate), 'host certificate')
  if (!isCertificateAlgorithm(cert.type)) throw new Error(`host certificate: ${cert.type} is a public key, not a certificate`)
  if (cert.getPublicPEM() !== key.getPublicPEM()) throw new Error('host certificate: certifies a different key than the host key')

  const blob = cert.getPublicSSH()
  return hostCertificateAlgorithms(cert.type).map((algorithm) => ({
    key: Object.create(key, {
      type: {value: algorithm, enumerable: true},
      getPublicSSH: {value: () => blob},
    }) as ParsedKey,
  }))
}

function firstKey(parsed: ParsedKey | ParsedKey[] | Error, what: string): ParsedKey {
  if (parsed instanceof Error) throw new Error(`${what}: ${parsed.message}`)
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  if (!key) throw new Error(`${what}: no key found`)
  return key
}
