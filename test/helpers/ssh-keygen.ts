/** Keys and certificates made by the real ssh-keygen at test time (never committed). */
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {execa} from 'execa'

export type KeyKind = 'ecdsa' | 'ed25519' | 'rsa'

export interface KeyPair {
  /** Path of the private key; the public key is `${path}.pub`, a certificate `${path}-cert.pub`. */
  path: string
  publicLine: string
}

/** ssh-keygen a key pair without passphrase. */
export async function keygen(dir: string, name: string, kind: KeyKind): Promise<KeyPair> {
  const path = join(dir, name)
  const bits = kind === 'rsa' ? ['-b', '3072'] : kind === 'ecdsa' ? ['-b', '256'] : []
  await execa('ssh-keygen', ['-q', '-t', kind, ...bits, '-N', '', '-C', name, '-f', path], {stdin: 'ignore'})
  return {path, publicLine: (await readFile(`${path}.pub`, 'utf8')).trim()}
}

export interface CertOptions {
  /** A host certificate (-h) instead of a user certificate. */
  host?: boolean
  identity?: string
  principals: string[]
  /** ssh-keygen -V interval, e.g. '-5m:+1h'. */
  validity?: string
}

/** `ssh-keygen -s ca` for `key`; returns the certificate line written to `${key.path}-cert.pub`. */
export async function signCertificate(ca: KeyPair, key: KeyPair, options: CertOptions): Promise<string> {
  const args = ['-q', '-s', ca.path, '-I', options.identity ?? 'test', '-n', options.principals.join(',')]
  if (options.host) args.push('-h')
  if (options.validity) args.push('-V', options.validity)
  // An RSA CA signs with rsa-sha2-512: OpenSSH 8.8+ refuses SHA-1 certificate signatures.
  if (ca.publicLine.startsWith('ssh-rsa ')) args.push('-t', 'rsa-sha2-512')
  await execa('ssh-keygen', [...args, `${key.path}.pub`], {stdin: 'ignore'})
  return (await readFile(`${key.path}-cert.pub`, 'utf8')).trim()
}

/** The base64 blob of an OpenSSH public key or certificate line. */
export function lineBlob(line: string): Buffer {
  return Buffer.from(line.split(/\s+/)[1] ?? '', 'base64')
}
