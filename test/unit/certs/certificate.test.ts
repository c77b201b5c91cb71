import {describe, expect, it} from 'vitest'

import {
  type CertificateRequest,
  checkCertificateRequest,
  DEFAULT_USER_EXTENSIONS,
  FOREVER,
  formatCertificate,
  parseCertificateLine,
  signCertificate,
  verifyCertificate,
} from '../../../src/certs/certificate.js'
import {generateKey, type KeySpec} from '../../../src/certs/keys.js'
import {WireReader} from '../../../src/certs/wire.js'

const NOW = 1_800_000_000

function userRequest(overrides: Partial<CertificateRequest> = {}): CertificateRequest {
  return {
    criticalOptions: {'force-command': 'uptime', 'source-address': '10.0.0.0/8,192.0.2.7'},
    extensions: DEFAULT_USER_EXTENSIONS,
    keyId: 'joe@laptop',
    principals: ['joe', 'root'],
    publicKey: generateKey({type: 'ed25519'}).publicKey,
    serial: 42n,
    type: 'user',
    validAfter: BigInt(NOW - 60),
    validBefore: BigInt(NOW + 3600),
    ...overrides,
  }
}

const SPECS: KeySpec[] = [{type: 'ed25519'}, {bits: 256, type: 'ecdsa'}, {bits: 384, type: 'ecdsa'}, {bits: 521, type: 'ecdsa'}, {bits: 3072, type: 'rsa'}]

describe.each(SPECS)('certificates signed by a %o CA', (spec) => {
  const ca = generateKey(spec)
  const subject = generateKey(spec)
  const certificate = signCertificate(userRequest({publicKey: subject.publicKey}), ca)
  const policy = {caKeys: [ca.publicKey], now: NOW, principal: 'root', type: 'user' as const}

  it('round-trips every field', () => {
    const parsed = parseCertificateLine(formatCertificate(certificate, 'joe')).certificate
    expect(parsed.algorithm).toBe(`${subject.algorithm}-cert-v01@openssh.com`)
    expect(parsed.keyId).toBe('joe@laptop')
    expect(parsed.serial).toBe(42n)
    expect(parsed.principals).toEqual(['joe', 'root'])
    expect(parsed.validAfter).toBe(BigInt(NOW - 60))
    expect(parsed.validBefore).toBe(BigInt(NOW + 3600))
    expect(parsed.criticalOptions).toEqual({'force-command': 'uptime', 'source-address': '10.0.0.0/8,192.0.2.7'})
    expect(Object.keys(parsed.extensions)).toEqual(Object.keys(DEFAULT_USER_EXTENSIONS).sort())
    expect(parsed.publicKey.blob).toEqual(subject.publicKey.blob)
    expect(parsed.signatureKey.blob).toEqual(ca.publicKey.blob)
    expect(parsed.blob).toEqual(certificate.blob)
  })

  it('signs RSA certificates with rsa-sha2-512', () => {
    const algorithm = new WireReader(certificate.signature).text()
    expect(algorithm).toBe(spec.type === 'rsa' ? 'rsa-sha2-512' : ca.algorithm)
  })

  it('verifies under the right policy', () => {
    expect(verifyCertificate(certificate, policy)).toMatchObject({ok: true})
  })

  it('fails for every single-bit flip anywhere in the certificate', () => {
    const failures = new Set<string>()
    for (let i = 0; i < certificate.blob.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const forged = Buffer.from(certificate.blob)
        forged[i] ^= 1 << bit
        const result = verifyCertificate(forged, policy)
        if (result.ok) throw new Error(`flip of bit ${bit} of byte ${i} still verifies`)
        failures.add(result.reason)
      }
    }

    expect(failures).toContain('malformed')
    expect(failures).toContain('bad-signature')
    // An altered ECDSA CA point is off the curve, so it fails as malformed before any CA comparison.
    if (spec.type !== 'ecdsa') expect(failures).toContain('wrong-ca')
  })
})

describe('verification reasons', () => {
  const ca = generateKey({type: 'ed25519'})
  const other = generateKey({type: 'ed25519'})
  const cert = signCertificate(userRequest(), ca)
  const base = {caKeys: [ca.publicKey], now: NOW, type: 'user' as const}

  it.each([
    ['wrong-ca', {caKeys: [other.publicKey]}],
    ['wrong-type', {type: 'host' as const}],
    ['expired', {now: NOW + 3600 + 61}],
    ['not-yet-valid', {now: NOW - 60 - 61}],
    ['principal-not-allowed', {principal: 'admin'}],
    ['unknown-critical-option', {acceptedCriticalOptions: ['force-command']}],
  ])('%s', (reason, overrides) => {
    const result = verifyCertificate(cert, {...base, ...overrides})
    expect(result).toMatchObject({ok: false, reason})
    expect(result.ok === false && result.message.length).toBeGreaterThan(10)
  })

  it('allows the configured clock skew at both ends', () => {
    expect(verifyCertificate(cert, {...base, now: NOW + 3600 + 30}).ok).toBe(true)
    expect(verifyCertificate(cert, {...base, now: NOW + 3600 + 30, skewSeconds: 0})).toMatchObject({reason: 'expired'})
    expect(verifyCertificate(cert, {...base, now: NOW - 60 - 30}).ok).toBe(true)
  })

  it('treats valid-before 2^64-1 as forever', () => {
    const forever = signCertificate(userRequest({validAfter: 0n, validBefore: FOREVER}), ca)
    expect(verifyCertificate(forever, {...base, now: 4_000_000_000}).ok).toBe(true)
  })

  it('rejects a certificate whose signature was made by another key over the same CA name', () => {
    const forged = signCertificate(userRequest(), other)
    // Splice the trusted CA key into the forged certificate's signature-key field.
    const spliced = Buffer.from(forged.blob.toString('hex').replace(other.publicKey.blob.toString('hex'), ca.publicKey.blob.toString('hex')), 'hex')
    expect(verifyCertificate(spliced, base)).toMatchObject({ok: false, reason: 'bad-signature'})
  })

  it('rejects a certificate with options out of order', () => {
    // "permit-aaaa-rc" has the length of "permit-user-rc", the last extension, but sorts before "permit-pty".
    const hex = cert.blob.toString('hex').replace(Buffer.from('permit-user-rc').toString('hex'), Buffer.from('permit-aaaa-rc').toString('hex'))
    expect(verifyCertificate(Buffer.from(hex, 'hex'), base)).toMatchObject({ok: false, reason: 'malformed'})
  })
})

describe('certificate requests are checked before signing', () => {
  it.each([
    ['no principals', {principals: []}, /at least one principal/],
    ['a principal with a comma', {principals: ['a,b']}, /commas/],
    ['an empty key id', {keyId: ''}, /key id/],
    ['validity backwards', {validAfter: 10n, validBefore: 5n}, /before/],
    ['an unknown critical option', {criticalOptions: {'no-such-option': 'x'}}, /unknown critical option/],
    ['a bad source-address', {criticalOptions: {'source-address': '10.0.0.0/33'}}, /source-address/],
    ['an unknown extension', {extensions: {'permit-everything': ''}}, /unknown extension/],
    ['host certificate with extensions', {type: 'host' as const}, /host certificates carry no/],
  ])('refuses %s', (_name, overrides, message) => {
    expect(() => checkCertificateRequest(userRequest(overrides as Partial<CertificateRequest>))).toThrow(message)
  })

  it('accepts vendor extensions and verify-required', () => {
    expect(() => checkCertificateRequest(userRequest({criticalOptions: {'verify-required': ''}, extensions: {'login@github.com': 'joe'}}))).not.toThrow()
  })
})
