/**
 * What the `users` and `roles` commands do on the proxy's machine. Views returned from here never
 * hold a secret (password hash, TOTP seed, token); the one exception is the enrolment token handed
 * back once by `addUser`.
 */
import {X509Certificate} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {hostname} from 'node:os'

import {FleetError} from '../base/errors.js'
import {fingerprint, parsePublicKey} from '../certs/index.js'
import {webCertificate} from '../proxy/web.js'
import {isBuiltinRole, resolveRoles, BUILTIN_ROLES} from './roles.js'
import {checkName, type IdentityStore} from './store.js'
import {encodeTicket, formatFingerprint, newTokenSecret, tokenId} from './token.js'
import type {Role, User} from './types.js'

export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600

export interface UserView {
  name: string
  roles: string[]
  createdAt: string
  updatedAt: string
  /** A password has been set (enrolment done). */
  enrolled: boolean
  totp: boolean
  /** Fingerprints of the registered SSH keys. */
  sshKeys: string[]
}

export function userView(user: User): UserView {
  return {
    createdAt: user.createdAt,
    enrolled: user.password !== undefined,
    name: user.name,
    roles: user.roles,
    sshKeys: user.sshKeys.map((line) => fingerprint(parsePublicKey(line).key)),
    totp: user.totp !== undefined,
    updatedAt: user.updatedAt,
  }
}

/**
 * The SHA-256 fingerprint (hex) of the proxy's web certificate, which enrolment tokens pin: the
 * given file, or the proxy's own self-signed one in the state directory (made now, as
 * `proxy start` would, when users are added before the proxy first runs).
 */
export async function webCertificateFingerprint(home: string, certPath: string | undefined, webAddress: string): Promise<string> {
  let pem: Buffer
  if (certPath) {
    try {
      pem = await readFile(certPath)
    } catch {
      throw new FleetError(`cannot read the web certificate ${certPath}`, {code: 'web_cert_missing', exit: 'missingState', suggestions: ['Pass --tls-cert the PEM certificate the proxy serves (its --tls-cert).']})
    }
  } else {
    const host = webAddress.replace(/^\[/, '').replace(/\]?(:\d+)?$/, '')
    pem = (await webCertificate(home, [...new Set([host, hostname(), 'localhost', '127.0.0.1'])], {})).cert
  }
  return new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()
}

async function checkRoles(store: IdentityStore, names: string[]): Promise<void> {
  if (names.length === 0) throw new FleetError('a user needs at least one role', {code: 'roles_missing', exit: 'usage', suggestions: ['Pass --roles, e.g. --roles dev; see `fleetctl roles ls`.']})
  const {missing} = resolveRoles(names, await store.listRoles())
  if (missing.length > 0) {
    throw new FleetError(`no such role: ${missing.join(', ')}`, {code: 'role_missing', exit: 'usage', suggestions: ['See `fleetctl roles ls`, or add it with `fleetctl roles add --file role.yaml`.']})
  }
}

function checkSshKeys(lines: string[]): string[] {
  return lines.map((line) => {
    try {
      parsePublicKey(line)
      return line.trim()
    } catch (error) {
      throw new FleetError(`--ssh-key: ${(error as Error).message}`, {code: 'bad_ssh_key', exit: 'usage', suggestions: ['Give the one-line public key, e.g. --ssh-key "$(cat ~/.ssh/ci.pub)".']})
    }
  })
}

export interface AddUserOptions {
  name: string
  roles: string[]
  sshKeys: string[]
  /** host:port of the proxy's HTTPS listener, written into the token. */
  webAddress: string
  webCertPath?: string
  tokenTtlSeconds?: number
  home: string
  now?: Date
}

export interface AddedUser {
  user: UserView
  /** The enrolment token (only for people without an SSH key): shown once, never stored in clear. */
  token?: string
  tokenExpiresAt?: string
  /** What the new person runs. */
  loginCommand: string
  tlsFingerprint: string
}

export async function addUser(store: IdentityStore, options: AddUserOptions): Promise<AddedUser> {
  checkName('user', options.name)
  await checkRoles(store, options.roles)
  const sshKeys = checkSshKeys(options.sshKeys)
  const pin = await webCertificateFingerprint(options.home, options.webCertPath, options.webAddress)
  const now = options.now ?? new Date()
  const user: User = {createdAt: now.toISOString(), name: options.name, roles: options.roles, sshKeys, updatedAt: now.toISOString()}
  await store.createUser(user)
  const fingerprintText = formatFingerprint(pin)
  if (sshKeys.length > 0) {
    return {
      loginCommand: `fleetctl login --proxy ${options.webAddress} --user ${user.name} --identity <private key> --tls-fingerprint ${fingerprintText}`,
      tlsFingerprint: fingerprintText,
      user: userView(user),
    }
  }
  const issued = await issueEnrolmentToken(store, {...options, now})
  return {...issued, tlsFingerprint: fingerprintText, user: userView(user)}
}

/** A fresh one-time token for a user (replacing any earlier one). */
export async function issueEnrolmentToken(store: IdentityStore, options: {home: string; name: string; now?: Date; tokenTtlSeconds?: number; webAddress: string; webCertPath?: string}): Promise<{loginCommand: string; token: string; tokenExpiresAt: string}> {
  const now = options.now ?? new Date()
  const pin = await webCertificateFingerprint(options.home, options.webCertPath, options.webAddress)
  const secret = newTokenSecret()
  const expiresAt = new Date(now.getTime() + (options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS) * 1000).toISOString()
  await store.deleteTokensOf(options.name)
  await store.putToken({createdAt: now.toISOString(), expiresAt, id: tokenId(secret), user: options.name})
  const token = encodeTicket({fingerprint: pin, proxy: options.webAddress, secret, user: options.name})
  return {loginCommand: `fleetctl login --enrol ${token}`, token, tokenExpiresAt: expiresAt}
}

export async function getUserView(store: IdentityStore, name: string): Promise<UserView> {
  const user = await store.getUser(name)
  if (!user) throw noSuchUser(name)
  return userView(user)
}

export async function listUserViews(store: IdentityStore): Promise<UserView[]> {
  return (await store.listUsers()).map(userView).sort((a, b) => a.name.localeCompare(b.name))
}

export async function removeUser(store: IdentityStore, name: string): Promise<{removed: string}> {
  if (!(await store.deleteUser(name))) throw noSuchUser(name)
  await store.deleteTokensOf(name)
  return {removed: name}
}

export interface UserChange {
  roles?: string[]
  addSshKeys?: string[]
  removeSshKeys?: string[]
  /** Forget the password and TOTP seed (the person enrols again with a new token). */
  resetCredentials?: boolean
}

export async function updateUser(store: IdentityStore, name: string, change: UserChange): Promise<UserView> {
  if (change.roles) await checkRoles(store, change.roles)
  const added = checkSshKeys(change.addSshKeys ?? [])
  const removed = new Set(change.removeSshKeys ?? [])
  const updated = await store.updateUser(name, (user) => {
    const next: User = {...user, updatedAt: new Date().toISOString()}
    if (change.roles) next.roles = change.roles
    const keys = [...user.sshKeys, ...added].filter((line) => !removed.has(fingerprint(parsePublicKey(line).key)) && !removed.has(line.trim()))
    next.sshKeys = [...new Set(keys)]
    if (change.resetCredentials) {
      delete next.password
      delete next.totp
    }
    return next
  })
  if (!updated) throw noSuchUser(name)
  return userView(updated)
}

function noSuchUser(name: string): FleetError {
  return new FleetError(`no user named ${name}`, {code: 'user_missing', exit: 'missingState', suggestions: ['See `fleetctl users ls`.']})
}

export async function addRole(store: IdentityStore, role: Role, options: {overwrite?: boolean} = {}): Promise<Role> {
  if (isBuiltinRole(role.name)) throw new FleetError(`${role.name} is a built-in role and cannot be changed`, {code: 'role_builtin', exit: 'refused', suggestions: ['Give your role another name.']})
  if (!options.overwrite && (await store.getRole(role.name))) {
    throw new FleetError(`role ${role.name} already exists`, {code: 'role_exists', exit: 'refused', suggestions: [`Pass --overwrite to replace it, or see it with \`fleetctl roles show ${role.name}\`.`]})
  }
  await store.putRole(role)
  return role
}

export async function listRoles(store: IdentityStore): Promise<Role[]> {
  return [...BUILTIN_ROLES, ...(await store.listRoles()).sort((a, b) => a.name.localeCompare(b.name))]
}

export async function getRole(store: IdentityStore, name: string): Promise<Role> {
  const role = BUILTIN_ROLES.find((r) => r.name === name) ?? (await store.getRole(name))
  if (!role) throw new FleetError(`no role named ${name}`, {code: 'role_missing', exit: 'missingState', suggestions: ['See `fleetctl roles ls`.']})
  return role
}

export async function removeRole(store: IdentityStore, name: string): Promise<{removed: string}> {
  if (isBuiltinRole(name)) throw new FleetError(`${name} is a built-in role and cannot be removed`, {code: 'role_builtin', exit: 'refused'})
  const holders = (await store.listUsers()).filter((user) => user.roles.includes(name)).map((user) => user.name)
  if (holders.length > 0) {
    throw new FleetError(`role ${name} is held by ${holders.join(', ')}`, {code: 'role_in_use', exit: 'refused', suggestions: [`Take it away first with \`fleetctl users update ${holders[0]} --roles …\`.`]})
  }
  if (!(await store.deleteRole(name))) throw new FleetError(`no role named ${name}`, {code: 'role_missing', exit: 'missingState', suggestions: ['See `fleetctl roles ls`.']})
  return {removed: name}
}
