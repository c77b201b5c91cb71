import {describe, expect, it} from 'vitest'

import {
  encodePrivateKey,
  fingerprint,
  formatPublicKey,
  generateKey,
  type KeySpec,
  parsePrivateKey,
  parsePublicKey,
  parsePublicKeyBlob,
  signData,
  verifySignature,
} from '../../../src/certs/keys.js'
import {WireWriter} from '../../../src/certs/wire.js'

const SPECS: KeySpec[] = [
  {type: 'ed25519'},
  {bits: 256, type: 'ecdsa'},
  {bits: 384, type: 'ecdsa'},
  {bits: 521, type: 'ecdsa'},
  {bits: 3072, type: 'rsa'},
]

describe.each(SPECS)('keys: %o', (spec) => {
  const key = generateKey(spec, 'test@example')

  it('round-trips the OpenSSH private key format', () => {
    const pem = encodePrivateKey(key)
    expect(pem).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/)
    const back = parsePrivateKey(pem)
    expect(back.publicKey.blob).toEqual(key.publicKey.blob)
    expect(back.comment).toBe('test@example')
    expect(encodePrivateKey(back)).toBe(pem)
  })

  it('round-trips the public key line and blob', () => {
    const line = formatPublicKey(key.publicKey, 'c')
    const {comment, key: parsed} = parsePublicKey(line)
    expect(comment).toBe('c')
    expect(parsed.blob).toEqual(key.publicKey.blob)
    expect(parsePublicKeyBlob(key.publicKey.blob).algorithm).toBe(key.algorithm)
    expect(fingerprint(parsed)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
  })

  it('signs and verifies; a changed message fails', () => {
    const data = Buffer.from('session identifier')
    const signature = signData(key, data)
    expect(verifySignature(key.publicKey, data, signature).ok).toBe(true)
    expect(verifySignature(key.publicKey, Buffer.from('session identifieR'), signature).ok).toBe(false)
  })
})

describe('key edge cases', () => {
  it('refuses RSA keys under 3072 bits when generating', () => {
    expect(() => generateKey({bits: 2048, type: 'rsa'})).toThrow(/at least 3072/)
  })

  it('signs RSA with SHA-2 and refuses SHA-1 ssh-rsa signatures', () => {
    const key = generateKey({type: 'rsa'})
    const data = Buffer.from('x')
    const sig = signData(key, data)
    expect(sig.subarray(4, 16).toString()).toBe('rsa-sha2-512')
    expect(verifySignature(key.publicKey, data, signData(key, data, 'rsa-sha2-256')).ok).toBe(true)
    const sha1 = new WireWriter().string('ssh-rsa').string(Buffer.alloc(384)).toBuffer()
    const check = verifySignature(key.publicKey, data, sha1)
    expect(check.ok === false && check.message).toMatch(/SHA-1/)
  })

  it('says a passphrase-protected key is protected', () => {
    const pem = encodePrivateKey(generateKey({type: 'ed25519'}))
    const data = Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64')
    // Replace cipher "none" by "aes256-ctr" the way an encrypted file names it.
    const encrypted = Buffer.concat([data.subarray(0, 15), new WireWriter().string('aes256-ctr').toBuffer(), data.subarray(15 + 8)])
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${encrypted.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`
    expect(() => parsePrivateKey(text)).toThrow(/passphrase-protected/)
  })

  it('rejects a public key line whose type does not match its blob', () => {
    const key = generateKey({type: 'ed25519'})
    expect(() => parsePublicKey(`ssh-rsa ${key.publicKey.blob.toString('base64')}`)).toThrow(/says ssh-rsa/)
  })
})
