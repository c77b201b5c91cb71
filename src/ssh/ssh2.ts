/**
 * The one place that imports ssh2. ssh2 1.17.0 runs with patches/ssh2+1.17.0.patch, which adds
 * OpenSSH certificate support; the declarations below type what that patch adds.
 */
import ssh2 from 'ssh2'

declare module 'ssh2' {
  interface Connection {
    /** Open an `auth-agent@openssh.com` channel back to the client (added by the fleetctl patch). */
    openssh_authAgent(callback: ServerCallback): this
  }
  interface Channel {
    /** Send an RFC 4335 break on a client session channel (added by the fleetctl patch). */
    sendBreak(length: number): void
  }
}

export const {BaseAgent, Client, OpenSSHAgent, Server, utils} = ssh2
export type {
  AcceptConnection,
  AuthContext,
  ClientChannel,
  ClientInfo,
  Connection,
  ExecInfo,
  ParsedKey,
  PseudoTtyInfo,
  PublicKeyAuthContext,
  RejectConnection,
  ServerChannel,
  ServerConfig,
  Session,
  SetEnvInfo,
  SignalInfo,
  SigningRequestOptions,
  SubsystemInfo,
  TcpipRequestInfo,
  WindowChangeInfo,
} from 'ssh2'
