import {randomBytes} from 'node:crypto'
import {isIP} from 'node:net'

import {
  type KeyAlgorithm,
  KeyFormatError,
  MIN_RSA_BITS_ACCEPTED,
  type PrivateKey,
  type PublicKey,
  parsePublicKeyBlob,
  readPublicKeyFields,
  signData,
  verifySignature,
} from './keys.js'
import {WireFormatError, WireReader, WireWriter} from './wire.js'

/** OpenSSH certificates as specified in PROTOCOL.certkeys. */

export type CertificateType = 'host' | 'user'

const TYPE_CODE: Record<CertificateType, number> = {host: 2, user: 1}

/** valid-before for a certificate that never expires (`ssh-keygen` prints "forever"). */
export const FOREVER = 0xffff_ffff_ffff_ffffn

export const KNOWN_CRITICAL_OPTIONS = ['force-command', 'source-address', 'verify-required'] as const
export const KNOWN_EXTENSIONS = [
  'no-touch-required',
  'permit-X11-forwarding',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'permit-user-rc',
] as const

/** What `ssh-keygen -s` grants a user certificate by default. */
export const DEFAULT_USER_EXTENSIONS: Record<string, string> = {
  'permit-X11-forwarding': '',
  'permit-agent-forwarding': '',
  'permit-port-forwarding': '',
  'permit-pty': '',
  'permit-user-rc': '',
}

/** Options whose value is a string; all others are flags with empty data. */
const VALUED_OPTIONS = new Set(['force-command', 'source-address'])

export interface CertificateRequest {
  criticalOptions?: Record<string, string>
  extensions?: Record<string, string>
  keyId: string
  /** 32 random bytes unless given (tests pass one to get reproducible output). */
  nonce?: Buffer
  principals: string[]
  publicKey: PublicKey
  serial: bigint
  type: CertificateType
  /** Seconds since the epoch; use FOREVER for no expiry. */
  validAfter: bigint
  validBefore: bigint
}

export interface Certificate {
  /** The certificate key type, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  readonly algorithm: string
  /** The whole wire encoding, as base64 in a `-cert.pub` line. */
  readonly blob: Buffer
  readonly criticalOptions: Record<string, string>
  readonly extensions: Record<string, string>
  readonly keyId: string
  readonly nonce: Buffer
  readonly principals: string[]
  readonly publicKey: PublicKey
  readonly serial: bigint
  /** The SSH signature blob (`string algorithm, string signature`). */
  readonly signature: Buffer
  readonly signatureKey: PublicKey
  /** The bytes the signature covers: everything before the signature field. */
  readonly signedData: Buffer
  readonly type: CertificateType
  readonly validAfter: bigint
  readonly validBefore: bigint
}

export class CertificateRequestError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CertificateRequestError'
  }
}

export class CertificateFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CertificateFormatError'
  }
}

export const certificateAlgorithm = (key: KeyAlgorithm) => `${key}-cert-v01@openssh.com`

export function isCertificateAlgorithm(name: string): boolean {
  return name.endsWith('-cert-v01@openssh.com')
}

/** Byte order of names, as OpenSSH's strcmp sorts them. */
const byName = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

// Control characters or whitespace would break sshd's logs, principals files and our own output.
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u001f\u007f]/

function checkSourceAddress(value: string): void {
  for (const entry of value.split(',')) {
    const [address, prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const max = family === 4 ? 32 : 128
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= max)
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new CertificateRequestError(`source-address "${entry}" is not an address or CIDR block (e.g. 10.0.0.0/8,192.0.2.7)`)
    }
  }
}

/**
 * Rejects a request that OpenSSH would refuse, or that would grant more than was meant,
 * before anything is signed.
 */
export function checkCertificateRequest(request: CertificateRequest): void {
  const {criticalOptions = {}, extensions = {}, keyId, principals, publicKey, serial, type, validAfter, validBefore} = request
  if (!keyId || UNSAFE_TEXT.test(keyId)) throw new CertificateRequestError('key id must be non-empty text without control characters')
  if (principals.length === 0) {
    throw new CertificateRequestError(`a ${type} certificate needs at least one principal (an empty list would be valid for every ${type === 'user' ? 'login' : 'host'})`)
  }

  for (const principal of principals) {
    if (!principal || UNSAFE_TEXT.test(principal) || /[\s,]/.test(principal)) {
      throw new CertificateRequestError(`principal "${principal}" must be non-empty, without spaces, commas or control characters`)
    }
  }

  if (new Set(principals).size !== principals.length) throw new CertificateRequestError('principals must not repeat')
  if (serial < 0n || serial > FOREVER) throw new CertificateRequestError('serial must fit in 64 bits')
  if (validAfter < 0n || validBefore > FOREVER || validAfter >= validBefore) {
    throw new CertificateRequestError('valid-after must be before valid-before')
  }

  if (publicKey.algorithm === 'ssh-rsa' && publicKey.bits < MIN_RSA_BITS_ACCEPTED) {
    throw new CertificateRequestError(`RSA keys under ${MIN_RSA_BITS_ACCEPTED} bits are not certified (this one has ${publicKey.bits})`)
  }

  if (type === 'host' && (Object.keys(criticalOptions).length > 0 || Object.keys(extensions).length > 0)) {
    throw new CertificateRequestError('host certificates carry no critical options or extensions')
  }

  for (const [name, value] of Object.entries(criticalOptions)) {
    if (!(KNOWN_CRITICAL_OPTIONS as readonly string[]).includes(name)) {
      throw new CertificateRequestError(`unknown critical option "${name}" (known: ${KNOWN_CRITICAL_OPTIONS.join(', ')})`)
    }

    if (VALUED_OPTIONS.has(name) && !value) throw new CertificateRequestError(`critical option ${name} needs a value`)
    if (!VALUED_OPTIONS.has(name) && value) throw new CertificateRequestError(`critical option ${name} is a flag and takes no value`)
    if (name === 'source-address') checkSourceAddress(value)
  }

  for (const [name, value] of Object.entries(extensions)) {
    const known = (KNOWN_EXTENSIONS as readonly string[]).includes(name)
    if (!known && !name.includes('@')) {
      throw new CertificateRequestError(`unknown extension "${name}" (known: ${KNOWN_EXTENSIONS.join(', ')}; vendor extensions look like name@domain)`)
    }

    if (known && value) throw new CertificateRequestError(`extension ${name} is a flag and takes no value`)
  }
}

function encodeOptions(options: Record<string, string>): Buffer {
  const w = new WireWriter()
  for (const name of Object.keys(options).sort(byName)) {
    const value = options[name]
    w.string(name)
    w.string(VALUED_OPTIONS.has(name) || value ? new WireWriter().string(value).toBuffer() : Buffer.alloc(0))
  }

  return w.toBuffer()
}

function decodeOptions(data: Buffer, what: string): Record<string, string> {
  const r = new WireReader(data)
  const options: Record<string, string> = {}
  let previous: string | undefined
  while (r.remaining > 0) {
    const name = r.text(`${what} name`)
    // OpenSSH refuses options out of order or repeated; so do we, so one certificate has one meaning.
    if (previous !== undefined && byName(previous, name) >= 0) throw new CertificateFormatError(`${what} are not sorted or repeat "${name}"`)
    previous = name
    const body = r.string(`${what} data`)
    if (body.length === 0) {
      options[name] = ''
    } else {
      const inner = new WireReader(body)
      options[name] = inner.text(`${what} value`)
      inner.end(`${what} value`)
    }
  }

  return options
}

function encodeTBS(request: CertificateRequest & {nonce: Buffer}, signatureKey: PublicKey): Buffer {
  const keyFields = new WireReader(request.publicKey.blob)
  keyFields.string()
  const principals = new WireWriter()
  for (const p of request.principals) principals.string(p)
  return new WireWriter()
    .string(certificateAlgorithm(request.publicKey.algorithm))
    .string(request.nonce)
    .raw(keyFields.rest())
    .uint64(request.serial)
    .uint32(TYPE_CODE[request.type])
    .string(request.keyId)
    .string(principals.toBuffer())
    .uint64(request.validAfter)
    .uint64(request.validBefore)
    .string(encodeOptions(request.criticalOptions ?? {}))
    .string(encodeOptions(request.extensions ?? {}))
    .string('')
    .string(signatureKey.blob)
    .toBuffer()
}

/** Checks the request, then signs it with the CA key (RSA CAs sign with rsa-sha2-512). */
export function signCertificate(request: CertificateRequest, ca: PrivateKey): Certificate {
  checkCertificateRequest(request)
  if (ca.algorithm === 'ssh-rsa' && ca.publicKey.bits < MIN_RSA_BITS_ACCEPTED) throw new CertificateRequestError('the RSA CA key is too short to sign with')
  const nonce = request.nonce ?? randomBytes(32)
  const signedData = encodeTBS({...request, nonce}, ca.publicKey)
  const signature = signData(ca, signedData, 'rsa-sha2-512')
  return parseCertificate(new WireWriter().raw(signedData).string(signature).toBuffer())
}

/** Parses a certificate's wire encoding. Structure only: trust is verifyCertificate's job. */
export function parseCertificate(blob: Buffer): Certificate {
  try {
    const r = new WireReader(blob)
    const algorithm = r.text('certificate type')
    const base = algorithm.replace(/-cert-v01@openssh\.com$/, '')
    if (base === algorithm) throw new CertificateFormatError(`${algorithm} is not an OpenSSH certificate type`)
    const nonce = r.string('nonce')
    const publicKey = readPublicKeyFields(base, r)
    const serial = r.uint64('serial')
    const typeCode = r.uint32('certificate type code')
    const type = typeCode === 1 ? 'user' : typeCode === 2 ? 'host' : undefined
    if (!type) throw new CertificateFormatError(`unknown certificate type code ${typeCode}`)
    const keyId = r.text('key id')
    const principalList = new WireReader(r.string('principals'))
    const principals: string[] = []
    while (principalList.remaining > 0) principals.push(principalList.text('principal'))
    const validAfter = r.uint64('valid after')
    const validBefore = r.uint64('valid before')
    const criticalOptions = decodeOptions(r.string('critical options'), 'critical options')
    const extensions = decodeOptions(r.string('extensions'), 'extensions')
    r.string('reserved')
    const signatureKeyBlob = r.string('signature key')
    const signedData = blob.subarray(0, r.position)
    const signature = r.string('signature')
    r.end('certificate')
    const signatureKey = parsePublicKeyBlob(signatureKeyBlob)
    return {
      algorithm,
      blob,
      criticalOptions,
      extensions,
      keyId,
      nonce,
      principals,
      publicKey,
      serial,
      signature,
      signatureKey,
      signedData,
      type,
      validAfter,
      validBefore,
    }
  } catch (error) {
    if (error instanceof WireFormatError || error instanceof KeyFormatError) throw new CertificateFormatError(`malformed certificate: ${error.message}`)
    throw error
  }
}

/** `ssh-ed25519-cert-v01@openssh.com AAAA... comment`, as in a `-cert.pub` file. */
export function formatCertificate(certificate: Certificate, comment = ''): string {
  return `${certificate.algorithm} ${certificate.blob.toString('base64')}${comment ? ` ${comment}` : ''}`
}

/** Parses a `-cert.pub` line. */
export function parseCertificateLine(text: string): {certificate: Certificate; comment: string} {
  const [type, data, ...comment] = text.trim().split(/\s+/)
  if (!data || !isCertificateAlgorithm(type)) throw new CertificateFormatError('not an OpenSSH certificate line (expected "<type>-cert-v01@openssh.com <base64> [comment]")')
  const certificate = parseCertificate(Buffer.from(data, 'base64'))
  if (certificate.algorithm !== type) throw new CertificateFormatError(`certificate line says ${type} but the certificate is ${certificate.algorithm}`)
  return {certificate, comment: comment.join(' ')}
}

export type RejectionReason =
  | 'bad-signature'
  | 'expired'
  | 'malformed'
  | 'not-yet-valid'
  | 'principal-not-allowed'
  | 'unknown-critical-option'
  | 'wrong-ca'
  | 'wrong-type'

export type Verification =
  | {certificate: Certificate; ok: true}
  | {certificate?: Certificate; message: string; ok: false; reason: RejectionReason}

export interface VerificationPolicy {
  /** Critical options the caller knows how to enforce; any other one fails verification. */
  acceptedCriticalOptions?: readonly string[]
  caKeys: readonly PublicKey[]
  /** Seconds since the epoch; defaults to the current time. */
  now?: number
  /** The principal the certificate must name (login for user certs, dialed name for host certs). */
  principal?: string
  /** Clock skew allowed at both ends of the validity window, in seconds (default 60). */
  skewSeconds?: number
  type: CertificateType
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 60

const formatInstant = (seconds: bigint) => (seconds >= FOREVER ? 'forever' : new Date(Number(seconds) * 1000).toISOString())

/** Decides whether to trust a certificate and, when not, says why in words and as a code. */
export function verifyCertificate(input: Buffer | Certificate, policy: VerificationPolicy): Verification {
  let certificate: Certificate
  try {
    certificate = Buffer.isBuffer(input) ? parseCertificate(input) : input
  } catch (error) {
    return {message: (error as Error).message, ok: false, reason: 'malformed'}
  }

  const reject = (reason: RejectionReason, message: string): Verification => ({certificate, message, ok: false, reason})

  if (!policy.caKeys.some((ca) => ca.blob.equals(certificate.signatureKey.blob))) {
    return reject('wrong-ca', 'certificate is signed by a CA that is not trusted')
  }

  const signature = verifySignature(certificate.signatureKey, certificate.signedData, certificate.signature)
  if (!signature.ok) return reject('bad-signature', `certificate signature is invalid: ${signature.message}`)

  if (certificate.type !== policy.type) return reject('wrong-type', `expected a ${policy.type} certificate, got a ${certificate.type} certificate`)

  const skew = BigInt(policy.skewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS)
  const now = BigInt(Math.floor(policy.now ?? Date.now() / 1000))
  if (now + skew < certificate.validAfter) return reject('not-yet-valid', `certificate is not valid until ${formatInstant(certificate.validAfter)}`)
  if (certificate.validBefore !== FOREVER && now - skew >= certificate.validBefore) {
    return reject('expired', `certificate expired at ${formatInstant(certificate.validBefore)}`)
  }

  if (policy.principal !== undefined && !certificate.principals.includes(policy.principal)) {
    return reject('principal-not-allowed', `certificate principals [${certificate.principals.join(', ')}] do not include "${policy.principal}"`)
  }

  const accepted = policy.acceptedCriticalOptions ?? KNOWN_CRITICAL_OPTIONS
  const unknown = Object.keys(certificate.criticalOptions).filter((name) => !accepted.includes(name))
  if (unknown.length > 0) return reject('unknown-critical-option', `certificate has critical options this server does not enforce: ${unknown.join(', ')}`)

  return {certificate, ok: true}
}
