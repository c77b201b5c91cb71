import type {Duplex} from 'node:stream'

import {FleetError} from '../base/errors.js'
import {CertificateAgent, type SshAgent} from './agent.js'
import {blobKeyType, CERT_HOST_KEY_ALGORITHMS, isCertificateAlgorithm, PLAIN_HOST_KEY_ALGORITHMS} from './algorithms.js'
import {HOST_NOT_CERTIFIED, hostCertificateRejected} from './messages.js'
import {Client, OpenSSHAgent} from './ssh2.js'
import type {CertificateTrust} from './trust.js'

type SshClient = InstanceType<typeof Client>

export interface UpstreamOptions {
  /** Where to connect (ignored when `sock` is given). */
  host: string
  port: number
  /** The name the host certificate must carry as a principal. Defaults to `host`. */
  hostName?: string
  /** The login on the host. */
  username: string
  /** The user's agent: a socket path or an agent object (e.g. a ForwardedAgent). Only its certificates are offered. */
  agent: string | SshAgent
  /** Trust for host certificates (the fleet's host CA). */
  hostTrust: CertificateTrust
  /** An already connected stream to run SSH over instead of a TCP connection. */
  sock?: Duplex
  readyTimeoutMs?: number
  debug?: (line: string) => void
}

export interface UpstreamConnection {
  /** The authenticated ssh2 client: open sessions and channels on it. */
  client: SshClient
  /** The host certificate the host presented. */
  hostCertificate: Buffer
  /** The key id of the host certificate. */
  hostKeyId: string
  close(): void
}

/**
 * Connect to a fleet host the strict way: the host must present a host certificate that
 * `hostTrust` accepts for `hostName`, and the login uses a certificate from the user's agent.
 * Certificate algorithms are offered first and plain ones after, so a host with only a plain key
 * still completes key exchange and fails with a message that says so instead of a bare
 * "no matching host key format".
 */
export function connectUpstream(options: UpstreamOptions): Promise<UpstreamConnection> {
  const hostName = options.hostName ?? options.host
  const agent = new CertificateAgent(typeof options.agent === 'string' ? new OpenSSHAgent(options.agent) : options.agent)
  const client = new Client()
  let hostFailure: string | undefined
  let hostCertificate: Buffer | undefined
  let hostKeyId = ''

  const verifyHost = (blob: Buffer): boolean => {
    const type = blobKeyType(blob)
    if (type === undefined || !isCertificateAlgorithm(type)) {
      hostFailure = HOST_NOT_CERTIFIED
      return false
    }
    const decision = options.hostTrust.check(blob, 'host', hostName)
    if (!decision.ok) {
      hostFailure = hostCertificateRejected(hostName, decision.message)
      return false
    }
    hostCertificate = blob
    hostKeyId = decision.keyId
    return true
  }

  return new Promise((resolve, reject) => {
    const fail = (err: Error & {level?: string}) => {
      client.removeListener('ready', onReady)
      client.end()
      reject(upstreamError(err, {hostFailure, hostName, username: options.username}))
    }
    const onReady = () => {
      client.removeListener('error', fail)
      // Later errors (a dropped connection) belong to whoever uses the client now.
      client.on('error', () => {})
      resolve({client, hostCertificate: hostCertificate!, hostKeyId, close: () => client.end()})
    }
    client.once('ready', onReady)
    client.once('error', fail)
    client.connect({
      host: options.host,
      port: options.port,
      sock: options.sock,
      username: options.username,
      agent,
      authHandler: ['agent'],
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      hostVerifier: verifyHost,
      algorithms: {serverHostKey: [...CERT_HOST_KEY_ALGORITHMS, ...PLAIN_HOST_KEY_ALGORITHMS] as never},
      debug: options.debug,
    })
  })
}

function upstreamError(
  err: Error & {level?: string},
  context: {hostFailure?: string; hostName: string; username: string},
): FleetError {
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
  return new FleetError(`ssh: connection to ${context.hostName} failed: ${err.message}`, {code: 'unreachable', exit: 'unreachable', cause: err})
}
