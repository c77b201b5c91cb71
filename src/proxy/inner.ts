import type {Duplex} from 'node:stream'

import {FleetError} from '../base/errors.js'
import {
  type Connection,
  createSshServer,
  FORWARD_AGENT_HINT,
  ForwardedAgent,
  tunnelledPacketSize,
  type UpstreamConnection,
} from '../ssh/index.js'
import {authenticateUsers} from './auth.js'
import {ConnectionContext} from './context.js'
import {bridgeForward} from './forward.js'
import type {InnerTarget, SessionHost} from './inner-target.js'
import {bridgeSession} from './session.js'

/**
 * Terminate the user's SSH connection to `target.host` inside the proxy: an in-process SSH
 * server on `stream` (the jump channel) presenting the minted host certificate. It checks the
 * user certificate again for the requested login, then bridges each channel to the host.
 */
export function serveInner(stream: Duplex, target: InnerTarget): void {
  const {outer} = target
  const {services} = outer
  const ctx = new ConnectionContext(services, outer.clientIp, outer.clientPort, {host: target.host, port: target.port, inner: true})
  outer.onClose(() => ctx.close())
  ctx.onClose(() => target.upstream.close())
  // Before the inner handshake there is no SSH connection to end: end the channel it would run on.
  ctx.onClose(() => {
    if (!stream.writableEnded) stream.end()
  })
  stream.on('error', () => {})

  // Every packet of the inner connection fits in one packet of the jump channel, and the host's
  // session sends pieces that fit in one inner packet: no leg splits a packet in two.
  const packetSize = tunnelledPacketSize(stream)
  const server = createSshServer({hostKeys: target.hostKeys, ident: 'fleetctl', channelPacketSize: packetSize, ciphers: ctx.services.config.ciphers}, (connection) => {
    connection.on('error', (error) => ctx.log.info('inner.error', {error}))
    connection.on('close', () => ctx.close())
    ctx.onClose(() => connection.end())
    const graceTimer = ctx.timer(services.config.limits.loginGraceSeconds * 1000, () => {
      ctx.log.warn('login.grace_expired', {seconds: services.config.limits.loginGraceSeconds})
      connection.end()
    })
    authenticateUsers(connection, ctx, 'requested', graceTimer)

    let agentRequested = false
    let upstream: Promise<UpstreamConnection> | undefined
    const host: SessionHost = {
      ctx,
      target,
      onAgentRequest: () => (agentRequested = true),
      upstream: () => (upstream ??= loginUpstream(ctx, target, agentRequested ? connection : undefined, packetSize)),
    }
    connection.on('ready', () => {
      ctx.log.info('inner.authenticated', {key_id: ctx.user})
      connection.on('session', (accept, reject) => bridgeSession(accept, reject, host))
      connection.on('tcpip', (accept, reject, info) => bridgeForward(accept, reject, info, host))
      // Remote forwards (ssh -R) would listen on the host and are not bridged: ssh2 refused them
      // silently; refuse them here so the refusal the client prints has an audit line too.
      connection.on('request', (_accept, reject, name, info) => {
        reject?.()
        if (name !== 'tcpip-forward') return
        const fields = {session: ctx.id, user: ctx.user, login: ctx.login, host: target.host, client: ctx.client, direction: 'remote', destHost: info.bindAddr, destPort: info.bindPort}
        const reason = 'remote forwards (ssh -R) are not supported through the proxy'
        ctx.log.info('port.forward.refused', {...fields, reason})
        services.audit.write({event: 'port.forward', ...fields, allowed: false, reason})
      })
    })
  })
  server.serve(stream)
}

/**
 * Log in to the host as the requested login with the user's agent: the one forwarded on the
 * inner connection when the client asked for that, else the one behind the outer connection.
 */
async function loginUpstream(
  ctx: ConnectionContext,
  target: InnerTarget,
  innerConnection: Connection | undefined,
  channelPacketSize: number | undefined,
): Promise<UpstreamConnection> {
  const agent = new ForwardedAgent(innerConnection ?? target.outerConnection)
  try {
    const connection = await target.upstream.login(ctx.login!, agent, {channelPacketSize})
    ctx.log.info('upstream.authenticated', {agent: innerConnection ? 'inner' : 'outer'})
    return connection
  } catch (error) {
    if (error instanceof FleetError && error.code === 'agent-unavailable') {
      ctx.services.audit.write({event: 'agent.missing', session: ctx.id, client: ctx.client, user: ctx.user, login: ctx.login, host: target.host, hint: FORWARD_AGENT_HINT})
      ctx.log.warn('agent.missing', {host: target.host})
      throw new FleetError(`fleetctl proxy: no ssh agent reachable to log in to ${ctx.login}@${target.host}: ${FORWARD_AGENT_HINT}`, {
        code: 'agent-missing',
        exit: 'untrusted',
        cause: error,
      })
    }
    throw error
  }
}
