import {join} from 'node:path'

import {addToAgent, removeFromAgent} from '../agent/add.js'
import {agentKind} from '../agent/inspect.js'
import {FleetError} from '../base/errors.js'
import {userCertificateRequest} from '../ca/issue.js'
import {loadCertificateAuthority} from '../ca/store.js'
import {encodePrivateKey, fingerprint, formatCertificate, generateKey, type KeySpec, parseCertificateLine, type PrivateKey, signCertificate} from '../certs/index.js'
import {exists, writeFileSafely} from '../state/files.js'
import {statePaths} from '../state/home.js'

export interface LoginOptions {
  /** SSH_AUTH_SOCK, or undefined when there is none. */
  agentSocket?: string
  home: string
  keySpec: KeySpec
  /** Write the files only; do not touch the agent. */
  noAgent: boolean
  principals: string[]
  ttlSeconds: number
  user: string
}

export interface LoginResult {
  agent?: string
  certificatePath: string
  fingerprint: string
  keyId: string
  keyPath: string
  principals: string[]
  validBefore: string
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/

/**
 * Issues a fresh key pair and a short-lived user certificate from the local user CA, keeps them
 * in the state directory, and loads both into the agent for exactly the certificate's lifetime.
 */
export async function login(options: LoginOptions): Promise<LoginResult> {
  if (!SAFE_NAME.test(options.user)) {
    throw new FleetError(`user name "${options.user}" may only hold letters, digits, ".", "_" and "-"`, {code: 'bad_user', exit: 'usage'})
  }

  checkAgent(options.agentSocket, options.noAgent)

  const ca = await loadCertificateAuthority(options.home, 'user')
  const key = generateKey(options.keySpec, `${options.user}@fleetctl`)
  const certificate = signCertificate(
    userCertificateRequest({principals: options.principals, publicKey: key.publicKey, ttlSeconds: options.ttlSeconds, user: options.user}),
    ca.key,
  )

  return installCredentials({agentSocket: options.agentSocket, certificateLine: formatCertificate(certificate, key.comment), home: options.home, key, noAgent: options.noAgent, user: options.user})
}

/** Fails early, before anything is made, when the key could not be loaded into the agent afterwards. */
export function checkAgent(agentSocket: string | undefined, noAgent: boolean): void {
  if (noAgent) return
  if (!agentSocket) {
    throw new FleetError('no ssh-agent to load the certificate into: SSH_AUTH_SOCK is not set', {
      code: 'agent_missing',
      exit: 'missingState',
      suggestions: ['Start one with eval "$(ssh-agent -s)" and run `fleetctl login` again, or pass --no-agent to write the files only.'],
    })
  }

  if (agentKind(agentSocket) !== 'other') {
    throw new FleetError(`SSH_AUTH_SOCK (${agentSocket}) belongs to an agent that does not support OpenSSH certificates`, {
      code: 'agent_unsupported',
      exit: 'missingState',
      suggestions: ['Use OpenSSH\'s ssh-agent: eval "$(ssh-agent -s)", then run `fleetctl login` again.'],
    })
  }
}

/**
 * Keeps a fresh key (0600) and its certificate in `<home>/keys/<user>` and loads both into the
 * agent for exactly the certificate's remaining lifetime.
 */
export async function installCredentials(options: {agentSocket?: string; certificateLine: string; home: string; key: PrivateKey; noAgent: boolean; user: string}): Promise<LoginResult> {
  const {agentSocket, key} = options
  const {certificate} = parseCertificateLine(options.certificateLine)
  const keyPath = join(statePaths(options.home).keys, options.user)
  const certificatePath = `${keyPath}-cert.pub`
  // The previous login's key leaves the agent with its certificate, so old identities do not pile up.
  if (!options.noAgent && (await exists(keyPath))) await removeFromAgent(keyPath, agentSocket!)
  await writeFileSafely(keyPath, encodePrivateKey(key), {mode: 0o600, overwrite: true})
  await writeFileSafely(certificatePath, `${options.certificateLine.trim()}\n`, {mode: 0o644, overwrite: true})
  const lifetimeSeconds = Math.max(1, Number(certificate.validBefore) - Math.floor(Date.now() / 1000))
  if (!options.noAgent) await addToAgent(keyPath, {lifetimeSeconds, socket: agentSocket!})

  return {
    agent: options.noAgent ? undefined : agentSocket,
    certificatePath,
    fingerprint: fingerprint(key.publicKey),
    keyId: certificate.keyId,
    keyPath,
    principals: certificate.principals,
    validBefore: new Date(Number(certificate.validBefore) * 1000).toISOString(),
  }
}
