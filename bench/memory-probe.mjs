/**
 * Preloaded into the proxy by bench/proxy.ts (`node --expose-gc --import`): on SIGUSR2, a full
 * garbage collection, then one JSON line with the memory left, so the bench counts what sessions
 * hold rather than whatever garbage the collector has not reached yet.
 */
process.on('SIGUSR2', () => {
  globalThis.gc()
  const {rss, heapUsed, external} = process.memoryUsage()
  process.stderr.write(`${JSON.stringify({event: 'bench.memory', rss, heapUsed, external})}\n`)
})
