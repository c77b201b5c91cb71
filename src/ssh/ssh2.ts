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
}

export const {BaseAgent, Client, OpenSSHAgent, Server, utils} = ssh2
export type {
  AuthContext,
  ClientChannel,
  Connection,
  ParsedKey,
  PublicKeyAuthContext,
  ServerChannel,
  ServerConfig,
  SigningRequestOptions,
} from 'ssh2'
