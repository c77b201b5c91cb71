import type {Logger} from './log.js'
import type {ProxyServer} from './server.js'

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
