import {type AcceptConnection, ChannelOpenFailure, type RejectConnection, rejectChannelOpen, type ServerChannel, type TcpipRequestInfo} from '../ssh/index.js'
import {certificateRestrictions} from './context.js'
import type {SessionHost} from './inner-target.js'
import {closed, flushed, pump} from './streams.js'

/**
 * A `direct-tcpip` channel on the inner connection (`ssh -L`, `-D`, `-W` through the host):
 * opened from the host with the user's login when the certificate has permit-port-forwarding.
 */
export function bridgeForward(accept: AcceptConnection<ServerChannel>, reject: RejectConnection, info: TcpipRequestInfo, host: SessionHost): void {
  const {ctx, target} = host
  const {audit, metrics} = ctx.services
  const fields = {session: ctx.id, user: ctx.user, login: ctx.login, host: target.host, client: ctx.client, direction: 'local', destHost: info.destIP, destPort: info.destPort, origHost: info.srcIP, origPort: info.srcPort}
  if (!certificateRestrictions(ctx.certificate!).permitPortForwarding) {
    const reason = 'the certificate has no permit-port-forwarding'
    ctx.log.info('port.forward.refused', {...fields, reason})
    audit.write({event: 'port.forward', ...fields, allowed: false, reason})
    return rejectChannelOpen(reject, 'port forwarding is not permitted by your certificate (no permit-port-forwarding)', ChannelOpenFailure.administrativelyProhibited)
  }
  if (ctx.services.draining || ctx.sessions >= ctx.services.config.limits.maxSessionsPerConnection) {
    return rejectChannelOpen(reject, 'the proxy is shutting down or this connection has too many channels', ChannelOpenFailure.resourceShortage)
  }
  ctx.sessions++
  void (async () => {
    try {
      const upstream = await host.upstream()
      const remote = await new Promise<import('../ssh/index.js').ClientChannel>((resolve, rejectOpen) =>
        upstream.client.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (error, channel) => (error ? rejectOpen(error) : resolve(channel))),
      )
      const channel = accept()
      channel.on('error', () => {})
      remote.on('error', () => {})
      metrics.forwards++
      audit.write({event: 'port.forward', ...fields, allowed: true})
      ctx.log.info('port.forward', fields)
      const active = {done: closed(channel), abort: () => channel.close()}
      ctx.services.active.add(active)
      const inbound = pump(channel, remote, (chunk) => {
        metrics.bytes.in += chunk.length
      }).then(() => remote.end())
      // Everything the host sent leaves the client's channel before its EOF, and before the
      // close that follows the host's: closing at once would drop what is still queued there.
      const outbound = pump(remote, channel, (chunk) => {
        metrics.bytes.out += chunk.length
      }).then(async () => {
        await flushed(channel)
        channel.end()
      })
      channel.once('close', () => remote.close())
      remote.once('close', () => void outbound.then(() => channel.close()))
      await Promise.all([inbound, outbound])
      ctx.services.active.delete(active)
    } catch (error) {
      ctx.log.info('port.forward.failed', {...fields, error})
      rejectChannelOpen(reject, `fleetctl proxy: ${(error as Error).message}`)
    } finally {
      ctx.sessions--
    }
  })()
}
