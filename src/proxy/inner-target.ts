/**
 * What the inner connection hands the bridges of its channels (sessions, forwards). A leaf: the
 * types that inner.ts, session.ts and forward.ts share live here, so none of them imports another
 * for its types.
 */
import type {Connection, HostKeyEntry, UpstreamConnection, UpstreamHost} from '../ssh/index.js'
import type {ConnectionContext} from './context.js'

export interface InnerTarget {
  /** The connection the inner one runs in (the jump connection or the `-s proxy:` session's). */
  outer: ConnectionContext
  /** Where to open `auth-agent@openssh.com` when the inner connection does not forward its agent. */
  outerConnection: Connection
  host: string
  port: number
  /** The host, dialed and verified; the login happens with the user's agent on first use. */
  upstream: UpstreamHost
  /** Host keys with a certificate minted for the names the client may know the host by. */
  hostKeys: HostKeyEntry[]
}

/** What a session or forward needs from the inner connection it runs on. */
export interface SessionHost {
  ctx: ConnectionContext
  target: InnerTarget
  /** The client asked to forward its agent on the inner connection. */
  onAgentRequest(): void
  /** The upstream connection, logged in on first use. */
  upstream(): Promise<UpstreamConnection>
}
