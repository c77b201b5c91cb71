/**
 * An in-process ssh2 Server for tests: host keys as given, publickey auth decided by the test,
 * exec requests answered by the test. Listens on a free loopback port.
 */
import type {AddressInfo, Socket} from 'node:net'

import * as ssh2 from '../../src/ssh/ssh2.js'
import type {Connection, PublicKeyAuthContext, ServerChannel, ServerConfig} from 'ssh2'

export interface AuthRecord {
  username: string
  algo: string
  hashAlgo?: string
  signed: boolean
  accepted: boolean
  reason?: string
}

export interface TestServerOptions {
  hostKeys: ServerConfig['hostKeys']
  /** Decide one publickey attempt: true to accept, or a reason string to reject. */
  authorize(ctx: PublicKeyAuthContext): true | string
  /** Answer an exec request; the channel is closed by the helper after the promise settles. */
  onExec?(command: string, channel: ServerChannel, connection: Connection): Promise<number>
  /**
   * Answer an exec request at once instead: the request's reply, the output and the exit status
   * leave in one socket write (the socket is corked while they are queued).
   */
  answerAtOnce?(command: string): {code: number; stdout: string}
  /** More ssh2 server settings (keepaliveInterval, ...). */
  serverConfig?: Omit<ServerConfig, 'hostKeys'>
}

export interface TestServer {
  port: number
  auths: AuthRecord[]
  /** Negotiated host-key algorithms, one per handshake. */
  hostKeyAlgorithms: string[]
  errors: Error[]
  close(): Promise<void>
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const auths: AuthRecord[] = []
  const hostKeyAlgorithms: string[] = []
  const errors: Error[] = []
  const connections = new Set<Connection>()
  const server = new ssh2.Server({...options.serverConfig, hostKeys: options.hostKeys}, (connection) => {
    connections.add(connection)
    connection.on('close', () => connections.delete(connection))
    connection.on('error', (err) => errors.push(err))
    connection.on('handshake', (negotiated) => hostKeyAlgorithms.push(negotiated.serverHostKey))
    connection.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey'])
      const decision = options.authorize(ctx)
      auths.push({
        username: ctx.username,
        algo: ctx.key.algo,
        hashAlgo: ctx.hashAlgo,
        signed: ctx.signature !== undefined,
        accepted: decision === true,
        reason: decision === true ? undefined : decision,
      })
      if (decision === true) ctx.accept()
      else ctx.reject(['publickey'])
    })
    connection.on('ready', () => {
      connection.on('session', (acceptSession) => {
        const session = acceptSession()
        session.on('auth-agent', (accept) => accept?.())
        session.on('exec', (accept, _reject, info) => {
          if (options.answerAtOnce) {
            const socket = (connection as unknown as {_sock: Socket})._sock
            socket.cork()
            const {code, stdout} = options.answerAtOnce(info.command)
            const channel = accept()
            channel.write(stdout)
            channel.exit(code)
            channel.end()
            process.nextTick(() => socket.uncork())
            return
          }
          const channel = accept()
          const run = options.onExec ? options.onExec(info.command, channel, connection) : Promise.resolve(0)
          run
            .catch((err: Error) => {
              channel.stderr.write(`server: ${err.message}\n`)
              return 1
            })
            .then((code) => {
              channel.exit(code)
              channel.end()
            })
        })
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    auths,
    hostKeyAlgorithms,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.end()
        server.close(() => resolve())
      }),
  }
}
