import type {Logger} from './log.js'
import type {ProxyServer} from './server.js'

/**
 * Settings for a process that is the proxy. Small Buffers normally come from Node's shared 8 KiB
 * pool, and one kept for a connection's life (an identification string, a certificate blob, a
 * cipher's tag buffer) keeps its whole 8 KiB slab alive: about a third of what an idle session
 * held. The proxy's hot paths allocate packet-sized Buffers, which never came from the pool.
 */
export function tuneProcessForProxy(): void {
  Buffer.poolSize = 0
}

/**
 * Serve until SIGTERM or SIGINT: the first one closes the server (stop accepting, let sessions
 * finish up to the grace period, close every connection, recording and the audit log), then the
 * process exits 0; a second one brings the close forward to now and exits 1 at once. The exit is
 * explicit so nothing left open can keep a stopped proxy running (systemd would SIGKILL it).
 */
export function runUntilSignalled(server: ProxyServer, log: Logger, exit: (code: number) => void = (code) => process.exit(code)): Promise<void> {
  return new Promise((resolve) => {
    let signals = 0
    const onSignal = (signal: NodeJS.Signals) => {
      signals++
      if (signals === 1) {
        log.info('proxy.signal', {signal, msg: 'draining; send the signal again to exit at once'})
        void server.close().then(
          () => {
            resolve()
            // After a second signal, that one's exit (1) is the one that counts.
            if (signals === 1) exit(0)
          },
          (error) => {
            log.error('proxy.shutdown_failed', {error})
            resolve()
            exit(1)
          },
        )
        return
      }
      log.warn('proxy.signal', {signal, msg: 'exiting at once'})
      const bound = new Promise((resolve) => setTimeout(resolve, SECOND_SIGNAL_MS).unref())
      void Promise.race([server.close(0), bound]).finally(() => exit(1))
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}

/** After a second signal: how long closing (recordings flushed, audit closed) may take before the exit. */
const SECOND_SIGNAL_MS = 1000
