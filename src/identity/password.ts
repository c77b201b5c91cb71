/**
 * Passwords as scrypt hashes (node:crypto) with a per-user salt and the cost parameters recorded
 * beside the hash; checked in constant time. Checking against no user costs the same as against a
 * real one, so timing does not tell whether a name exists.
 */
import {randomBytes, scrypt, type ScryptOptions, timingSafeEqual} from 'node:crypto'

import type {PasswordHash} from './types.js'

/** 2^15 × 8 × 128 bytes = 32 MiB per check: memory-hard, about 0.1 s here. */
export const SCRYPT_PARAMETERS = {N: 2 ** 15, p: 1, r: 8, keyLength: 32}

export const MIN_PASSWORD_LENGTH = 12

function derive(password: string, salt: Buffer, parameters: {N: number; keyLength: number; p: number; r: number}): Promise<Buffer> {
  const options: ScryptOptions = {N: parameters.N, maxmem: 256 * parameters.N * parameters.r + 1024 * 1024, p: parameters.p, r: parameters.r}
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, parameters.keyLength, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16)
  const hash = await derive(password, salt, SCRYPT_PARAMETERS)
  return {algorithm: 'scrypt', ...SCRYPT_PARAMETERS, hash: hash.toString('base64'), salt: salt.toString('base64')}
}

/** A hash no password matches, checked when the user does not exist or has no password. */
let decoy: Promise<PasswordHash> | undefined
const decoyHash = () => (decoy ??= hashPassword(randomBytes(32).toString('base64')))

/** True when `password` matches; with no stored hash, does the same work and returns false. */
export async function verifyPassword(stored: PasswordHash | undefined, password: string): Promise<boolean> {
  const target = stored ?? (await decoyHash())
  const expected = Buffer.from(target.hash, 'base64')
  const actual = await derive(password, Buffer.from(target.salt, 'base64'), target)
  return expected.length === actual.length && timingSafeEqual(expected, actual) && stored !== undefined
}

/** Why a new password is not acceptable, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`
  if (password.length > 1024) return 'a password may have at most 1024 characters'
  return undefined
}
