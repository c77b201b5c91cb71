/**
 * The proxy's side of remote login: enrolment (one-time token -> password, TOTP seed), nonces for
 * key logins, and login (password + TOTP, or a registered key's signature) ending in a user
 * certificate whose principals, lifetime and extensions come from the person's roles. Every
 * attempt is audited; every refusal of bad credentials looks the same to the caller.
 */
import {randomBytes} from 'node:crypto'

import {userCertificateRequest} from '../ca/issue.js'
import {fingerprint, formatCertificate, parsePublicKey, type PrivateKey, type PublicKey, signCertificate} from '../certs/index.js'
import {PROOF_NAMESPACE, proofPayload} from './proof.js'
import {capTtl, evaluateAccess, resolveRoles} from './roles.js'
import {verifySshSignature} from './sshsig.js'
import {type IdentityStore, NAME_PATTERN} from './store.js'
import {LoginThrottle} from './throttle.js'
import {tokenId} from './token.js'
import {passwordProblem, hashPassword, verifyPassword} from './password.js'
import {checkTotp, newTotpSecret, totpUri} from './totp.js'
import type {User} from './types.js'

/** Why an attempt failed, for the audit log only (never for the caller). */
export type LoginFailureReason =
  | 'bad_password'
  | 'bad_request'
  | 'bad_signature'
  | 'key_not_registered'
  | 'locked'
  | 'locked_out'
  | 'no_logins'
  | 'nonce_unknown'
  | 'not_enrolled'
  | 'token_invalid'
  | 'totp_invalid'
  | 'totp_replayed'
  | 'unknown_user'

export type LoginMethod = 'password+totp' | 'ssh-key'

export interface LoginAuditEvent {
  event: 'login.failure' | 'login.success' | 'user.enrolled'
  user: string
  client: string
  method?: LoginMethod
  reason?: LoginFailureReason
  principals?: string[]
  roles?: string[]
  ttlSeconds?: number
  ttlCapped?: boolean
  serial?: string
  fingerprint?: string
}

/** A refusal the web layer turns into an HTTP status and a message. */
export class LoginRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 429,
    message: string,
    readonly code: string,
  ) {
    super(message)
  }
}

export const GENERIC_REFUSAL = 'login refused: the user name, password, code or key is not right'

export interface LoginServiceOptions {
  store: IdentityStore
  /** The user CA's private key, loaded when first needed. */
  userCA: () => Promise<PrivateKey>
  audit: (event: LoginAuditEvent) => void
  /** Public parts handed to a client that logged in, so it can trust hosts without the CA files. */
  publicInfo: () => {cluster: string; hostCA: string; userCA: string}
  throttle?: LoginThrottle
  now?: () => number
}

export interface LoginRequest {
  user: string
  /** The public key to certify (OpenSSH one-line form); its private half never leaves the client. */
  publicKey: string
  ttlSeconds?: number
  password?: string
  totp?: string
  /** A key login: the server's nonce and an SSHSIG (`ssh-keygen -Y sign`) over proofPayload in PROOF_NAMESPACE. */
  proof?: {nonce: string; signature: string}
}

export interface LoginResponse {
  user: string
  certificate: string
  principals: string[]
  roles: string[]
  ttlSeconds: number
  requestedTtlSeconds?: number
  ttlCapped: boolean
  /** The role whose cap applied. */
  ttlRole?: string
  validBefore: string
  serial: string
  cluster: string
  hostCA: string
  userCA: string
}

export interface EnrolRequest {
  token: string
  user: string
  password: string
}

export interface EnrolResponse {
  user: string
  totpSecret: string
  otpauthUri: string
}

const NONCE_TTL_SECONDS = 120

export class LoginService {
  private readonly throttle: LoginThrottle
  private readonly nonces = new Map<string, number>()
  private readonly now: () => number

  constructor(private readonly options: LoginServiceOptions) {
    this.throttle = options.throttle ?? new LoginThrottle()
    this.now = options.now ?? (() => Date.now() / 1000)
  }

  /** A one-time nonce for a key login; handed out for any name so it tells nothing. */
  issueNonce(): {nonce: string; expiresInSeconds: number} {
    const now = this.now()
    for (const [nonce, expires] of this.nonces) if (expires < now) this.nonces.delete(nonce)
    if (this.nonces.size > 10_000) throw new LoginRefused(429, 'too many login attempts in progress; try again shortly', 'busy')
    const nonce = randomBytes(32).toString('base64url')
    this.nonces.set(nonce, now + NONCE_TTL_SECONDS)
    return {expiresInSeconds: NONCE_TTL_SECONDS, nonce}
  }

  async enrol(request: EnrolRequest, client: string): Promise<EnrolResponse> {
    const refuse = (reason: LoginFailureReason) => {
      this.options.audit({client, event: 'login.failure', reason, user: String(request.user ?? '')})
      return new LoginRefused(401, 'enrolment refused: the token is not valid (used, expired or for another user); ask your admin for a new one', 'enrol_refused')
    }
    if (typeof request.token !== 'string' || typeof request.user !== 'string' || typeof request.password !== 'string') throw new LoginRefused(400, 'token, user and password are required', 'bad_request')
    const problem = passwordProblem(request.password)
    if (problem) throw new LoginRefused(400, problem, 'weak_password')
    const token = await this.options.store.takeToken(tokenId(request.token))
    if (!token || token.user !== request.user || Date.parse(token.expiresAt) < this.now() * 1000) throw refuse('token_invalid')
    const password = await hashPassword(request.password)
    const secret = newTotpSecret()
    const user = await this.options.store.updateUser(request.user, (u) => ({...u, password, totp: {secret}, updatedAt: new Date(this.now() * 1000).toISOString()}))
    if (!user) throw refuse('unknown_user')
    this.options.audit({client, event: 'user.enrolled', user: user.name})
    return {otpauthUri: totpUri({issuer: `fleetctl ${this.options.publicInfo().cluster}`, secret, user: user.name}), totpSecret: secret, user: user.name}
  }

  async login(request: LoginRequest, address: string, client: string): Promise<LoginResponse> {
    if (typeof request.user !== 'string' || typeof request.publicKey !== 'string') throw new LoginRefused(400, 'user and publicKey are required', 'bad_request')
    if (request.ttlSeconds !== undefined && !(Number.isInteger(request.ttlSeconds) && request.ttlSeconds > 0)) throw new LoginRefused(400, 'ttlSeconds must be a whole number of seconds above 0', 'bad_request')
    let publicKey: PublicKey
    try {
      publicKey = parsePublicKey(request.publicKey).key
    } catch (error) {
      throw new LoginRefused(400, `publicKey: ${(error as Error).message}`, 'bad_request')
    }
    const method: LoginMethod = request.proof ? 'ssh-key' : 'password+totp'
    const name = request.user
    const fail = (reason: LoginFailureReason): LoginRefused => {
      this.options.audit({client, event: 'login.failure', method, reason, user: name})
      if (reason === 'locked_out') return new LoginRefused(429, 'login refused: too many failed attempts; wait and try again later, or ask your admin', 'locked_out')
      this.throttle.fail(name, address)
      return new LoginRefused(401, GENERIC_REFUSAL, 'login_refused')
    }

    if (this.throttle.lockedOut(name, address)) throw fail('locked_out')
    const user = NAME_PATTERN.test(name) ? await this.options.store.getUser(name) : undefined
    if (method === 'password+totp') await this.checkPasswordAndCode(user, request, fail)
    else this.checkKeyProof(user, request, publicKey, fail)
    if (!user) throw fail('unknown_user')
    this.throttle.succeed(name)
    return this.issue(user, request, publicKey, method, client)
  }

  private async checkPasswordAndCode(user: undefined | User, request: LoginRequest, fail: (reason: LoginFailureReason) => LoginRefused): Promise<void> {
    if (typeof request.password !== 'string' || typeof request.totp !== 'string') throw fail('bad_request')
    // Always a full scrypt, whether or not the user exists or has a password.
    const passwordOk = await verifyPassword(user?.password, request.password)
    if (!user) throw fail('unknown_user')
    if (!user.password || !user.totp) throw fail('not_enrolled')
    if (!passwordOk) throw fail('bad_password')
    const code = await checkTotp(user.totp.secret, request.totp.trim(), user.totp.lastStep, this.now())
    if (!code.ok) throw fail(code.reason)
    // Record the step; a concurrent login with the same code loses here.
    let replayed = false
    await this.options.store.updateUser(user.name, (u) => {
      if (!u.totp || (u.totp.lastStep !== undefined && u.totp.lastStep >= code.step)) {
        replayed = true
        return u
      }
      return {...u, totp: {...u.totp, lastStep: code.step}}
    })
    if (replayed) throw fail('totp_replayed')
  }

  private checkKeyProof(user: undefined | User, request: LoginRequest, publicKey: PublicKey, fail: (reason: LoginFailureReason) => LoginRefused): void {
    const {proof} = request
    if (typeof proof?.nonce !== 'string' || typeof proof.signature !== 'string') throw fail('bad_request')
    const expires = this.nonces.get(proof.nonce)
    this.nonces.delete(proof.nonce)
    if (expires === undefined || expires < this.now()) throw fail('nonce_unknown')
    if (!user) throw fail('unknown_user')
    const payload = proofPayload(user.name, proof.nonce, publicKey.blob)
    let registered = false
    for (const line of user.sshKeys) {
      registered = true
      if (verifySshSignature(parsePublicKey(line).key, PROOF_NAMESPACE, payload, proof.signature)) return
    }
    throw fail(registered ? 'bad_signature' : 'key_not_registered')
  }

  private async issue(user: User, request: LoginRequest, publicKey: PublicKey, method: LoginMethod, client: string): Promise<LoginResponse> {
    const {store} = this.options
    const now = this.now()
    const refuse = (reason: LoginFailureReason, message: string, code: string) => {
      this.options.audit({client, event: 'login.failure', method, reason, user: user.name})
      return new LoginRefused(403, message, code)
    }
    const lock = (await store.listLocks()).find((l) => l.user === user.name && (!l.until || Date.parse(l.until) > now * 1000))
    if (lock) throw refuse('locked', `login refused: ${user.name} is locked${lock.reason ? ` (${lock.reason})` : ''}; ask your admin`, 'user_locked')
    const {roles} = resolveRoles(user.roles, await store.listRoles())
    const access = evaluateAccess(user, roles)
    if (access.principals.length === 0) {
      throw refuse('no_logins', `your roles (${user.roles.join(', ') || 'none'}) grant no logins on hosts, so there is no certificate to issue`, 'no_logins')
    }
    const ttl = capTtl(request.ttlSeconds, access.maxTtlSeconds)
    const certificate = signCertificate(
      userCertificateRequest({extensions: access.extensions, keyId: user.name, now, principals: access.principals, publicKey, ttlSeconds: ttl.ttlSeconds, user: user.name}),
      await this.options.userCA(),
    )
    const serial = certificate.serial.toString()
    this.options.audit({
      client,
      event: 'login.success',
      fingerprint: fingerprint(publicKey),
      method,
      principals: access.principals,
      roles: access.roles,
      serial,
      ttlCapped: ttl.capped,
      ttlSeconds: ttl.ttlSeconds,
      user: user.name,
    })
    const info = this.options.publicInfo()
    return {
      certificate: formatCertificate(certificate, `${user.name}@fleetctl`),
      cluster: info.cluster,
      hostCA: info.hostCA,
      principals: access.principals,
      requestedTtlSeconds: request.ttlSeconds,
      roles: access.roles,
      serial,
      ttlCapped: ttl.capped,
      ttlRole: access.ttlRole,
      ttlSeconds: ttl.ttlSeconds,
      user: user.name,
      userCA: info.userCA,
      validBefore: new Date(Number(certificate.validBefore) * 1000).toISOString(),
    }
  }
}
