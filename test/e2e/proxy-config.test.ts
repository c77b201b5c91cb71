/**
 * `fleetctl proxy start` with a config file checked against the schema: an unknown key or a
 * wrong value stops it before it makes or opens anything (exit 2, the file, line and key named),
 * and a valid file is used with flags' environment variables still winning over it.
 */
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {fleetctl} from '../helpers/fleetctl.js'
import {startProxy} from '../helpers/proxy.js'
import {tmpDir} from '../helpers/tmp.js'

describe('proxy start reads a checked config', () => {
  const tmp = tmpDir('fleetctl-proxy-config-')
  afterAll(() => tmp.remove())

  // If the file were not checked the proxy would start and run until this timeout: the test fails, it does not hang.
  const start = (home: string, args: string[] = []) => fleetctl(['proxy', 'start', '--listen', '127.0.0.1:0', '--web-listen', 'off', ...args], {home, timeout: 30_000})

  it('refuses an unknown key in config.yaml with its line and the key meant, exit 2, and starts nothing', async () => {
    const home = tmp.dir('home-unknown')
    const config = join(home, 'config.yaml')
    writeFileSync(config, 'cluster: test\nproxy:\n  listen_adress: 127.0.0.1:3023\n')
    const result = await start(home)
    expect(result.exitCode, result.stderr).toBe(2)
    expect(result.stderr).toContain(`${config}:3:3: unknown key proxy.listen_adress; did you mean proxy.listen?`)
    expect(result.stdout).not.toContain('proxy.listening')
    // Refused before the first start would make the CAs.
    expect(existsSync(join(home, 'ca'))).toBe(false)
  })

  it('refuses a wrong value in a --config file, saying what it should be', async () => {
    const home = tmp.dir('home-value')
    const config = join(tmp.dir('files'), 'proxy.yaml')
    writeFileSync(config, 'proxy:\n  ciphers: fast\n  limits:\n    max_sessions_per_user: lots\n')
    const result = await start(home, ['--config', config])
    expect(result.exitCode, result.stderr).toBe(2)
    expect(result.stderr).toContain(`${config}:4:28: proxy.limits.max_sessions_per_user is "lots"; expected a positive whole number`)
    expect(existsSync(join(home, 'ca'))).toBe(false)
  })

  it('runs with a valid config, and an environment variable of a flag wins over the file', async () => {
    const home = tmp.dir('home-valid')
    writeFileSync(join(home, 'config.yaml'), 'proxy:\n  checks_host_keys: no\n  ciphers: compatible\n  record_non_pty_bytes:\n  limits:\n    max_startups: 5\n')
    const proxy = await startProxy(home, [], {FLEETCTL_PROXY_CHECKS_HOST_KEYS: 'true'})
    try {
      expect(proxy.events().find((e) => e.event === 'proxy.listening')).toMatchObject({checks_host_keys: true})
    } finally {
      await proxy.stop()
    }
    const fromFile = await startProxy(home)
    try {
      expect(fromFile.events().find((e) => e.event === 'proxy.listening')).toMatchObject({checks_host_keys: false})
    } finally {
      await fromFile.stop()
    }
  })
})
