/** The SSH layer: ssh2 with OpenSSH certificates, behind a small API. Nothing else imports ssh2. */
export {assertCertificateSupport, certificateSupportProblem, NATIVE_CRYPTO_HINTS, nativeCrypto} from './ssh2.js'
export type {NativeCrypto} from './ssh2.js'
export {agentIdentities, agentSign, CertificateAgent, ForwardedAgent} from './agent.js'
export type {AgentIdentity, SshAgent} from './agent.js'
export {baseAlgorithm, blobKeyType, CERT_HOST_KEY_ALGORITHMS, isCertificateAlgorithm, PLAIN_HOST_KEY_ALGORITHMS} from './algorithms.js'
export {onData, writeData} from './channel.js'
export {certifiedHostKeys} from './host-certificate.js'
export type {HostKeyEntry} from './host-certificate.js'
export {FORWARD_AGENT_HINT, HOST_NOT_CERTIFIED, hostCertificateRejected} from './messages.js'
export {connectUpstream} from './upstream.js'
export type {UpstreamConnection, UpstreamOptions} from './upstream.js'
export {checkUserCertificate} from './user-auth.js'
export type {UserAuthDecision} from './user-auth.js'
export {certificateTrust} from './trust.js'
export type {CertificateKind, CertificateTrust, TrustDecision, TrustOptions} from './trust.js'
export {ChannelOpenFailure, createSshServer, nativeCryptoLoaded, rejectChannelOpen, tunnelledPacketSize} from './server.js'
export type {SshServer, SshServerOptions} from './server.js'
export {dialUpstream} from './upstream.js'
export type {UpstreamDialOptions, UpstreamHost} from './upstream.js'
export type {
  AcceptConnection,
  ClientChannel,
  ClientInfo,
  Connection,
  ExecInfo,
  PseudoTtyInfo,
  PublicKeyAuthContext,
  RejectConnection,
  ServerChannel,
  Session,
  TcpipRequestInfo,
  WindowChangeInfo,
} from './ssh2.js'
