/**
 * A minimal certificate check for the SSH glue's tests, to be replaced by src/certs once it
 * lands: CA signature (ed25519, ECDSA, RSA SHA-2), certificate type, principal and validity.
 * No critical-option or extension handling.
 */
import {createPublicKey, verify} from 'node:crypto'

import ssh2 from 'ssh2'

import type {CertificateKind, CertificateTrust, TrustDecision} from '../../src/ssh/trust.js'

class Reader {
  private pos = 0
  constructor(private readonly buf: Buffer) {}
  get offset() {
    return this.pos
  }
  string(): Buffer {
    const length = this.buf.readUInt32BE(this.pos)
    const value = this.buf.subarray(this.pos + 4, this.pos + 4 + length)
    if (value.length !== length) throw new Error('truncated')
    this.pos += 4 + length
    return value
  }
  uint32(): number {
    const value = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return value
  }
  uint64(): bigint {
    const value = this.buf.readBigUInt64BE(this.pos)
    this.pos += 8
    return value
  }
}

const KEY_FIELDS: Record<string, number> = {
  'ssh-ed25519-cert-v01@openssh.com': 1,
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': 2,
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': 2,
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': 2,
  'ssh-rsa-cert-v01@openssh.com': 2,
}

function checkSignature(caBlob: Buffer, signed: Buffer, signature: Buffer): boolean {
  const ca = ssh2.utils.parseKey(caBlob)
  if (ca instanceof Error || Array.isArray(ca)) return false
  const key = createPublicKey(ca.getPublicPEM())
  const sig = new Reader(signature)
  const format = sig.string().toString()
  const raw = sig.string()
  switch (format) {
    case 'ssh-ed25519':
      return verify(null, signed, key, raw)
    case 'rsa-sha2-256':
      return verify('sha256', signed, key, raw)
    case 'rsa-sha2-512':
      return verify('sha512', signed, key, raw)
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const bits = Number(format.slice(-3))
      const size = Math.ceil(bits / 8)
      const rs = new Reader(raw)
      const fixed = (n: Buffer) => Buffer.concat([Buffer.alloc(size), n]).subarray(-size)
      const p1363 = Buffer.concat([fixed(rs.string()), fixed(rs.string())])
      const hash = bits === 256 ? 'sha256' : bits === 384 ? 'sha384' : 'sha512'
      return verify(hash, signed, {key, dsaEncoding: 'ieee-p1363'}, p1363)
    }
    default:
      return false
  }
}

/** Trust certificates signed by one of `caLines` (OpenSSH public key lines). */
export function minimalTrust(caLines: string[]): CertificateTrust {
  const caBlobs = caLines.map((line) => Buffer.from(line.split(/\s+/)[1] ?? '', 'base64'))
  return {
    check(certificate: Buffer, kind: CertificateKind, principal: string): TrustDecision {
      try {
        const r = new Reader(certificate)
        const type = r.string().toString()
        const fields = KEY_FIELDS[type]
        if (fields === undefined) return {ok: false, reason: 'unsupported', message: `unsupported certificate type ${type}`}
        r.string() // nonce
        for (let i = 0; i < fields; i++) r.string()
        r.uint64() // serial
        const certType = r.uint32()
        const keyId = r.string().toString()
        const principalsBlob = new Reader(r.string())
        const principals: string[] = []
        for (;;) {
          try {
            principals.push(principalsBlob.string().toString())
          } catch {
            break
          }
        }
        const validAfter = r.uint64()
        const validBefore = r.uint64()
        r.string() // critical options
        r.string() // extensions
        r.string() // reserved
        const caBlob = r.string()
        const signedLength = r.offset
        const signature = r.string()
        if (!caBlobs.some((blob) => blob.equals(caBlob))) return {ok: false, reason: 'unknown-ca', message: 'not signed by a trusted CA'}
        if (!checkSignature(caBlob, certificate.subarray(0, signedLength), signature)) {
          return {ok: false, reason: 'bad-signature', message: 'the CA signature does not verify'}
        }
        if (certType !== (kind === 'user' ? 1 : 2)) return {ok: false, reason: 'wrong-type', message: `not a ${kind} certificate`}
        const now = BigInt(Math.floor(Date.now() / 1000))
        if (now < validAfter || now >= validBefore) return {ok: false, reason: 'expired', message: 'not valid now'}
        if (!principals.includes(principal)) return {ok: false, reason: 'principal', message: `not valid for ${principal}`}
        return {ok: true, keyId, principals}
      } catch {
        return {ok: false, reason: 'malformed', message: 'malformed certificate'}
      }
    },
  }
}
