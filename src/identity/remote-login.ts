/**
 * `fleetctl login --proxy`: make a key pair here, prove who you are to the proxy over pinned
 * HTTPS (password + TOTP, or a registered SSH key's signature over the proxy's nonce), receive a
 * certificate whose logins and lifetime come from your roles, and load key and certificate into
 * the agent. Only the public key travels. Also the first-time enrolment with a token.
 */

import {readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {execa} from 'execa'

import {removeFromAgent} from '../agent/add.js'
import {FleetError} from '../base/errors.js'
import {formatPublicKey, generateKey, type KeySpec, parsePublicKey} from '../certs/index.js'
import {checkAgent, installCredentials, type LoginResult} from '../login/login.js'
import {exists, writeFileSafely} from '../state/files.js'
import {readConfig, writeConfig} from '../state/config.js'
import {statePaths} from '../state/home.js'
import {postJson, type ProxyEndpoint} from './client.js'
import {type Profile, readProfile, removeProfile, writeProfile} from './profile.js'
import {PROOF_NAMESPACE, proofPayload} from './proof.js'
import type {EnrolResponse, LoginResponse} from './service.js'
import {decodeTicket, formatFingerprint} from './token.js'

export interface Credentials {
  password(): Promise<string>
  totp(): Promise<string>
}

export interface RemoteLoginOptions {
  home: string
  /** host:port of the proxy's HTTPS; default: the profile's. */
  proxy?: string
  user?: string
  fingerprint?: string
  insecure?: boolean
  ttlSeconds?: number
  /** A registered SSH key (private key file, or its .pub with the key in the agent): sign instead of password + TOTP. */
  identity?: string
  credentials: Credentials
  agentSocket?: string
  noAgent: boolean
  keySpec: KeySpec
}

export interface RemoteLoginResult extends LoginResult {
  proxy: string
  user: string
  roles: string[]
  ttlSeconds: number
  requestedTtlSeconds?: number
  ttlCapped: boolean
  ttlRole?: string
  serial: string
}

/** Where to log in, from the flags over the profile; refuses to go on without a way to trust the proxy. */
export async function resolveEndpoint(home: string, options: {fingerprint?: string; insecure?: boolean; proxy?: string; user?: string}): Promise<{endpoint: ProxyEndpoint; profile?: Profile; user: string}> {
  const profile = await readProfile(home)
  const sameProxy = !options.proxy || options.proxy === profile?.proxy
  const address = options.proxy ?? profile?.proxy
  const user = options.user ?? profile?.user
  if (!address || !user) {
    throw new FleetError('which proxy, as whom? no --proxy/--user given and no profile from an earlier login', {
      code: 'login_target_missing',
      exit: 'usage',
      suggestions: ['First time: `fleetctl login --enrol <token>` with the token your admin gave you.', 'Otherwise: `fleetctl login --proxy proxy.example.com:3080 --user NAME --tls-fingerprint sha256:…`.'],
    })
  }
  const fingerprint = options.fingerprint ?? (sameProxy ? profile?.fingerprint : undefined)
  // --insecure holds for this run only: it is never remembered, so it is said out loud every time.
  return {endpoint: {address, fingerprint, insecure: options.insecure}, profile, user}
}

export async function remoteLogin(options: RemoteLoginOptions): Promise<RemoteLoginResult> {
  checkAgent(options.agentSocket, options.noAgent)
  const {endpoint, profile, user} = await resolveEndpoint(options.home, options)
  const key = generateKey(options.keySpec, `${user}@fleetctl`)
  const publicKey = formatPublicKey(key.publicKey, key.comment)
  const request: Record<string, unknown> = {publicKey, ttlSeconds: options.ttlSeconds, user}
  if (options.identity) {
    const {nonce} = await postJson<{nonce: string}>(endpoint, '/webapi/identity/nonce', {user})
    request.proof = {nonce, signature: await signProof(options.identity, proofPayload(user, nonce, key.publicKey.blob), options.agentSocket)}
  } else {
    request.password = await options.credentials.password()
    request.totp = await options.credentials.totp()
  }
  const answer = await postJson<LoginResponse>(endpoint, '/webapi/identity/login', request)
  const installed = await installCredentials({agentSocket: options.agentSocket, certificateLine: answer.certificate, home: options.home, key, noAgent: options.noAgent, user: answer.user})
  await keepFleetPublicKeys(options.home, answer)
  await writeProfile(options.home, {...profile, fingerprint: endpoint.fingerprint, keyPath: installed.keyPath, proxy: endpoint.address, user: answer.user})
  return {
    ...installed,
    proxy: endpoint.address,
    requestedTtlSeconds: answer.requestedTtlSeconds,
    roles: answer.roles,
    serial: answer.serial,
    ttlCapped: answer.ttlCapped,
    ttlRole: answer.ttlRole,
    ttlSeconds: answer.ttlSeconds,
    user: answer.user,
  }
}

/**
 * The fleet's public CA keys and cluster name, so `gen-ssh-config --write` can trust the fleet's
 * hosts on a machine that holds no CA. An existing CA (the admin's own machine) is left alone.
 */
async function keepFleetPublicKeys(home: string, answer: LoginResponse): Promise<void> {
  const hostCA = answer.hostCA.replace(/^@cert-authority\s+\S+\s+/, '')
  for (const [type, line] of [['host', hostCA], ['user', answer.userCA]] as const) {
    const path = type === 'host' ? statePaths(home).hostCA : statePaths(home).userCA
    if (await exists(path)) continue
    parsePublicKey(line)
    await writeFileSafely(`${path}.pub`, `${line.trim()}\n`, {mode: 0o644, overwrite: true})
  }
  const config = await readConfig(home)
  if (!config.cluster) await writeConfig(home, {...config, cluster: answer.cluster})
}

/** An SSHSIG over the proof by `ssh-keygen -Y sign`: with the key file, or with the agent when given the .pub of a key it holds. */
async function signProof(identity: string, payload: Buffer, agentSocket?: string): Promise<string> {
  if (!(await exists(identity))) {
    throw new FleetError(`--identity: no such file ${identity}`, {code: 'identity_missing', exit: 'missingState', suggestions: ['Give the private key file registered with `fleetctl users add --ssh-key`, or its .pub when the key is in your ssh-agent.']})
  }
  const result = await execa('ssh-keygen', ['-Y', 'sign', '-q', '-f', identity, '-n', PROOF_NAMESPACE], {
    env: agentSocket ? {SSH_AUTH_SOCK: agentSocket} : {},
    input: payload,
    reject: false,
  })
  if (result.exitCode !== 0 || !result.stdout.includes('BEGIN SSH SIGNATURE')) {
    throw new FleetError(`ssh-keygen could not sign with ${identity}: ${result.stderr.trim() || `exit ${result.exitCode}`}`, {
      code: 'identity_sign_failed',
      exit: 'failure',
      suggestions: ['Check the key file is readable and not passphrase-protected, or load the key into ssh-agent and pass its .pub to --identity.'],
    })
  }
  return result.stdout
}

export interface EnrolOptions {
  home: string
  token: string
  password: () => Promise<string>
}

export interface EnrolResult {
  proxy: string
  user: string
  tlsFingerprint: string
  otpauthUri: string
  /** The TOTP seed, for an authenticator app that cannot scan; shown to the person once. */
  totpSecret: string
}

/** First time: trade the token for a password and a TOTP seed; remembers the proxy, user and pin. */
export async function enrol(options: EnrolOptions): Promise<EnrolResult> {
  const ticket = decodeTicket(options.token)
  const endpoint: ProxyEndpoint = {address: ticket.proxy, fingerprint: ticket.fingerprint}
  const password = await options.password()
  const answer = await postJson<EnrolResponse>(endpoint, '/webapi/identity/enrol', {password, token: ticket.secret, user: ticket.user})
  await writeProfile(options.home, {fingerprint: ticket.fingerprint, proxy: ticket.proxy, user: answer.user})
  return {otpauthUri: answer.otpauthUri, proxy: ticket.proxy, tlsFingerprint: formatFingerprint(ticket.fingerprint), totpSecret: answer.totpSecret, user: answer.user}
}

export interface LogoutResult {
  /** Files removed (the key and its certificate). */
  removed: string[]
  profile: boolean
}

/** Removes the logged-in key from the agent and disk (every fleetctl key when there is no profile) and the profile. */
export async function logout(options: {agentSocket?: string; home: string}): Promise<LogoutResult> {
  const profile = await readProfile(options.home)
  const keysDir = statePaths(options.home).keys
  const keys = profile?.keyPath ? [profile.keyPath] : (await readdir(keysDir).catch(() => [] as string[])).filter((f) => !f.endsWith('.pub') && !f.startsWith('.')).map((f) => join(keysDir, f))
  const removed: string[] = []
  for (const keyPath of keys) {
    if (options.agentSocket && (await exists(keyPath))) await removeFromAgent(keyPath, options.agentSocket)
    for (const path of [keyPath, `${keyPath}-cert.pub`]) {
      if (await rm(path).then(() => true, () => false)) removed.push(path)
    }
  }
  return {profile: await removeProfile(options.home), removed}
}
