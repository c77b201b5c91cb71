#!/usr/bin/env -S node --single-threaded-gc
// --single-threaded-gc: the garbage collector works on the main thread alone. The proxy frees a
// stream of packet buffers, so its collections are frequent and short, and parallel helpers
// mostly wait for each other: on 2 cores they cost about as much CPU again as moving bulk data
// (bench/proxy.ts: 5.1 -> 3.3 CPU seconds per GB, the event loop's share unchanged). V8 cannot
// switch this after start (it aborts), so it is here.
import {execute, settings} from '@oclif/core'

// The built commands in dist/ always, whatever NODE_ENV says: oclif would otherwise run the
// TypeScript sources through tsx when NODE_ENV is "test" or "development" (as under vitest),
// and tests would not run what ships. bin/dev.js is the entry for the sources.
settings.enableAutoTranspile = false

await execute({dir: import.meta.url})
