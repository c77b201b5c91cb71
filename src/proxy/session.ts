import {randomUUID} from 'node:crypto'
import {basename} from 'node:path'

import {FleetError} from '../base/errors.js'
import type {ClientChannel, PseudoTtyInfo, ServerChannel, UpstreamConnection} from '../ssh/index.js'
import {certificateRestrictions, type ConnectionContext} from './context.js'
import type {InnerTarget} from './inner.js'
import type {SessionInfo, StreamRecording, TerminalRecording} from './recording.js'
import {closed, flushed, pump} from './streams.js'

/** What a session needs from the inner connection it runs on. */
export interface SessionHost {
  ctx: ConnectionContext
  target: InnerTarget
  /** The client asked to forward its agent on the inner connection. */
  onAgentRequest(): void
  /** The upstream connection, logged in on first use. */
  upstream(): Promise<UpstreamConnection>
}

type Accept<T> = (() => T) | undefined
type Reject = (() => void) | undefined
type ExitListener = (code: null | number, signal?: string, coreDumped?: boolean, description?: string) => void

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
 * Bridge one session channel of the inner connection to a session on the host, one request to
 * one request: pty-req, env, shell/exec/subsystem, window-change, signal, break, data both ways,
 * stderr, EOF, exit-status/exit-signal. Real-session requests are accepted at once (ssh2 refuses
 * a late accept after the client's EOF, which `ssh host cmd </dev/null` sends right after exec)
 * and the host's session is opened behind them; a failure there reaches the client as a message
 * on stderr and exit status 255.
 */
export function bridgeSession(acceptSession: Accept<import('../ssh/index.js').Session>, rejectSession: Reject, host: SessionHost): void {
  const {ctx, target} = host
  const {services} = ctx
  if (services.draining || !acceptSession) return rejectSession?.()
  const session = acceptSession()
  const restrictions = certificateRestrictions(ctx.certificate!)
  const env: Record<string, string> = {}
  let pty: PseudoTtyInfo | undefined
  let remote: ClientChannel | undefined
  let recording: TerminalRecording | undefined
  let started = false
  /** Why the proxy ended the session itself (shutdown), for its session.end line. */
  let cut: string | undefined

  /**
   * End the session from the proxy's side, telling the user why. The host's side closes at once;
   * the message leaves after the output already queued for the client (the session's normal end
   * waits for that, then sends EOF and close), or the channel is closed after a bound for a client
   * that reads nothing more. Once: the first reason is the one the user sees.
   */
  let ending = false
  const endSession = (channel: ServerChannel, message: string) => {
    if (ending) return
    ending = true
    if (channel.writable) channel.stderr.write(`\r\nfleetctl proxy: ${message}\r\n`)
    remote?.close()
    setTimeout(() => channel.close(), 2000).unref()
  }

  session.on('error', () => {})
  session.on('auth-agent', (accept: Accept<void>) => {
    host.onAgentRequest()
    accept?.()
  })
  session.on('pty', (accept: Accept<void>, reject: Reject, info: PseudoTtyInfo) => {
    if (!restrictions.permitPty) {
      ctx.log.info('pty.refused', {reason: 'the certificate has no permit-pty'})
      return reject?.()
    }
    pty = terminalSize(info)
    accept?.()
  })
  session.on('env', (accept: Accept<void>, _reject: Reject, info: {key: string; val: string}) => {
    env[info.key] = info.val
    accept?.()
  })
  session.on('window-change', (accept: Accept<void>, _reject: Reject, info: {cols: number; height: number; rows: number; width: number}) => {
    const size = terminalSize(info)
    if (pty) pty = {...pty, ...size}
    remote?.setWindow(size.rows, size.cols, size.height, size.width)
    recording?.resize(size.cols, size.rows)
    accept?.()
  })
  session.on('signal', (accept: Accept<void>, _reject: Reject, info: {name: string}) => {
    try {
      remote?.signal(info.name)
    } catch {
      // ssh2 refuses signal names outside RFC 4254's list; sshd would ignore them too.
    }
    accept?.()
  })
  session.on('break', (accept: Accept<void>, _reject: Reject, info: {length: number}) => {
    remote?.sendBreak(info.length)
    accept?.()
  })
  session.on('x11', (_accept: Accept<void>, reject: Reject) => reject?.())

  const start = (request: Started, accept: Accept<ServerChannel>) => {
    if (started || !accept) return
    started = true
    const channel = accept()
    channel.on('error', () => {})
    void run(channel, request).catch((error) => {
      ctx.log.error('session.failed', {error})
      if (channel.writable) refuse(channel, `fleetctl proxy: ${describe(error)}`)
    })
  }
  session.on('shell', (accept: Accept<ServerChannel>) => start({kind: 'shell'}, accept))
  session.on('exec', (accept: Accept<ServerChannel>, _reject: Reject, info: {command: string}) => start({kind: 'exec', request: info.command}, accept))
  session.on('subsystem', (accept: Accept<ServerChannel>, _reject: Reject, info: {name: string}) => start({kind: 'subsystem', request: info.name}, accept))

  async function run(channel: ServerChannel, request: Started): Promise<void> {
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
    const done = new Promise<void>((resolve) => (finish = resolve))
    const active = {done, abort: (reason: string) => {
      ctx.log.warn('session.aborted', {reason})
      cut ??= reason
      endSession(channel, `${reason}; closing this session`)
    }}
    services.active.add(active)
    try {
      await runSession(channel, request)
    } finally {
      ctx.sessions--
      releaseUser()
      services.active.delete(active)
      finish()
    }
  }

  async function runSession(channel: ServerChannel, request: Started): Promise<void> {
    const {audit, metrics, recorder} = services
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
    const fields = {session: info.id, user: info.user, login: info.login, host: info.host, client: info.client}

    let streams: StreamRecording | undefined
    /** The failure that ended the session, for its session.end line. */
    let recordingError: string | undefined
    // Fail closed: a recording that stops being written ends the session it records.
    const recordingFailed = (error: Error) => {
      metrics.recordingFailures++
      log.error('recording.failed', {error})
      recordingError ??= error.message
      endSession(channel, `ending the session: its recording can no longer be written (${error.message}); tell the proxy's operator`)
    }
    try {
      if (pty) recording = await recorder.startTerminal(info, recordingFailed)
      else streams = await recorder.startStreams(info, recordingFailed)
    } catch (error) {
      metrics.sessionsRefused++
      log.error('recording.failed', {error})
      return refuse(channel, `fleetctl proxy: refusing the session: its recording cannot be written (${(error as Error).message}); tell the proxy's operator`)
    }

    const terminalBytes = {stdin: 0, stdout: 0, stderr: 0}
    let exit: {code?: number; signal?: string; coreDumped?: boolean; description?: string} | undefined
    let begun = false
    try {
      const upstream = await host.upstream()
      // The exit status may come in the same read as the request's reply, before this function resumes.
      remote = await openRemote(upstream, request, (code, signal, coreDumped, description) => {
        exit = code === null || code === undefined ? {signal, coreDumped, description} : {code}
      })
      begun = true
      metrics.sessionStarted(request.kind)
      const ptyInfo = info.pty ?? null
      audit.write({event: 'session.start', ...fields, kind: request.kind, pty: ptyInfo, recording: recording ? basename(recording.path) : null})
      if (request.kind === 'exec' || (request.kind === 'shell' && info.command !== undefined)) {
        audit.write({event: 'exec', ...fields, command: info.command, pty: ptyInfo !== null})
      } else if (request.kind === 'subsystem') {
        audit.write({event: 'subsystem', ...fields, name: request.request})
      }
      log.info('session.start', {kind: request.kind, command: info.command, pty: ptyInfo !== null})

      remote.on('error', () => {})
      channel.once('close', () => remote?.close())

      const terminal = recording
      const inbound = pump(channel, remote, (chunk) => {
        metrics.bytes.in += chunk.length
        if (!terminal) return streams!.stdin(chunk)
        terminalBytes.stdin += chunk.length
      }).then(() => remote?.end())
      const outbound = pump(remote, channel, (chunk) => {
        metrics.bytes.out += chunk.length
        if (!terminal) return streams!.stdout(chunk)
        terminalBytes.stdout += chunk.length
        return terminal.output(chunk)
      })
      const errors = pump(remote.stderr, channel.stderr, (chunk) => {
        metrics.bytes.out += chunk.length
        if (!terminal) return streams!.stderr(chunk)
        terminalBytes.stderr += chunk.length
        return terminal.output(chunk)
      })
      await Promise.all([outbound, errors, closed(remote)])
      // Everything the host sent is queued on the client's channel before its exit status and close.
      await Promise.all([flushed(channel), flushed(channel.stderr)])
      if (exit?.code !== undefined) channel.exit(exit.code)
      else if (exit?.signal) channel.exit(exit.signal.replace(/^SIG/, ''), exit.coreDumped ?? false, exit.description ?? '')
      channel.end()
      void inbound
    } finally {
      if (!begun) metrics.sessionsRefused++
      else metrics.sessionsActive--
      const end = {exitStatus: exit?.code, exitSignal: exit?.signal}
      const totals = streams ? await streams.close(end).catch(() => undefined) : undefined
      if (recording) await recording.close(end).catch((error) => log.error('recording.close_failed', {error}))
      recording = undefined
      if (begun) {
        const duration = (Date.now() - info.startedAt.getTime()) / 1000
        audit.write({
          event: 'session.end',
          ...fields,
          duration,
          exitStatus: exit?.code ?? null,
          exitSignal: exit?.signal ?? null,
          ...(cut ? {cut} : {}),
          ...(recordingError ? {recordingError} : {}),
          bytes: totals ? {stdin: totals.stdin.bytes, stdout: totals.stdout.bytes, stderr: totals.stderr.bytes} : terminalBytes,
          ...(totals ? {sha256: {stdin: totals.stdin.sha256, stdout: totals.stdout.sha256, stderr: totals.stderr.sha256}} : {}),
        })
        log.info('session.end', {exit_status: exit?.code, exit_signal: exit?.signal, duration_seconds: duration, cut, recording_error: recordingError})
      }
    }
  }

  /**
   * Open the host's session with the same requests the client made. `onExit` listens from the
   * moment the channel exists: ssh2 parses every packet of a read at once, so a quick command's
   * exit status can be emitted before an `await` on the returned promise resumes.
   */
  function openRemote(upstream: UpstreamConnection, request: Started, onExit: ExitListener): Promise<ClientChannel> {
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
