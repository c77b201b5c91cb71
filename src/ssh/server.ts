import type {Duplex} from 'node:stream'

import {type CipherPolicy, serverCiphers} from './algorithms.js'
import type {HostKeyEntry} from './host-certificate.js'
import {type ClientInfo, type Connection, nativeCrypto, type RejectConnection, Server, type ServerConfig} from './ssh2.js'

/** An ssh2 server that never listens itself: sockets and channel streams are handed to it. */
export interface SshServer {
  /** Run the SSH server side over an accepted socket or a channel stream (an inner connection). */
  serve(socket: Duplex): void
}

export interface SshServerOptions {
  hostKeys: HostKeyEntry[]
  /** The version string after `SSH-2.0-`. */
  ident?: string
  debug?: (line: string) => void
  /**
   * The largest channel data payload each way; for a connection served inside another SSH channel,
   * `tunnelledPacketSize(thatChannel)` (else every 32 KiB packet is split in two on the way out).
   */
  channelPacketSize?: number
  /** Which AEAD ciphers to offer (default `fast`). */
  ciphers?: CipherPolicy
}

/** Framing around a channel data payload, with room to spare: length, padding length, header, padding, MAC. */
const PACKET_FRAMING = 128

/**
 * The channel data payload size at which a whole packet of a connection running inside `channel`
 * (an ssh2 channel stream) fits in one data packet of that channel; undefined for other streams.
 */
export function tunnelledPacketSize(channel: Duplex): number | undefined {
  const packetSize = (channel as {outgoing?: {packetSize?: unknown}}).outgoing?.packetSize
  return typeof packetSize === 'number' && packetSize > 2 * PACKET_FRAMING ? packetSize - PACKET_FRAMING : undefined
}

/** An ssh2 `Server` for `hostKeys`; `onConnection` gets every connection served on it. */
export function createSshServer(options: SshServerOptions, onConnection: (connection: Connection, info: ClientInfo) => void): SshServer {
  const server = new Server(
    // channelPacketSize: added in vendor/ssh2.
    {
      algorithms: {cipher: serverCiphers(options.ciphers) as never},
      debug: options.debug,
      hostKeys: options.hostKeys as never,
      ident: options.ident,
      channelPacketSize: options.channelPacketSize,
    } as ServerConfig,
    onConnection,
  )
  return {serve: (socket) => server.injectSocket(socket as never)}
}

/** RFC 4254 channel-open failure reason codes. */
export const ChannelOpenFailure = {
  administrativelyProhibited: 1,
  connectFailed: 2,
  unknownChannelType: 3,
  resourceShortage: 4,
} as const

/**
 * Reject a channel open with a reason the client prints (`ssh -W` shows "channel 0: open failed:
 * connect failed: <description>"); vendor/ssh2's reject carries both.
 */
export function rejectChannelOpen(reject: RejectConnection, description: string, code: number = ChannelOpenFailure.connectFailed): void {
  ;(reject as unknown as (code: number, description: string) => void)(code, description)
}

/** Whether ssh2's native crypto binding (AES-GCM, ChaCha20-Poly1305 in C) loaded; pure JS is slower. */
export function nativeCryptoLoaded(): boolean {
  return nativeCrypto().loaded
}
