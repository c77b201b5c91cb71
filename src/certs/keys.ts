import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto'

import {WireFormatError, WireReader, WireWriter} from './wire.js'

/** The plain (non-certificate) key algorithms fleetctl reads, writes and signs with. */
export type KeyAlgorithm =
  | 'ecdsa-sha2-nistp256'
  | 'ecdsa-sha2-nistp384'
  | 'ecdsa-sha2-nistp521'
  | 'ssh-ed25519'
  | 'ssh-rsa'

/** What a user asks for on the command line. */
export type KeySpec = {bits: 256 | 384 | 521; type: 'ecdsa'} | {bits?: number; type: 'rsa'} | {type: 'ed25519'}

/** Signature algorithms used for RSA keys; SHA-1 `ssh-rsa` signatures are never produced. */
export type RsaSignatureAlgorithm = 'rsa-sha2-256' | 'rsa-sha2-512'

export const MIN_RSA_BITS_GENERATED = 3072
/** OpenSSH 9.x refuses RSA keys under 1024 bits; fleetctl refuses to certify keys under 2048. */
export const MIN_RSA_BITS_ACCEPTED = 2048

export interface PublicKey {
  readonly algorithm: KeyAlgorithm
  readonly bits: number
  /** The SSH wire encoding of the key (what `ssh-ed25519 AAAA...` carries in base64). */
  readonly blob: Buffer
  readonly keyObject: KeyObject
}

export interface PrivateKey {
  readonly algorithm: KeyAlgorithm
  readonly comment: string
  readonly keyObject: KeyObject
  readonly publicKey: PublicKey
}

export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KeyFormatError'
  }
}

interface Curve {
  algorithm: KeyAlgorithm
  /** The curve name inside SSH blobs. */
  id: string
  jwk: string
  bytes: number
  hash: string
  bits: 256 | 384 | 521
}

const CURVES: Curve[] = [
  {algorithm: 'ecdsa-sha2-nistp256', bits: 256, bytes: 32, hash: 'sha256', id: 'nistp256', jwk: 'P-256'},
  {algorithm: 'ecdsa-sha2-nistp384', bits: 384, bytes: 48, hash: 'sha384', id: 'nistp384', jwk: 'P-384'},
  {algorithm: 'ecdsa-sha2-nistp521', bits: 521, bytes: 66, hash: 'sha512', id: 'nistp521', jwk: 'P-521'},
]

const curveByAlgorithm = (algorithm: string) => CURVES.find((c) => c.algorithm === algorithm)

const b64u = (s: string | undefined, what: string): Buffer => {
  if (!s) throw new KeyFormatError(`key is missing ${what}`)
  return Buffer.from(s, 'base64url')
}

const toB64u = (b: Buffer) => b.toString('base64url')

/** Left-pad big-endian bytes to a fixed width; throws when the value does not fit. */
function fixedWidth(bytes: Buffer, width: number, what: string): Buffer {
  let start = 0
  while (start < bytes.length - width && bytes[start] === 0) start++
  const body = bytes.subarray(start)
  if (body.length > width) throw new KeyFormatError(`${what} is longer than ${width} bytes`)
  return Buffer.concat([Buffer.alloc(width - body.length), body])
}

/** The SSH public key of a node:crypto key object (public or private). */
export function publicKeyFromKeyObject(keyObject: KeyObject): PublicKey {
  const pub = keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject
  const jwk = pub.export({format: 'jwk'}) as JsonWebKey
  const w = new WireWriter()
  let algorithm: KeyAlgorithm
  let bits: number
  switch (pub.asymmetricKeyType) {
    case 'ed25519': {
      algorithm = 'ssh-ed25519'
      bits = 256
      w.string(algorithm).string(b64u(jwk.x, 'x'))
      break
    }
    case 'ec': {
      const curve = CURVES.find((c) => c.jwk === jwk.crv)
      if (!curve) throw new KeyFormatError(`unsupported ECDSA curve ${jwk.crv}`)
      algorithm = curve.algorithm
      bits = curve.bits
      const point = Buffer.concat([
        Buffer.from([4]),
        fixedWidth(b64u(jwk.x, 'x'), curve.bytes, 'x'),
        fixedWidth(b64u(jwk.y, 'y'), curve.bytes, 'y'),
      ])
      w.string(algorithm).string(curve.id).string(point)
      break
    }
    case 'rsa': {
      algorithm = 'ssh-rsa'
      bits = pub.asymmetricKeyDetails?.modulusLength ?? 0
      w.string(algorithm).mpint(b64u(jwk.e, 'e')).mpint(b64u(jwk.n, 'n'))
      break
    }
    default: {
      throw new KeyFormatError(`unsupported key type ${pub.asymmetricKeyType}`)
    }
  }

  return {algorithm, bits, blob: w.toBuffer(), keyObject: pub}
}

/** Reads the key-specific fields of a public key that follow its algorithm name. */
export function readPublicKeyFields(algorithm: string, r: WireReader): PublicKey {
  let jwk: JsonWebKey
  if (algorithm === 'ssh-ed25519') {
    const x = r.string('ed25519 public key')
    if (x.length !== 32) throw new KeyFormatError('ed25519 public key must be 32 bytes')
    jwk = {crv: 'Ed25519', kty: 'OKP', x: toB64u(x)}
  } else if (algorithm === 'ssh-rsa') {
    const e = r.mpint('RSA exponent')
    const n = r.mpint('RSA modulus')
    jwk = {e: toB64u(e), kty: 'RSA', n: toB64u(n)}
  } else {
    const curve = curveByAlgorithm(algorithm)
    if (!curve) throw new KeyFormatError(`unsupported key type ${algorithm}`)
    const id = r.text('curve name')
    if (id !== curve.id) throw new KeyFormatError(`curve ${id} does not match key type ${algorithm}`)
    const point = r.string('ECDSA point')
    if (point.length !== 1 + 2 * curve.bytes || point[0] !== 4) throw new KeyFormatError('ECDSA point is not an uncompressed point on the curve')
    jwk = {
      crv: curve.jwk,
      kty: 'EC',
      x: toB64u(point.subarray(1, 1 + curve.bytes)),
      y: toB64u(point.subarray(1 + curve.bytes)),
    }
  }

  let keyObject: KeyObject
  try {
    keyObject = createPublicKey({format: 'jwk', key: jwk})
  } catch (error) {
    throw new KeyFormatError(`invalid ${algorithm} public key: ${(error as Error).message}`)
  }

  const key = publicKeyFromKeyObject(keyObject)
  if (key.algorithm !== algorithm) throw new KeyFormatError(`key type mismatch: ${key.algorithm} vs ${algorithm}`)
  return key
}

/** Parses the SSH wire encoding of a plain public key. */
export function parsePublicKeyBlob(blob: Buffer): PublicKey {
  try {
    const r = new WireReader(blob)
    const algorithm = r.text('key type')
    const key = readPublicKeyFields(algorithm, r)
    r.end('public key')
    if (!key.blob.equals(blob)) throw new KeyFormatError('public key is not in canonical encoding')
    return key
  } catch (error) {
    if (error instanceof WireFormatError) throw new KeyFormatError(`malformed public key: ${error.message}`)
    throw error
  }
}

/** `ssh-ed25519 AAAA... comment`, as in authorized_keys and `.pub` files. */
export function formatPublicKey(key: PublicKey, comment = ''): string {
  return `${key.algorithm} ${key.blob.toString('base64')}${comment ? ` ${comment}` : ''}`
}

/** Parses a one-line OpenSSH public key (`type base64 [comment]`). */
export function parsePublicKey(text: string): {comment: string; key: PublicKey} {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
  if (!line) throw new KeyFormatError('no public key found')
  const [type, data, ...comment] = line.trim().split(/\s+/)
  if (!data) throw new KeyFormatError('public key line needs a key type and base64 data')
  if (type.includes('-cert-v01@openssh.com')) throw new KeyFormatError(`${type} is a certificate, not a plain public key`)
  const key = parsePublicKeyBlob(Buffer.from(data, 'base64'))
  if (key.algorithm !== type) throw new KeyFormatError(`public key line says ${type} but the key is ${key.algorithm}`)
  return {comment: comment.join(' '), key}
}

/** OpenSSH's fingerprint: `SHA256:` and unpadded base64 of the blob's SHA-256. */
export function fingerprint(key: PublicKey | Buffer): string {
  const blob = Buffer.isBuffer(key) ? key : key.blob
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

export function generateKey(spec: KeySpec, comment = ''): PrivateKey {
  let keyObject: KeyObject
  switch (spec.type) {
    case 'ed25519': {
      keyObject = generateKeyPairSync('ed25519').privateKey
      break
    }
    case 'ecdsa': {
      const curve = CURVES.find((c) => c.bits === spec.bits)
      if (!curve) throw new KeyFormatError(`ECDSA keys are 256, 384 or 521 bits, not ${spec.bits}`)
      keyObject = generateKeyPairSync('ec', {namedCurve: curve.jwk}).privateKey
      break
    }
    case 'rsa': {
      const bits = spec.bits ?? MIN_RSA_BITS_GENERATED
      if (bits < MIN_RSA_BITS_GENERATED) throw new KeyFormatError(`RSA keys must be at least ${MIN_RSA_BITS_GENERATED} bits, not ${bits}`)
      keyObject = generateKeyPairSync('rsa', {modulusLength: bits, publicExponent: 65_537}).privateKey
      break
    }
  }

  return privateKeyFromKeyObject(keyObject, comment)
}

export function privateKeyFromKeyObject(keyObject: KeyObject, comment = ''): PrivateKey {
  if (keyObject.type !== 'private') throw new KeyFormatError('expected a private key')
  const publicKey = publicKeyFromKeyObject(keyObject)
  return {algorithm: publicKey.algorithm, comment, keyObject, publicKey}
}

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1')
const PEM_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----'
const PEM_END = '-----END OPENSSH PRIVATE KEY-----'

/** Writes the private fields of a key as the openssh-key-v1 private section expects them. */
function writePrivateFields(key: PrivateKey, w: WireWriter): void {
  const jwk = key.keyObject.export({format: 'jwk'}) as JsonWebKey
  w.string(key.algorithm)
  if (key.algorithm === 'ssh-ed25519') {
    const x = b64u(jwk.x, 'x')
    w.string(x).string(Buffer.concat([b64u(jwk.d, 'd'), x]))
  } else if (key.algorithm === 'ssh-rsa') {
    w.mpint(b64u(jwk.n, 'n'))
      .mpint(b64u(jwk.e, 'e'))
      .mpint(b64u(jwk.d, 'd'))
      .mpint(b64u(jwk.qi, 'qi'))
      .mpint(b64u(jwk.p, 'p'))
      .mpint(b64u(jwk.q, 'q'))
  } else {
    const curve = curveByAlgorithm(key.algorithm)!
    const point = new WireReader(key.publicKey.blob)
    point.string()
    point.string()
    w.string(curve.id).string(point.string()).mpint(b64u(jwk.d, 'd'))
  }
}

const bigintFrom = (b: Buffer) => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`))
const bytesFrom = (n: bigint) => {
  const hex = n.toString(16)
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')
}

function readPrivateFields(r: WireReader): KeyObject {
  const algorithm = r.text('key type')
  let jwk: JsonWebKey
  if (algorithm === 'ssh-ed25519') {
    const x = r.string('ed25519 public key')
    const secret = r.string('ed25519 private key')
    if (x.length !== 32 || secret.length !== 64) throw new KeyFormatError('malformed ed25519 private key')
    jwk = {crv: 'Ed25519', d: toB64u(secret.subarray(0, 32)), kty: 'OKP', x: toB64u(x)}
  } else if (algorithm === 'ssh-rsa') {
    const n = r.mpint('n')
    const e = r.mpint('e')
    const d = r.mpint('d')
    const qi = r.mpint('iqmp')
    const p = r.mpint('p')
    const q = r.mpint('q')
    const dn = bigintFrom(d)
    jwk = {
      d: toB64u(d),
      dp: toB64u(bytesFrom(dn % (bigintFrom(p) - 1n))),
      dq: toB64u(bytesFrom(dn % (bigintFrom(q) - 1n))),
      e: toB64u(e),
      kty: 'RSA',
      n: toB64u(n),
      p: toB64u(p),
      q: toB64u(q),
      qi: toB64u(qi),
    }
  } else {
    const curve = curveByAlgorithm(algorithm)
    if (!curve) throw new KeyFormatError(`unsupported private key type ${algorithm}`)
    if (r.text('curve name') !== curve.id) throw new KeyFormatError('curve name does not match key type')
    const point = r.string('ECDSA point')
    const d = r.mpint('ECDSA private scalar')
    jwk = {
      crv: curve.jwk,
      d: toB64u(fixedWidth(d, curve.bytes, 'ECDSA private scalar')),
      kty: 'EC',
      x: toB64u(point.subarray(1, 1 + curve.bytes)),
      y: toB64u(point.subarray(1 + curve.bytes)),
    }
  }

  return createPrivateKey({format: 'jwk', key: jwk})
}

/** The unencrypted OpenSSH private key format (`ssh-keygen -N ''`), PEM-armoured. */
export function encodePrivateKey(key: PrivateKey): string {
  const check = Buffer.alloc(4)
  // The check integers only detect a wrong passphrase; unencrypted files still carry them.
  check.writeUInt32BE(createHash('sha256').update(key.publicKey.blob).digest().readUInt32BE(0))
  const section = new WireWriter().raw(check).raw(check)
  writePrivateFields(key, section)
  section.string(key.comment)
  let body = section.toBuffer()
  const padding = (8 - (body.length % 8)) % 8
  body = Buffer.concat([body, Buffer.from(Array.from({length: padding}, (_, i) => i + 1))])

  const file = new WireWriter()
    .raw(OPENSSH_MAGIC)
    .string('none')
    .string('none')
    .string('')
    .uint32(1)
    .string(key.publicKey.blob)
    .string(body)
    .toBuffer()
  const b64 = file.toString('base64').match(/.{1,70}/g) ?? []
  return `${PEM_BEGIN}\n${b64.join('\n')}\n${PEM_END}\n`
}

/**
 * Reads a private key: the OpenSSH format (unencrypted), or PEM/PKCS#8 that node:crypto reads.
 * A passphrase-protected key gets an error that says so rather than a parse failure.
 */
export function parsePrivateKey(text: string): PrivateKey {
  const trimmed = text.trim()
  if (!trimmed.startsWith(PEM_BEGIN)) {
    if (/ENCRYPTED/.test(trimmed)) throw new KeyFormatError('the private key is passphrase-protected; fleetctl needs an unencrypted key file')
    try {
      return privateKeyFromKeyObject(createPrivateKey(trimmed))
    } catch (error) {
      throw new KeyFormatError(`not a private key fleetctl can read: ${(error as Error).message}`)
    }
  }

  if (!trimmed.endsWith(PEM_END)) throw new KeyFormatError('OpenSSH private key is missing its END line')
  const data = Buffer.from(trimmed.slice(PEM_BEGIN.length, -PEM_END.length).replace(/\s+/g, ''), 'base64')
  try {
    if (!data.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) throw new KeyFormatError('not an openssh-key-v1 private key')
    const r = new WireReader(data.subarray(OPENSSH_MAGIC.length))
    const cipher = r.text('cipher name')
    r.text('kdf name')
    r.string('kdf options')
    if (cipher !== 'none') throw new KeyFormatError('the private key is passphrase-protected; fleetctl needs an unencrypted key file')
    if (r.uint32('key count') !== 1) throw new KeyFormatError('expected exactly one key in the file')
    const publicBlob = r.string('public key')
    const section = new WireReader(r.string('private section'))
    r.end('private key file')
    if (section.uint32() !== section.uint32()) throw new KeyFormatError('private key check bytes differ (corrupt file)')
    const keyObject = readPrivateFields(section)
    const comment = section.text('comment')
    const padding = section.rest()
    if (!padding.every((b, i) => b === i + 1)) throw new KeyFormatError('private key padding is corrupt')
    const key = privateKeyFromKeyObject(keyObject, comment)
    if (!key.publicKey.blob.equals(publicBlob)) throw new KeyFormatError('private key does not match its public key')
    return key
  } catch (error) {
    if (error instanceof WireFormatError) throw new KeyFormatError(`malformed OpenSSH private key: ${error.message}`)
    throw error
  }
}

/**
 * Signs data the SSH way and returns the signature blob (`string algorithm, string signature`).
 * RSA keys sign with rsa-sha2-512 unless told otherwise; never with SHA-1.
 */
export function signData(key: PrivateKey, data: Buffer, rsaAlgorithm: RsaSignatureAlgorithm = 'rsa-sha2-512'): Buffer {
  const w = new WireWriter()
  if (key.algorithm === 'ssh-ed25519') {
    w.string(key.algorithm).string(cryptoSign(null, data, key.keyObject))
  } else if (key.algorithm === 'ssh-rsa') {
    w.string(rsaAlgorithm).string(cryptoSign(rsaAlgorithm === 'rsa-sha2-512' ? 'sha512' : 'sha256', data, key.keyObject))
  } else {
    const curve = curveByAlgorithm(key.algorithm)!
    const rs = cryptoSign(curve.hash, data, {dsaEncoding: 'ieee-p1363', key: key.keyObject})
    const inner = new WireWriter().mpint(rs.subarray(0, curve.bytes)).mpint(rs.subarray(curve.bytes)).toBuffer()
    w.string(key.algorithm).string(inner)
  }

  return w.toBuffer()
}

export type SignatureCheck = {algorithm: string; ok: true} | {message: string; ok: false}

/**
 * Checks an SSH signature blob over data with a public key. The signature algorithm must fit the
 * key; SHA-1 RSA signatures are refused, as OpenSSH 8.8+ does.
 */
export function verifySignature(key: PublicKey, data: Buffer, signatureBlob: Buffer): SignatureCheck {
  let algorithm: string
  let signature: Buffer
  try {
    const r = new WireReader(signatureBlob)
    algorithm = r.text('signature algorithm')
    signature = r.string('signature')
    r.end('signature')
  } catch (error) {
    return {message: `malformed signature: ${(error as Error).message}`, ok: false}
  }

  try {
    let valid: boolean
    if (key.algorithm === 'ssh-ed25519') {
      if (algorithm !== 'ssh-ed25519') return {message: `signature algorithm ${algorithm} does not fit an ${key.algorithm} key`, ok: false}
      valid = signature.length === 64 && cryptoVerify(null, data, key.keyObject, signature)
    } else if (key.algorithm === 'ssh-rsa') {
      if (algorithm === 'ssh-rsa') return {message: 'SHA-1 RSA signatures (ssh-rsa) are not accepted; sign with rsa-sha2-512 or rsa-sha2-256', ok: false}
      if (algorithm !== 'rsa-sha2-256' && algorithm !== 'rsa-sha2-512') return {message: `signature algorithm ${algorithm} does not fit an RSA key`, ok: false}
      const width = Math.ceil(key.bits / 8)
      if (signature.length > width) return {message: 'RSA signature is longer than the modulus', ok: false}
      const padded = Buffer.concat([Buffer.alloc(width - signature.length), signature])
      valid = cryptoVerify(algorithm === 'rsa-sha2-512' ? 'sha512' : 'sha256', data, key.keyObject, padded)
    } else {
      const curve = curveByAlgorithm(key.algorithm)!
      if (algorithm !== key.algorithm) return {message: `signature algorithm ${algorithm} does not fit an ${key.algorithm} key`, ok: false}
      const r = new WireReader(signature)
      const rr = fixedWidth(r.mpint('r'), curve.bytes, 'r')
      const ss = fixedWidth(r.mpint('s'), curve.bytes, 's')
      r.end('ECDSA signature')
      valid = cryptoVerify(curve.hash, data, {dsaEncoding: 'ieee-p1363', key: key.keyObject}, Buffer.concat([rr, ss]))
    }

    return valid ? {algorithm, ok: true} : {message: 'signature does not verify', ok: false}
  } catch (error) {
    return {message: `signature does not verify: ${(error as Error).message}`, ok: false}
  }
}
