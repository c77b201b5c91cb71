import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {FleetError} from '../base/errors.js'
import {
  type AcceptConnection,
  type Connection,
  createSshServer,
  dialUpstream,
  rejectChannelOpen,
  type RejectConnection,
  type ServerChannel,
  type Session,
  type TcpipRequestInfo,
  type UpstreamHost,
} from '../ssh/index.js'
import {authenticateUsers} from './auth.js'
import {ConnectionContext, type ProxyServices} from './context.js'
import {serveInner} from './inner.js'

/**
 * One client connection to the proxy: admitted past the startup limit, authenticated with a
 * user certificate within the login grace time, then serving jumps (`direct-tcpip`, what
 * `ssh -J proxy host` opens) and the subsystem form (`ssh -p 3023 proxy -s proxy:host:port`).
 */
export function serveOuter(socket: Socket, services: ProxyServices): void {
  const {config, log, metrics} = services
  const release = services.draining ? undefined : services.startups.admit()
  if (!release) {
    metrics.connectionsDropped++
    log.warn('connection.dropped', {client: `${socket.remoteAddress}:${socket.remotePort}`, unauthenticated: services.startups.unauthenticated, reason: services.draining ? 'shutting down' : 'max_startups'})
    socket.destroy()
    return
  }
  metrics.connections++
  metrics.connectionsActive++
  const ctx = new ConnectionContext(services, socket.remoteAddress ?? '', socket.remotePort ?? 0)
  ctx.onClose(release)
  ctx.onClose(() => metrics.connectionsActive--)
  let ssh: Connection | undefined
  // Closed from the proxy's side (shutdown): an SSH disconnect and a FIN after what is still
  // queued (a session's last words), and a client that does not close its side is cut soon after.
  ctx.onClose(() => {
    if (socket.destroyed) return
    ssh?.end()
    socket.end()
    setTimeout(() => socket.destroy(), 500).unref()
  })
  socket.on('error', () => {})
  socket.once('close', () => ctx.close())
  socket.setNoDelay(true)
  ctx.log.info('connection.open')

  // The grace period starts at accept: ssh2 calls back only once the client's identification
  // line arrived, so a client that sends nothing would otherwise hold its startup slot forever.
  const graceTimer = ctx.timer(config.limits.loginGraceSeconds * 1000, () => {
    ctx.log.warn('login.grace_expired', {seconds: config.limits.loginGraceSeconds})
    if (!ssh) return socket.destroy()
    ssh.end()
    // A client that ignores the disconnect loses its slot all the same.
    setTimeout(() => socket.destroy(), 1000).unref()
  })

  const server = createSshServer({hostKeys: services.identity.hostKeys, ident: 'fleetctl', ciphers: services.config.ciphers}, (connection) => {
    ssh = connection
    connection.on('error', (error) => ctx.log.info('connection.error', {error}))
    connection.on('close', () => ctx.close())
    authenticateUsers(connection, ctx, 'any', () => {
      graceTimer()
      release()
    })
    connection.on('ready', () => {
      ctx.log.info('connection.authenticated', {key_id: ctx.user})
      metrics.authenticated(ctx)
      connection.on('tcpip', (accept, reject, info) => void jump(ctx, connection, accept, reject, info))
      connection.on('session', (accept, reject) => proxySubsystem(ctx, connection, accept, reject))
    })
    connection.once('close', () => ctx.log.info('connection.close'))
  })
  server.serve(socket)
}

/** Dial and verify the host first: its certificate's principals go into the one the proxy mints. */
async function dial(ctx: ConnectionContext, host: string, port: number): Promise<UpstreamHost> {
  const {config, hostTrust} = ctx.services
  const upstream = await dialUpstream({
    host,
    port,
    hostName: host,
    hostTrust,
    acceptUnverifiedHostKeys: !config.checksHostKeys,
    // The login waits for the user to authenticate on the inner connection.
    readyTimeoutMs: (config.limits.loginGraceSeconds + 30) * 1000,
  })
  if (upstream.unverified) {
    ctx.log.warn('host.unverified', {
      host,
      port,
      fingerprint: upstream.unverified.fingerprint,
      reason: upstream.unverified.reason,
      msg: 'accepted a host key without a trusted host certificate because proxy_checks_host_keys is off',
    })
  }
  return upstream
}

function hostRejected(ctx: ConnectionContext, host: string, port: number, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  ctx.services.metrics.hostsRejected++
  ctx.log.warn('host.rejected', {host, port, reason: message})
  ctx.services.audit.write({event: 'host.rejected', session: ctx.id, client: ctx.client, user: ctx.user, login: null, host: `${host}:${port}`, reason: message})
  // The user reads this in ssh's "open failed" line: with what to do about it.
  const suggestions = error instanceof FleetError ? error.suggestions : []
  return suggestions.length > 0 ? `${message} (${suggestions.join('; ')})` : message
}

function startInner(ctx: ConnectionContext, connection: Connection, stream: Duplex, host: string, port: number, upstream: UpstreamHost): void {
  const hostKeys = ctx.services.identity.hostKeysFor([host, ...upstream.principals])
  serveInner(stream, {outer: ctx, outerConnection: connection, host, port, upstream, hostKeys})
}

async function jump(ctx: ConnectionContext, connection: Connection, accept: AcceptConnection<ServerChannel>, reject: RejectConnection, info: TcpipRequestInfo): Promise<void> {
  const {destIP: host, destPort: port} = info
  if (ctx.services.draining) return rejectChannelOpen(reject, 'fleetctl proxy: shutting down')
  let upstream: UpstreamHost
  try {
    upstream = await dial(ctx, host, port)
  } catch (error) {
    return rejectChannelOpen(reject, hostRejected(ctx, host, port, error))
  }
  if (ctx.closed || ctx.services.draining) {
    upstream.close()
    return rejectChannelOpen(reject, 'fleetctl proxy: shutting down')
  }
  ctx.log.info('jump.open', {host, port, host_key_id: upstream.hostKeyId})
  startInner(ctx, connection, accept(), host, port, upstream)
}

const SUBSYSTEM = /^proxy:(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/

/**
 * `ssh -A -p 3023 proxy -s proxy:host:port` (as a ProxyCommand): the session's subsystem channel
 * carries the inner connection. Anything else on a session gets a line saying how to use the proxy.
 */
function proxySubsystem(ctx: ConnectionContext, connection: Connection, accept: AcceptConnection<Session>, reject: RejectConnection): void {
  if (ctx.services.draining) return reject()
  const session = accept()
  const usage = (channel: ServerChannel) => {
    channel.stderr.write('fleetctl proxy: this is a recording SSH proxy; reach hosts through it with `ssh -J <proxy> <host>`\r\n')
    channel.exit(1)
    channel.end()
  }
  session.on('auth-agent', (acceptAgent: (() => void) | undefined) => acceptAgent?.())
  session.on('pty', (acceptPty: (() => void) | undefined) => acceptPty?.())
  session.on('env', (acceptEnv: (() => void) | undefined) => acceptEnv?.())
  session.on('shell', (acceptShell: () => ServerChannel) => usage(acceptShell()))
  session.on('exec', (acceptExec: () => ServerChannel) => usage(acceptExec()))
  session.on('subsystem', (acceptSubsystem: () => ServerChannel, _reject: unknown, info: {name: string}) => {
    // Accept at once (ssh2 cannot accept after the client's EOF); failures go to stderr.
    const channel = acceptSubsystem()
    channel.on('error', () => {})
    const match = SUBSYSTEM.exec(info.name)
    if (!match) {
      channel.stderr.write(`fleetctl proxy: unknown subsystem "${info.name}"; use -s proxy:<host>:<port>\r\n`)
      channel.exit(1)
      channel.end()
      return
    }
    const host = match[1] ?? match[2]!
    const port = Number(match[3])
    void dial(ctx, host, port).then(
      (upstream) => {
        if (ctx.closed || ctx.services.draining) {
          upstream.close()
          channel.stderr.write('fleetctl proxy: shutting down\r\n')
          channel.exit(255)
          channel.end()
          return
        }
        ctx.log.info('jump.open', {host, port, host_key_id: upstream.hostKeyId, via: 'subsystem'})
        startInner(ctx, connection, channel, host, port, upstream)
      },
      (error) => {
        channel.stderr.write(`${hostRejected(ctx, host, port, error)}\r\n`)
        channel.exit(255)
        channel.end()
      },
    )
  })
}
