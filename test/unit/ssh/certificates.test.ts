/**
 * The vendored ssh2's certificate parsing and the src/ssh glue, in process: certificates come from
 * src/certs (generateKey + signCertificate), no OpenSSH processes.
 */
import * as ssh2 from '../../../src/ssh/ssh2.js'
import type {ParsedKey, PublicKeyAuthContext} from 'ssh2'
import {describe, expect, it} from 'vitest'

import {type CertificateRequest, encodePrivateKey, formatCertificate, generateKey, type KeySpec, type PrivateKey, signCertificate} from '../../../src/certs/index.js'
import {baseAlgorithm, blobKeyType, certificateTrust, certifiedHostKeys, checkUserCertificate} from '../../../src/ssh/index.js'

const now = BigInt(Math.floor(Date.now() / 1000))

function certify(ca: PrivateKey, key: PrivateKey, overrides: Partial<CertificateRequest> = {}) {
  return signCertificate(
    {keyId: 'alice', principals: ['root'], publicKey: key.publicKey, serial: 1n, type: 'user', validAfter: now - 60n, validBefore: now + 3600n, ...overrides},
    ca,
  )
}

const SPECS: {cert: string; spec: KeySpec}[] = [
  {cert: 'ssh-ed25519-cert-v01@openssh.com', spec: {type: 'ed25519'}},
  {cert: 'ecdsa-sha2-nistp256-cert-v01@openssh.com', spec: {bits: 256, type: 'ecdsa'}},
  {cert: 'ssh-rsa-cert-v01@openssh.com', spec: {type: 'rsa'}},
]

describe.each(SPECS)('$cert', ({cert: certType, spec}) => {
  const ca = generateKey({type: 'ed25519'})
  const key = generateKey(spec)
  const cert = certify(ca, key)

  it('parses as a key whose type is the certificate type and whose SSH blob is the certificate', () => {
    for (const input of [cert.blob, formatCertificate(cert, 'me')]) {
      const parsed = ssh2.utils.parseKey(input) as ParsedKey
      expect(parsed.type).toBe(certType)
      expect(parsed.getPublicSSH().equals(cert.blob)).toBe(true)
      // Crypto uses the certified key.
      expect(parsed.getPublicPEM()).toBe((ssh2.utils.parseKey(key.publicKey.blob) as ParsedKey).getPublicPEM())
    }
  })

  it('certifiedHostKeys presents the certificate under each algorithm it can sign with', () => {
    const hostCert = certify(ca, key, {principals: ['web1'], type: 'host'})
    const entries = certifiedHostKeys(encodePrivateKey(key), formatCertificate(hostCert))
    const expected = certType === 'ssh-rsa-cert-v01@openssh.com'
      ? ['rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com']
      : [certType]
    expect(entries.map((entry) => entry.key.type)).toEqual(expected)
    for (const {key: hostKey} of entries) {
      expect(hostKey.getPublicSSH().equals(hostCert.blob)).toBe(true)
      expect(hostKey.isPrivateKey()).toBe(true)
    }
  })

  it('checkUserCertificate accepts a trusted, signed certificate and nothing else', () => {
    const signer = ssh2.utils.parseKey(encodePrivateKey(key)) as ParsedKey
    const trust = certificateTrust({caKeys: [ca.publicKey]})
    const hashAlgo = certType === 'ssh-rsa-cert-v01@openssh.com' ? 'sha512' : undefined
    const attempt = (blob: Buffer, algo = blobKeyType(blob)!, signed = true): PublicKeyAuthContext => {
      const data = Buffer.from('session id and userauth request')
      return {blob: signed ? data : undefined, hashAlgo, key: {algo, data: blob}, signature: signed ? signer.sign(data, hashAlgo) : undefined} as PublicKeyAuthContext
    }

    expect(checkUserCertificate(attempt(cert.blob), trust, 'root')).toMatchObject({keyId: 'alice', ok: true, signed: true})
    expect(checkUserCertificate(attempt(cert.blob, undefined, false), trust, 'root')).toMatchObject({ok: true, signed: false})
    expect(checkUserCertificate(attempt(key.publicKey.blob), trust, 'root')).toMatchObject({ok: false, reason: 'not-a-certificate'})
    expect(checkUserCertificate(attempt(cert.blob), trust, 'admin')).toMatchObject({ok: false, reason: 'principal-not-allowed'})

    const forged = attempt(cert.blob)
    forged.signature = Buffer.from(forged.signature!).fill(1, 8, 16)
    expect(checkUserCertificate(forged, trust, 'root')).toMatchObject({ok: false, reason: 'bad-signature'})

    const otherCA = certificateTrust({caKeys: [generateKey({type: 'ed25519'}).publicKey]})
    expect(checkUserCertificate(attempt(cert.blob), otherCA, 'root')).toMatchObject({ok: false, reason: 'wrong-ca'})
  })
})

describe('the glue around certificates', () => {
  const ca = generateKey({type: 'ed25519'})
  const key = generateKey({type: 'ed25519'})

  it('fails closed on critical options the caller does not enforce', () => {
    const restricted = certify(ca, key, {criticalOptions: {'force-command': 'uptime'}})
    const data = Buffer.from('x')
    const signer = ssh2.utils.parseKey(encodePrivateKey(key)) as ParsedKey
    const ctx = {blob: data, key: {algo: restricted.algorithm, data: restricted.blob}, signature: signer.sign(data)} as PublicKeyAuthContext
    expect(checkUserCertificate(ctx, certificateTrust({caKeys: [ca.publicKey]}), 'root')).toMatchObject({ok: false, reason: 'unknown-critical-option'})
    const enforcing = certificateTrust({caKeys: [ca.publicKey], enforcedCriticalOptions: ['force-command']})
    const decision = checkUserCertificate(ctx, enforcing, 'root')
    expect(decision.ok && decision.certificate.criticalOptions).toEqual({'force-command': 'uptime'})
  })

  it('refuses a host certificate for another key, and a plain key as certificate', () => {
    const other = generateKey({type: 'ed25519'})
    const hostCert = certify(ca, other, {principals: ['web1'], type: 'host'})
    expect(() => certifiedHostKeys(encodePrivateKey(key), formatCertificate(hostCert))).toThrow(/certifies a different key/)
    expect(() => certifiedHostKeys(encodePrivateKey(key), key.publicKey.blob)).toThrow(/is a public key, not a certificate/)
  })

  it('names algorithms', () => {
    expect(baseAlgorithm('rsa-sha2-512-cert-v01@openssh.com')).toBe('rsa-sha2-512')
    expect(baseAlgorithm('ssh-ed25519')).toBe('ssh-ed25519')
    expect(blobKeyType(certify(ca, key).blob)).toBe('ssh-ed25519-cert-v01@openssh.com')
    expect(blobKeyType(Buffer.from([0, 0, 1]))).toBeUndefined()
  })
})
