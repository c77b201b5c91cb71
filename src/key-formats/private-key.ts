import {createPrivateKey, randomBytes} from 'node:crypto'

import type Sshpk from 'sshpk'

import {
  KeyFormatError,
  parsePrivateKey,
  type PrivateKey,
  privateKeyFromKeyObject,
  signData,
  verifySignature,
} from '../certs/index.js'
import {sshpk} from './sshpk.js'

/** The private key file formats `ca import` reads. */
export type PrivateKeyFileFormat = 'openssh' | 'pem' | 'ppk'

/** A key file that needs a passphrase (`missing`) or did not open with the one given (`wrong`). */
export class KeyPassphraseError extends KeyFormatError {
  constructor(
    message: string,
    readonly reason: 'missing' | 'wrong',
  ) {
    super(message)
    this.name = 'KeyPassphraseError'
  }
}

export interface ForeignPrivateKey {
  /** Whether the file was passphrase-protected. */
  encrypted: boolean
  format: PrivateKeyFileFormat
  key: PrivateKey
}

const OPENSSH_BEGIN = /^-----BEGIN OPENSSH PRIVATE KEY-----/
const PEM_PRIVATE_BEGIN = /^-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/
const PPK_HEADER = /^PuTTY-User-Key-File-(\d+):/i

/**
 * Reads a private key in the formats people keep CA keys in: OpenSSH (passphrase-protected with
 * bcrypt-pbkdf too), PEM PKCS#1/SEC1/PKCS#8 (encrypted or not) and PuTTY PPK. sshpk reads the
 * OpenSSH and PuTTY files, node:crypto the PEM ones; either way the key comes out as fleetctl's own
 * PrivateKey, checked to sign what its public half verifies.
 */
export function readForeignPrivateKey(text: string, passphrase?: string): ForeignPrivateKey {
  const trimmed = text.trim()
  let result: ForeignPrivateKey
  if (OPENSSH_BEGIN.test(trimmed)) result = readWithSshpk(trimmed, 'openssh', passphrase)
  else if (PEM_PRIVATE_BEGIN.test(trimmed)) result = readPem(trimmed, passphrase)
  else if (PPK_HEADER.test(trimmed)) result = readPpk(trimmed, passphrase)
  else throw new KeyFormatError(unknownFormatMessage(trimmed))

  checkKeyPair(result.key, result.encrypted)
  return result
}

function unknownFormatMessage(text: string): string {
  if (/^(ssh-|ecdsa-|sk-)/.test(text) || /^-{4,5} ?BEGIN (SSH2 |RSA |EC )?PUBLIC KEY/.test(text)) {
    return 'this is a public key; the CA\'s private key is needed'
  }

  return 'not a private key fleetctl can read: expected an OpenSSH, PEM (PKCS#1, SEC1, PKCS#8) or PuTTY PPK private key'
}

/**
 * node:crypto reads every PEM private key and reports a wrong passphrase as an error. (sshpk's PEM
 * decryption throws a wrong passphrase from a stream event handler, out of reach of any catch.)
 */
function readPem(text: string, passphrase?: string): ForeignPrivateKey {
  const encrypted = /^Proc-Type: *4,ENCRYPTED/m.test(text) || text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')
  if (encrypted && passphrase === undefined) throw new KeyPassphraseError('the PEM private key is passphrase-protected', 'missing')
  let keyObject
  try {
    keyObject = createPrivateKey({format: 'pem', key: text, passphrase: encrypted ? passphrase : undefined})
  } catch (error) {
    if (encrypted) throw new KeyPassphraseError('the passphrase does not open this PEM private key (wrong passphrase, or a damaged file)', 'wrong')
    throw new KeyFormatError(`not a PEM private key fleetctl can read: ${(error as Error).message}`)
  }

  if (!['ec', 'ed25519', 'rsa'].includes(keyObject.asymmetricKeyType ?? '')) {
    throw new KeyFormatError(`${keyObject.asymmetricKeyType?.toUpperCase()} keys are not supported: a CA key is ed25519, ECDSA or RSA`)
  }

  return {encrypted, format: 'pem', key: privateKeyFromKeyObject(keyObject)}
}

function readPpk(text: string, passphrase?: string): ForeignPrivateKey {
  const version = Number(PPK_HEADER.exec(text)![1])
  const encryption = /^Encryption: *(\S+)/im.exec(text)?.[1] ?? 'none'
  const encrypted = encryption !== 'none'
  if (encrypted && version >= 3) {
    // PPK v3 encrypts with Argon2, which sshpk does not implement.
    throw new KeyFormatError('sshpk cannot read passphrase-protected PuTTY PPK version 3 files (Argon2)')
  }

  return readWithSshpk(text, 'ppk', passphrase)
}

const isSshpkError = (error: unknown, name: string) => error instanceof Error && error.name === name

/** OpenSSH and PuTTY files through sshpk, handed over as an unencrypted OpenSSH key that fleetctl's own parser reads. */
function readWithSshpk(text: string, format: 'openssh' | 'ppk', passphrase?: string): ForeignPrivateKey {
  const what = format === 'openssh' ? 'OpenSSH' : 'PuTTY PPK'
  let parsed: Sshpk.PrivateKey
  try {
    // sshpk reads PPK as 'putty'; its type declarations do not list that name.
    parsed = sshpk().parsePrivateKey(text, (format === 'openssh' ? 'ssh-private' : 'putty') as 'ssh-private', {passphrase})
  } catch (error) {
    if (isSshpkError(error, 'KeyEncryptedError')) throw new KeyPassphraseError(`the ${what} private key is passphrase-protected`, 'missing')
    const message = (error as Error).message
    if (/Incorrect passphrase/.test(message) || (format === 'ppk' && passphrase !== undefined && /aes256-cbc/i.test(text))) {
      throw new KeyPassphraseError(`the passphrase does not open this ${what} private key (wrong passphrase, or a damaged file)`, 'wrong')
    }

    throw new KeyFormatError(`not an ${what} private key fleetctl can read: ${message.replace(/^Failed to parse \S+ as a valid \S+ format key: /, '')}`)
  }

  const encrypted = format === 'openssh' ? !/^none$/.test(opensshCipher(text)) : !/^Encryption: *none/im.test(text)
  let key: PrivateKey
  try {
    key = parsePrivateKey(parsed.toString('ssh-private'))
  } catch (error) {
    // Numbers that are no key at all: a PPK v2 opened with a wrong passphrase, or a damaged file.
    if (encrypted) throw new KeyPassphraseError(`the passphrase does not open this ${what} private key (wrong passphrase, or a damaged file)`, 'wrong')
    if (error instanceof KeyFormatError) throw error
    throw new KeyFormatError(`not an ${what} private key fleetctl can read: ${(error as Error).message}`)
  }

  return {encrypted, format, key: {...key, comment: parsed.comment && parsed.comment !== '(unnamed)' ? parsed.comment : ''}}
}

/** The cipher name at the start of an openssh-key-v1 file (`none` when unencrypted). */
function opensshCipher(text: string): string {
  const data = Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  const magic = 'openssh-key-v1\0'.length
  if (data.length < magic + 4) return 'none'
  const length = data.readUInt32BE(magic)
  return data.subarray(magic + 4, magic + 4 + length).toString('latin1')
}

/**
 * A key whose private half does not sign for its public half is refused: PPK v2 decryption has no
 * check of its own, so a wrong passphrase can yield plausible but useless numbers.
 */
function checkKeyPair(key: PrivateKey, encrypted: boolean): void {
  const challenge = randomBytes(32)
  let verified = false
  try {
    verified = verifySignature(key.publicKey, challenge, signData(key, challenge)).ok
  } catch {
    verified = false
  }

  if (verified) return
  if (encrypted) throw new KeyPassphraseError('the private key does not match its public key (wrong passphrase, or a damaged file)', 'wrong')
  throw new KeyFormatError('the private key does not match its public key (damaged file)')
}
