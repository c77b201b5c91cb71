import sshpk from 'sshpk'

import {KeyFormatError, parsePublicKey, parsePublicKeyBlob, type PublicKey} from '../certs/index.js'

/** The public key file formats fleetctl reads where it asks for a public key. */
export type PublicKeyFileFormat = 'openssh' | 'pem' | 'rfc4716'

export interface ForeignPublicKey {
  comment: string
  format: PublicKeyFileFormat
  key: PublicKey
}

const RFC4716_BEGIN = /^---- BEGIN SSH2 PUBLIC KEY ----/
const PEM_PUBLIC_BEGIN = /^-----BEGIN (?:RSA |EC )?PUBLIC KEY-----/

/**
 * Reads a public key as people hand them over: the OpenSSH one-line form (fleetctl's own parser),
 * RFC 4716 (`ssh-keygen -e`, PuTTY's "Save public key"), or PEM (SubjectPublicKeyInfo, or PKCS#1
 * for RSA). sshpk reads the last two; the key itself is re-read from its SSH wire form by
 * fleetctl's own code, so every key is checked the same way whatever file it came in.
 */
export function readForeignPublicKey(text: string): ForeignPublicKey {
  const trimmed = text.trim()
  if (RFC4716_BEGIN.test(trimmed)) return {comment: rfc4716Comment(trimmed), format: 'rfc4716', key: viaSshpk(trimmed, 'RFC 4716')}
  if (PEM_PUBLIC_BEGIN.test(trimmed)) return {comment: '', format: 'pem', key: viaSshpk(trimmed, 'PEM')}
  if (/^(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-)/i.test(trimmed)) {
    throw new KeyFormatError('this is a private key; give its public key (ssh-keygen -y -f KEY, or puttygen KEY.ppk -O public-openssh)')
  }

  return {...parsePublicKey(text), format: 'openssh'}
}

function viaSshpk(text: string, what: string): PublicKey {
  let parsed: sshpk.Key
  try {
    parsed = sshpk.parseKey(text, 'auto')
  } catch (error) {
    throw new KeyFormatError(`not a ${what} public key fleetctl can read: ${(error as Error).message.replace(/^Failed to parse \S+ as a valid \S+ format key: /, '')}`)
  }

  return parsePublicKeyBlob(parsed.toBuffer('rfc4253'))
}

/** The Comment header of an RFC 4716 key (quoted or not, continued lines joined). */
function rfc4716Comment(text: string): string {
  const headers = text.split(/\r?\n/).slice(1).join('\n').replaceAll(/\\\r?\n/g, '')
  const value = /^Comment: *(.*)$/im.exec(headers)?.[1]?.trim() ?? ''
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value
}
