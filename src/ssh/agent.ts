import type {Duplex} from 'node:stream'

import {isCertificateAlgorithm} from './algorithms.js'
import {FORWARD_AGENT_HINT} from './messages.js'
import {BaseAgent, type Connection, OpenSSHAgent, type ParsedKey, type SigningRequestOptions} from './ssh2.js'

/** An agent ssh2 can authenticate with: a local socket path or an agent object. */
export type SshAgent = InstanceType<typeof BaseAgent>

type IdentitiesCallback = (err: Error | undefined, keys?: ParsedKey[]) => void
type SignCallback = (err?: Error | null, signature?: Buffer) => void

/**
 * The agent of a client connected to an ssh2 `Server`, reached by opening an
 * `auth-agent@openssh.com` channel back to it for each request, as sshd does for its sessions.
 * OpenSSH clients accept the channel when agent forwarding is on for that connection, whether
 * or not a session asked for it (plain `ssh -J` opens no session on the jump connection).
 */
export class ForwardedAgent extends OpenSSHAgent {
  constructor(private readonly connection: Connection) {
    super('')
  }

  override getStream(cb: (err?: Error | null, stream?: Duplex) => void): void {
    this.connection.openssh_authAgent((err, channel) => {
      if (err) cb(new Error(`the client did not forward its agent (${err.message}): ${FORWARD_AGENT_HINT}`, {cause: err}))
      else cb(null, channel)
    })
  }
}

/**
 * An agent that shows only its certificates. Dialing a host with plain keys first would spend
 * sshd's MaxAuthTries before the certificate is tried.
 */
export class CertificateAgent extends BaseAgent<ParsedKey> {
  constructor(private readonly agent: SshAgent) {
    super()
  }

  getIdentities(cb: IdentitiesCallback): void {
    this.agent.getIdentities((err, keys) => {
      if (err) return cb(err)
      cb(undefined, (keys ?? []).filter((key): key is ParsedKey => isParsedKey(key) && isCertificateAlgorithm(key.type)))
    })
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    if (typeof options === 'function') this.agent.sign(pubKey, data, options)
    else this.agent.sign(pubKey, data, options, cb)
  }

  /** Forwarding this agent further forwards the agent it wraps. */
  override getStream(cb: (err?: Error | null, stream?: Duplex) => void): void {
    if (this.agent.getStream) this.agent.getStream(cb)
    else cb(new Error('this agent cannot be forwarded'))
  }
}

/** One identity an agent holds. */
export interface AgentIdentity {
  /** Key or certificate type, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  type: string
  /** The key or certificate blob as the agent listed it. */
  blob: Buffer
  comment: string
  isCertificate: boolean
  /** ssh2's parsed form, for `agentSign`. */
  key: ParsedKey
}

/** List an agent's identities. */
export function agentIdentities(agent: SshAgent): Promise<AgentIdentity[]> {
  return new Promise((resolve, reject) => {
    agent.getIdentities((err, keys) => {
      if (err) return reject(err)
      resolve(
        (keys ?? []).filter(isParsedKey).map((key) => ({
          type: key.type,
          blob: key.getPublicSSH(),
          comment: key.comment,
          isCertificate: isCertificateAlgorithm(key.type),
          key,
        })),
      )
    })
  })
}

/**
 * Have the agent sign `data` with an identity. Returns the raw signature (without the SSH
 * signature-format name, as ssh2 hands it out). RSA keys and certificates sign with `hash`.
 */
export function agentSign(agent: SshAgent, identity: AgentIdentity, data: Buffer, hash?: 'sha256' | 'sha512'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    agent.sign(identity.key, data, hash ? {hash} : {}, (err, signature) => {
      if (err || !signature) reject(err ?? new Error('the agent returned no signature'))
      else resolve(signature)
    })
  })
}

function isParsedKey(key: unknown): key is ParsedKey {
  return typeof key === 'object' && key !== null && typeof (key as ParsedKey).getPublicSSH === 'function'
}
