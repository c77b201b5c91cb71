/**
 * OpenSSH's SSHSIG signatures (PROTOCOL.sshsig), as `ssh-keygen -Y sign` makes them with a key
 * file, an ssh-agent or a FIDO2 key. Bots prove they hold a registered key this way, so every
 * kind of key ssh-keygen can sign with works without fleetctl touching the private key.
 */
import {createHash} from 'node:crypto'

import {type PublicKey, verifySignature} from '../certs/index.js'
import {WireReader, WireWriter} from '../certs/wire.js'

const MAGIC = Buffer.from('SSHSIG')
const ARMOR = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/

export interface SshSignature {
  publicKeyBlob: Buffer
  namespace: string
  hashAlgorithm: 'sha256' | 'sha512'
  signature: Buffer
}

export function parseSshSignature(armored: string): SshSignature {
  const match = ARMOR.exec(armored)
  if (!match) throw new Error('not an SSH signature (-----BEGIN SSH SIGNATURE-----)')
  const bytes = Buffer.from(match[1].replaceAll(/\s+/g, ''), 'base64')
  if (!bytes.subarray(0, 6).equals(MAGIC)) throw new Error('not an SSHSIG blob')
  const blob = new WireReader(bytes.subarray(6))
  const version = blob.uint32('version')
  if (version !== 1) throw new Error(`SSHSIG version ${version} is not supported`)
  const publicKeyBlob = blob.string('public key')
  const namespace = blob.text('namespace')
  blob.string('reserved')
  const hashAlgorithm = blob.text('hash algorithm')
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') throw new Error(`SSHSIG hash ${hashAlgorithm} is not supported`)
  const signature = blob.string('signature')
  blob.end('SSHSIG')
  return {hashAlgorithm, namespace, publicKeyBlob, signature}
}

/** Whether `armored` is `key`'s signature over `message` in `namespace`. */
export function verifySshSignature(key: PublicKey, namespace: string, message: Buffer, armored: string): boolean {
  let parsed: SshSignature
  try {
    parsed = parseSshSignature(armored)
  } catch {
    return false
  }
  if (!parsed.publicKeyBlob.equals(key.blob) || parsed.namespace !== namespace) return false
  const signed = Buffer.concat([
    MAGIC,
    new WireWriter().string(namespace).string('').string(parsed.hashAlgorithm).string(createHash(parsed.hashAlgorithm).update(message).digest()).toBuffer(),
  ])
  return verifySignature(key, signed, parsed.signature).ok
}
