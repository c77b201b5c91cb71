import type {Duplex} from 'node:stream'

import {FleetError} from '../base/errors.js'
import {fingerprint} from '../certs/index.js'
import {agentIdentities, CertificateAgent, type SshAgent} from './agent.js'
import {blobKeyType, CERT_HOST_KEY_ALGORITHMS, clientCiphers, isCertificateAlgorithm, PLAIN_HOST_KEY_ALGORITHMS} from './algorithms.js'
import {HOST_NOT_CERTIFIED, hostCertificateRejected} from './messages.js'
import {Client, OpenSSHAgent} from './ssh2.js'
import type {CertificateTrust} from './trust.js'

type SshClient = InstanceType<typeof Client>

export interface UpstreamDialOptions {
  /** Where to connect (ignored when `sock` is given). */
  host: string
  port: number
  /** The name the host certificate must carry as a principal. Defaults to `host`. */
  hostName?: string
  /** Trust for host certificates (the fleet's host CA). */
  hostTrust: CertificateTrust
  /**
   * Accept a host that presents a plain key or a certificate the trust refuses (the
   * `proxy_checks_host_keys: no` opt-out). `UpstreamHost.unverified` then says why it is unverified.
   */
  acceptUnverifiedHostKeys?: boolean
  /** An already connected stream to run SSH over instead of a TCP connection. */
  sock?: Duplex
  /** Bound on the whole dial and login, including waiting for `login()` to be called. */
  readyTimeoutMs?: number
  keepaliveIntervalMs?: number
  debug?: (line: string) => void
}

export interface UpstreamOptions extends UpstreamDialOptions {
  /** The login on the host. */
  username: string
  /** The user's agent: a socket path or an agent object (e.g. a ForwardedAgent). Only its certificates are offered. */
  agent: string | SshAgent
}

/** A host whose key exchange is done and whose host key was checked; nobody has logged in yet. */
export interface UpstreamHost {
  /** The host certificate the host presented (undefined for an accepted plain key). */
  hostCertificate?: Buffer
  /** The key id of the host certificate. */
  hostKeyId: string
  /** The principals of a trusted host certificate (empty when unverified). */
  principals: string[]
  /** Set when the host key was accepted without verification: why it could not be verified. */
  unverified?: {fingerprint: string; reason: string}
  /**
   * Log in as `username` with a certificate from `agent`. Call once. `channelPacketSize` caps the
   * channel data payloads the host may send (a relay sizes them to the channel it forwards into).
   */
  login(username: string, agent: string | SshAgent, options?: {channelPacketSize?: number}): Promise<UpstreamConnection>
  close(): void
}

export interface UpstreamConnection {
  /** The authenticated ssh2 client: open sessions and channels on it. */
  client: SshClient
  /** The host certificate the host presented (undefined for an accepted plain key). */
  hostCertificate: Buffer
  /** The key id of the host certificate. */
  hostKeyId: string
  close(): void
}

type NextAuth = (auth: false | {agent: CertificateAgent; type: 'agent'; username: string}) => void

/**
 * Open an SSH connection to a fleet host and check its host key, stopping before user
 * authentication: the proxy learns (and verifies) the host's certificate before it presents one
 * for that host to the user, and logs in later with the agent the user brings. Strict by
 * default: the host must present a host certificate that `hostTrust` accepts for `hostName`.
 * Certificate algorithms are offered first and plain ones after, so a host with only a plain key
 * still completes key exchange and fails with a message that says so instead of a bare
 * "no matching host key format".
 */
export function dialUpstream(options: UpstreamDialOptions): Promise<UpstreamHost> {
  const hostName = options.hostName ?? options.host
  const client = new Client()
  let hostFailure: string | undefined
  let hostCertificate: Buffer | undefined
  let hostKeyId = ''
  let principals: string[] = []
  let unverified: UpstreamHost['unverified']
  let nextAuth: NextAuth | undefined
  /** Where the next connection error goes: the dial, then the login, then nobody. */
  let onError: (err: Error & {level?: string}) => void

  const verifyHost = (blob: Buffer): boolean => {
    const type = blobKeyType(blob)
    let failure: string
    if (type === undefined || !isCertificateAlgorithm(type)) {
      failure = HOST_NOT_CERTIFIED
    } else {
      const decision = options.hostTrust.check(blob, 'host', hostName)
      if (decision.ok) {
        hostCertificate = blob
        hostKeyId = decision.keyId
        principals = decision.principals
        return true
      }
      failure = hostCertificateRejected(hostName, decision.message)
    }
    if (options.acceptUnverifiedHostKeys) {
      unverified = {fingerprint: fingerprint(blob), reason: failure}
      return true
    }
    hostFailure = failure
    return false
  }

  const host: UpstreamHost = {
    get hostCertificate() {
      return hostCertificate
    },
    get hostKeyId() {
      return hostKeyId
    },
    get principals() {
      return principals
    },
    get unverified() {
      return unverified
    },
    close: () => client.end(),
    async login(login, userAgent, loginOptions = {}) {
      // Read by vendor/ssh2 whenever a channel is opened.
      ;(client as unknown as {config: {channelPacketSize?: number}}).config.channelPacketSize = loginOptions.channelPacketSize
      const agent = new CertificateAgent(typeof userAgent === 'string' ? new OpenSSHAgent(userAgent) : userAgent)
      const identities = await agentIdentities(agent).catch((error: Error) => {
        client.end()
        throw agentError(error, hostName, login)
      })
      if (identities.length === 0) {
        client.end()
        throw new FleetError(`ssh: the agent holds no certificate to log in to ${login}@${hostName} with`, {
          code: 'no-certificate',
          exit: 'untrusted',
          suggestions: ['load a fleet user certificate into your agent: fleetctl login (then ssh-add -L lists a *-cert-v01@openssh.com line)'],
        })
      }
      return new Promise<UpstreamConnection>((resolveLogin, rejectLogin) => {
        onError = (err) => {
          client.end()
          rejectLogin(upstreamError(err, {hostFailure, hostName, username: login}))
        }
        client.once('ready', () => {
          // Later errors (a dropped connection) belong to whoever uses the client now.
          onError = () => {}
          resolveLogin({client, hostCertificate: hostCertificate ?? Buffer.alloc(0), hostKeyId, close: () => client.end()})
        })
        nextAuth!({agent, type: 'agent', username: login})
      })
    },
  }

  return new Promise((resolve, reject) => {
    onError = (err) => {
      client.end()
      reject(upstreamError(err, {hostFailure, hostName, username: ''}))
    }
    client.on('error', (err) => onError(err))
    client.connect({
      host: options.host,
      port: options.port,
      sock: options.sock,
      username: 'fleetctl',
      authHandler: (_methodsLeft: unknown, _partial: unknown, next: NextAuth) => {
        if (nextAuth === undefined) {
          nextAuth = next
          resolve(host)
          return undefined
        }
        // The agent's certificates were all refused (or it held none): stop.
        return false
      },
      readyTimeout: options.readyTimeoutMs ?? 60_000,
      keepaliveInterval: options.keepaliveIntervalMs ?? 30_000,
      hostVerifier: verifyHost,
      algorithms: {cipher: clientCiphers() as never, serverHostKey: [...CERT_HOST_KEY_ALGORITHMS, ...PLAIN_HOST_KEY_ALGORITHMS] as never},
      debug: options.debug,
    } as never)
    // Interactive keystrokes must not wait for Nagle's algorithm on the proxy's hop.
    client.setNoDelay(true)
  })
}

/**
 * Connect to a fleet host the strict way and log in with a certificate from the user's agent:
 * `dialUpstream` then `login`.
 */
export async function connectUpstream(options: UpstreamOptions): Promise<UpstreamConnection> {
  const host = await dialUpstream(options)
  return host.login(options.username, options.agent)
}

function agentError(err: Error, hostName: string, username: string): FleetError {
  if (err instanceof FleetError) return err
  return new FleetError(`ssh: cannot use the agent to log in to ${username}@${hostName}: ${err.message}`, {
    code: 'agent-unavailable',
    exit: 'untrusted',
    cause: err,
    suggestions: ['check the agent and its fleet certificate with `fleetctl agent check` (and that ssh forwards it: ForwardAgent yes, or ssh -A)'],
  })
}

function upstreamError(
  err: Error & {level?: string},
  context: {hostFailure?: string; hostName: string; username: string},
): FleetError {
  if (err instanceof FleetError) return err
  if (context.hostFailure) {
    return new FleetError(context.hostFailure, {
      code: 'host-untrusted',
      exit: 'untrusted',
      cause: err,
      suggestions: [`enroll ${context.hostName} so it presents a host certificate from the fleet's host CA: fleetctl enroll host ${context.hostName}`],
    })
  }
  if (err.level === 'client-authentication') {
    return new FleetError(`ssh: no certificate in the agent was accepted for ${context.username}@${context.hostName}`, {
      code: 'auth-failed',
      exit: 'untrusted',
      cause: err,
      suggestions: ['check `ssh-add -L` lists a fleet certificate that names this login (fleetctl login issues one)'],
    })
  }
  if (err.level === 'agent') {
    return new FleetError(`ssh: the agent refused to sign for ${context.username}@${context.hostName}: ${err.message}`, {
      code: 'agent-refused',
      exit: 'untrusted',
      cause: err,
      suggestions: [
        'keys added with destination constraints (ssh-add -h) are bound to the hop they were forwarded to; add the certificate without -h to use it through the proxy',
      ],
    })
  }
  return new FleetError(`ssh: connection to ${context.hostName} failed: ${err.message}`, {
    code: 'unreachable',
    exit: 'unreachable',
    cause: err,
    suggestions: [`check that ${context.hostName} runs sshd on that port and that this machine can reach it: \`fleetctl doctor ${context.hostName}\` looks at the whole path`],
  })
}
