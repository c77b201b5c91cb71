import type Sshpk from 'sshpk'

import {KeyFormatError, parsePublicKey, parsePublicKeyBlob, type PublicKey} from '../certs/index.js'
import {sshpk} from './sshpk.js'

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
 * for RSA; read by sshpk). Whatever the file, the key itself is re-read from its SSH wire form by
 * fleetctl's own code, so every key is checked the same way.
 */
export function readForeignPublicKey(text: string): ForeignPublicKey {
  const trimmed = text.trim()
  if (RFC4716_BEGIN.test(trimmed)) return readRfc4716(trimmed)
  if (PEM_PUBLIC_BEGIN.test(trimmed)) return {comment: '', format: 'pem', key: readPem(trimmed)}
  if (/^(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-)/i.test(trimmed)) {
    throw new KeyFormatError('this is a private key; give its public key (ssh-keygen -y -f KEY, or puttygen KEY.ppk -O public-openssh)')
  }

  return {...parsePublicKey(text), format: 'openssh'}
}

function readPem(text: string): PublicKey {
  let parsed: Sshpk.Key
  try {
    parsed = sshpk().parseKey(text, 'pem')
  } catch (error) {
    throw new KeyFormatError(`not a PEM public key fleetctl can read: ${(error as Error).message.replace(/^Failed to parse \S+ as a valid \S+ format key: /, '')}`)
  }

  return parsePublicKeyBlob(parsed.toBuffer('rfc4253'))
}

/**
 * RFC 4716: header lines (`Name: value`, continued with a trailing backslash), then the base64 of
 * the key's wire form. Read here rather than by sshpk, which drops the comment and stops at a
 * continued header line.
 */
function readRfc4716(text: string): ForeignPublicKey {
  const lines = text.split(/\r?\n/).map((line) => line.trim())
  const end = lines.findIndex((line) => /^---- END SSH2 PUBLIC KEY ----$/.test(line))
  if (end < 0) throw new KeyFormatError('RFC 4716 public key is missing its END line')
  const inside = lines.slice(1, end).join('\n').replaceAll(/\\\n/g, '').split('\n')
  const headers = inside.filter((line) => /^[\w-]+:/.test(line))
  const body = inside.filter((line) => !/^[\w-]+:/.test(line)).join('')
  if (!/^[A-Za-z0-9+/]+=*$/.test(body)) throw new KeyFormatError('RFC 4716 public key body is not base64')
  const comment = /^Comment: *(.*)$/i.exec(headers.find((line) => /^Comment:/i.test(line)) ?? '')?.[1] ?? ''
  const unquoted = comment.length >= 2 && comment.startsWith('"') && comment.endsWith('"') ? comment.slice(1, -1) : comment
  return {comment: unquoted, format: 'rfc4716', key: parsePublicKeyBlob(Buffer.from(body, 'base64'))}
}
