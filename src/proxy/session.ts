import {randomUUID} from 'node:crypto'

import {FleetError} from '../base/errors.js'
import type {ClientChannel, PseudoTtyInfo, ServerChannel, Session, UpstreamConnection} from '../ssh/index.js'
import {type ActiveSession, certificateRestrictions} from './context.js'
import type {SessionHost} from './inner-target.js'
import type {SessionInfo} from './recording.js'
import {SessionRecord} from './session-record.js'
import {closed, flushed, pump} from './streams.js'

type Accept<T> = (() => T) | undefined
type Reject = (() => void) | undefined

interface Started {
  kind: SessionInfo['kind']
  /** exec: the command; subsystem: its name. */
  request?: string
}

/** Take a refused session's channel: one line on stderr, exit status 255 (what ssh uses for its own failures). */
function refuse(channel: ServerChannel, message: string): void {
  channel.stderr.write(`${message}\r\n`)
  channel.exit(255)
  channel.end()
}

/**
 * The terminal size a PTY session gets. A client without a terminal (`ssh -tt host cmd` in CI)
 * asks for 0x0; the host's session and its recording both get 80x24 instead (a VT100's, what
 * terminals and players assume), so the recording says what the session had and every player
 * opens it.
 */
export function terminalSize<T extends {cols: number; rows: number}>(size: T): T {
  return size.cols > 0 && size.rows > 0 ? size : {...size, cols: size.cols || 80, rows: size.rows || 24}
}

function describe(error: unknown): string {
  if (error instanceof FleetError && error.suggestions.length > 0) return `${error.message}\r\n  ${error.suggestions.join('\r\n  ')}`
  return error instanceof Error ? error.message : String(error)
}

/**
 * Where a session is. `requesting`: the channel is open, pty-req and env are taken;
 * `opening`: shell/exec/subsystem arrived (accepted at once) and the recording, the login on the
 * host and the host's session are being opened; `running`: bridged; `closing`: the proxy is
 * ending it (shutdown, a failed recording), the user told why; `closed`: recorded, audited, done.
 */
export type SessionState = 'closed' | 'closing' | 'opening' | 'requesting' | 'running'

/** The states each state may move to: every change goes through SessionBridge.enter. */
const NEXT: {[S in SessionState]: readonly SessionState[]} = {
  requesting: ['opening'],
  opening: ['running', 'closing', 'closed'],
  running: ['closing', 'closed'],
  closing: ['closed'],
  closed: [],
}

/**
 * Bridge one session channel of the inner connection to a session on the host, one request to
 * one request: pty-req, env, shell/exec/subsystem, window-change, signal, break, data both ways,
 * stderr, EOF, exit-status/exit-signal. Real-session requests are accepted at once (ssh2 refuses
 * a late accept after the client's EOF, which `ssh host cmd </dev/null` sends right after exec)
 * and the host's session is opened behind them; a failure there reaches the client as a message
 * on stderr and exit status 255.
 */
export function bridgeSession(acceptSession: Accept<Session>, rejectSession: Reject, host: SessionHost): void {
  if (host.ctx.services.draining || !acceptSession) return rejectSession?.()
  new SessionBridge(acceptSession(), host)
}

class SessionBridge {
  private state: SessionState = 'requesting'
  private readonly restrictions
  private readonly env: Record<string, string> = {}
  private pty?: PseudoTtyInfo
  /** The client's channel, once shell/exec/subsystem was accepted. */
  private channel?: ServerChannel
  /** The host's session, once open. */
  private remote?: ClientChannel
  private record?: SessionRecord
  /** Why the proxy ended the session itself (shutdown), for its session.end line. */
  private cut?: string

  constructor(
    session: Session,
    private readonly host: SessionHost,
  ) {
    const {ctx} = host
    this.restrictions = certificateRestrictions(ctx.certificate!)
    session.on('error', () => {})
    session.on('auth-agent', (accept: Accept<void>) => {
      host.onAgentRequest()
      accept?.()
    })
    session.on('pty', (accept: Accept<void>, reject: Reject, info: PseudoTtyInfo) => {
      if (!this.restrictions.permitPty) {
        ctx.log.info('pty.refused', {reason: 'the certificate has no permit-pty'})
        return reject?.()
      }
      this.pty = terminalSize(info)
      accept?.()
    })
    session.on('env', (accept: Accept<void>, _reject: Reject, info: {key: string; val: string}) => {
      this.env[info.key] = info.val
      accept?.()
    })
    session.on('window-change', (accept: Accept<void>, _reject: Reject, info: {cols: number; height: number; rows: number; width: number}) => {
      const size = terminalSize(info)
      if (this.pty) this.pty = {...this.pty, ...size}
      this.remote?.setWindow(size.rows, size.cols, size.height, size.width)
      this.record?.resize(size.cols, size.rows)
      accept?.()
    })
    session.on('signal', (accept: Accept<void>, _reject: Reject, info: {name: string}) => {
      try {
        this.remote?.signal(info.name)
      } catch {
        // ssh2 refuses signal names outside RFC 4254's list; sshd would ignore them too.
      }
      accept?.()
    })
    session.on('break', (accept: Accept<void>, _reject: Reject, info: {length: number}) => {
      this.remote?.sendBreak(info.length)
      accept?.()
    })
    session.on('x11', (_accept: Accept<void>, reject: Reject) => reject?.())
    session.on('shell', (accept: Accept<ServerChannel>) => this.start({kind: 'shell'}, accept))
    session.on('exec', (accept: Accept<ServerChannel>, _reject: Reject, info: {command: string}) => this.start({kind: 'exec', request: info.command}, accept))
    session.on('subsystem', (accept: Accept<ServerChannel>, _reject: Reject, info: {name: string}) => this.start({kind: 'subsystem', request: info.name}, accept))
  }

  /** Move to `next` if the current state allows it; false (and no change) otherwise. */
  private enter(next: SessionState): boolean {
    if (!NEXT[this.state].includes(next)) return false
    this.state = next
    return true
  }

  /** The first shell/exec/subsystem request: accept it and open the host's side behind it. */
  private start(request: Started, accept: Accept<ServerChannel>): void {
    if (!accept || !this.enter('opening')) return
    const channel = accept()
    this.channel = channel
    channel.on('error', () => {})
    void this.run(channel, request)
      .catch((error) => {
        this.host.ctx.log.error('session.failed', {error})
        if (channel.writable) refuse(channel, `fleetctl proxy: ${describe(error)}`)
      })
      .finally(() => this.enter('closed'))
  }

  /**
   * End the session from the proxy's side, telling the user why. The host's side closes at once;
   * the message leaves after the output already queued for the client (the session's normal end
   * waits for that, then sends EOF and close), or the channel is closed after a bound for a client
   * that reads nothing more. Once: the first reason is the one the user sees.
   */
  private end(message: string): void {
    const channel = this.channel
    if (!channel || !this.enter('closing')) return
    if (channel.writable) channel.stderr.write(`\r\nfleetctl proxy: ${message}\r\n`)
    this.remote?.close()
    setTimeout(() => channel.close(), 2000).unref()
  }

  /** Within the connection's and the user's session limits, and known to shutdown while it runs. */
  private async run(channel: ServerChannel, request: Started): Promise<void> {
    const {ctx} = this.host
    const {services} = ctx
    const {config} = services
    if (ctx.sessions >= config.limits.maxSessionsPerConnection) {
      services.metrics.sessionsRefused++
      return refuse(channel, `fleetctl proxy: too many sessions on this connection (at most ${config.limits.maxSessionsPerConnection})`)
    }
    const releaseUser = services.userSessions.acquire(ctx.user!)
    if (!releaseUser) {
      services.metrics.sessionsRefused++
      return refuse(channel, `fleetctl proxy: too many sessions for ${ctx.user} (at most ${config.limits.maxSessionsPerUser})`)
    }
    ctx.sessions++
    let finish!: () => void
    const active: ActiveSession = {
      done: new Promise<void>((resolve) => (finish = resolve)),
      abort: (reason: string) => {
        ctx.log.warn('session.aborted', {reason})
        this.cut ??= reason
        this.end(`${reason}; closing this session`)
      },
    }
    services.active.add(active)
    try {
      await this.bridge(channel, request)
    } finally {
      ctx.sessions--
      releaseUser()
      services.active.delete(active)
      finish()
    }
  }

  /** Record, log in, open the host's session, and copy both ways until the host's side closes. */
  private async bridge(channel: ServerChannel, request: Started): Promise<void> {
    const {ctx, target} = this.host
    const {services} = ctx
    const {restrictions, pty} = this
    const info: SessionInfo = {
      id: randomUUID(),
      user: ctx.user!,
      keyId: ctx.user!,
      login: ctx.login!,
      host: target.host,
      port: target.port,
      client: ctx.client,
      kind: request.kind,
      command: restrictions.forceCommand ?? request.request,
      originalCommand: restrictions.forceCommand === undefined ? undefined : request.request,
      pty: pty ? {cols: pty.cols, rows: pty.rows, term: pty.term} : undefined,
      startedAt: new Date(),
    }
    const log = ctx.log.child({session: info.id})
    let record: SessionRecord
    try {
      record = await SessionRecord.open(services, info, log, (message) => this.end(message))
    } catch (error) {
      services.metrics.sessionsRefused++
      log.error('recording.failed', {error})
      return refuse(channel, `fleetctl proxy: refusing the session: its recording cannot be written (${(error as Error).message}); tell the proxy's operator`)
    }
    this.record = record

    try {
      const upstream = await this.host.upstream()
      // The exit status may come in the same read as the request's reply, before this function resumes.
      const remote = await this.openRemote(upstream, request, (...exit) => record.exited(...exit))
      this.remote = remote
      record.started(request.request, this.host.target.outer)
      // Ended while the host's session was opening: it closes at once (the user was told why).
      if (!this.enter('running')) remote.close()

      remote.on('error', () => {})
      channel.once('close', () => remote.close())

      const {taps} = record
      const inbound = pump(channel, remote, taps.stdin).then(() => remote.end())
      const outbound = pump(remote, channel, taps.stdout)
      const errors = pump(remote.stderr, channel.stderr, taps.stderr)
      await Promise.all([outbound, errors, closed(remote)])
      // Everything the host sent is queued on the client's channel before its exit status and close.
      await Promise.all([flushed(channel), flushed(channel.stderr)])
      const {exit} = record
      if (exit?.code !== undefined) channel.exit(exit.code)
      else if (exit?.signal) channel.exit(exit.signal.replace(/^SIG/, ''), exit.coreDumped ?? false, exit.description ?? '')
      channel.end()
      void inbound
    } finally {
      this.record = undefined
      await record.close(this.cut)
    }
  }

  /**
   * Open the host's session with the same requests the client made. `onExit` listens from the
   * moment the channel exists: ssh2 parses every packet of a read at once, so a quick command's
   * exit status can be emitted before an `await` on the returned promise resumes.
   */
  private openRemote(upstream: UpstreamConnection, request: Started, onExit: (code: null | number, signal?: string, coreDumped?: boolean, description?: string) => void): Promise<ClientChannel> {
    const {env, pty} = this
    const ptyOptions = pty ? {cols: pty.cols, rows: pty.rows, width: pty.width, height: pty.height, term: pty.term, modes: pty.modes} : undefined
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, channel: ClientChannel) => {
        if (error) return reject(new Error(`the host refused the ${request.kind} request: ${error.message}`))
        channel.on('exit', onExit)
        resolve(channel)
      }
      const {client} = upstream
      if (request.kind === 'shell') client.shell(ptyOptions ?? false, {env}, done)
      else if (request.kind === 'exec') client.exec(request.request ?? '', {env, pty: ptyOptions}, done)
      else client.subsys(request.request ?? '', done)
    })
  }
}
