/**
 * The records of people and what they may do. Shared by the store, the pure role evaluation, the
 * admin commands and the login service; kept in a leaf file so none of them import each other for
 * types.
 */

/** A password as a memory-hard hash, with everything needed to check it again. */
export interface PasswordHash {
  algorithm: 'scrypt'
  /** scrypt cost parameters, recorded so they can be raised later without breaking old hashes. */
  N: number
  r: number
  p: number
  keyLength: number
  /** base64 */
  salt: string
  /** base64 */
  hash: string
}

export interface TotpSecret {
  /** Base32, as authenticator apps take it. */
  secret: string
  /** The last accepted time step: a code of this step or an earlier one is refused (replay). */
  lastStep?: number
}

export interface User {
  name: string
  roles: string[]
  createdAt: string
  updatedAt: string
  password?: PasswordHash
  totp?: TotpSecret
  /** Registered public keys (OpenSSH one-line form) that may log in by signing a server nonce. */
  sshKeys: string[]
}

export interface Role {
  name: string
  description?: string
  /** Logins (certificate principals); `{{user}}` stands for the person's own name. */
  logins: string[]
  /** Glob patterns on the names users dial (e.g. `web-*`, `*.prod.example.com`). */
  hosts: string[]
  /** Groups of the enrolled inventory whose hosts this role reaches. */
  groups: string[]
  /** The longest certificate lifetime this role allows, in seconds. */
  maxTtlSeconds: number
  permitPty: boolean
  portForwarding: boolean
  agentForwarding: boolean
  /** Built-in roles cannot be changed or removed. */
  builtin?: boolean
}

/** A lock refuses a person (or one certificate) until it is lifted or runs out. */
export interface Lock {
  id: string
  user?: string
  certSerial?: string
  keyId?: string
  reason?: string
  createdAt: string
  /** ISO time; none means until unlocked. */
  until?: string
}

/** A one-time enrolment token, stored only as its hash. */
export interface EnrolmentToken {
  /** sha256 of the token, hex. */
  id: string
  user: string
  createdAt: string
  expiresAt: string
}
