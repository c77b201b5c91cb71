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
 * Serve until SIGTERM or SIGINT: the first one drains (stop accepting, let sessions finish up to
 * the grace period, close every recording); a second one closes recordings and exits at once.
 */
export function runUntilSignalled(server: ProxyServer, log: Logger, exit: (code: number) => void = (code) => process.exit(code)): Promise<void> {
  return new Promise((resolve) => {
    let signals = 0
    const onSignal = (signal: NodeJS.Signals) => {
      signals++
      if (signals === 1) {
        log.info('proxy.signal', {signal, msg: 'draining; send the signal again to exit at once'})
        void server.shutdown().then(resolve, (error) => {
          log.error('proxy.shutdown_failed', {error})
          resolve()
        })
        return
      }
      log.warn('proxy.signal', {signal, msg: 'exiting at once'})
      void server.closeNow().finally(() => exit(1))
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}
