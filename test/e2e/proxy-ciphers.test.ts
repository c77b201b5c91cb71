/**
 * The ciphers the proxy offers its clients: `fast` (default) keeps to the quickest AEAD family of
 * the machine; `proxy.ciphers: compatible` also accepts ChaCha20-Poly1305 for clients without
 * AES-GCM. Checked on both legs a client sees: the jump connection and the inner one.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {serverCiphers} from '../../src/ssh/algorithms.js'
import {type Agent, startAgent} from '../helpers/agent.js'
import {fleetUser, runClient, type RunningProxy, startFleetHost, startProxy, writeClientConfig} from '../helpers/proxy.js'
import type {Sshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const CHACHA = 'chacha20-poly1305@openssh.com'

describe('proxy cipher policy', () => {
  const tmp = tmpDir('fleetctl-proxy-ciphers-')
  const home = join(tmp.path, 'home')
  let fast: RunningProxy
  let compatible: RunningProxy
  let sshd: Sshd
  let agent: Agent
  const dir = tmp.dir

  beforeAll(async () => {
    fast = await startProxy(home)
    const config = join(dir('config'), 'compatible.yaml')
    writeFileSync(config, 'proxy:\n  ciphers: compatible\n')
    compatible = await startProxy(home, ['--config', config])
    sshd = await startFleetHost(dir('host'), home)
    agent = await startAgent(dir('agent'))
    await agent.add(await fleetUser(dir('user'), home, 'alice'))
  })

  afterAll(async () => {
    await Promise.all([fast?.stop(), compatible?.stop(), sshd?.stop(), agent?.stop()])
    tmp.remove()
  })

  /** Only the key exchange: with no identity, a cipher the server takes ends in "Permission denied". */
  const negotiate = (port: number) =>
    execa('ssh', ['-F', 'none', '-c', CHACHA, '-p', String(port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-i', '/dev/null', 'nobody@127.0.0.1', 'true'], {
      env: {SSH_AUTH_SOCK: ''},
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    })

  it('fast: offers ChaCha20 only where AES-GCM is not the quick one', async () => {
    const result = await negotiate(fast.port)
    if (serverCiphers('fast').includes(CHACHA)) expect(result.stderr).toContain('Permission denied')
    else expect(result.stderr).toMatch(/no matching cipher found/)
  })

  it('compatible: a ChaCha20-only client gets through both legs and runs its command', async () => {
    expect((await negotiate(compatible.port)).stderr).toContain('Permission denied')
    const config = writeClientConfig(dir('client'), home, {hostLines: [`Ciphers ${CHACHA}`], hostPort: sshd.port, proxyPort: compatible.port})
    const result = await runClient('ssh', config, ['-v', 'web1', 'echo via-chacha'], {agent: agent.socket})
    expect(result.stdout, result.stderr).toBe('via-chacha')
    expect(result.stderr).toContain(`kex: server->client cipher: ${CHACHA}`)
  })

  it('refuses an unknown policy with a clear message', async () => {
    const config = join(dir('config'), 'bad.yaml')
    writeFileSync(config, 'proxy:\n  ciphers: turbo\n')
    const refused = await startProxy(join(tmp.path, 'bad-home'), ['--config', config]).then(
      (proxy) => proxy.stop().then(() => 'started'),
      (error: Error) => error.message,
    )
    // oclif wraps the message behind " › " at 80 columns.
    expect(refused.replaceAll(/\s*›\s*/g, ' ').replaceAll(/\s+/g, ' ')).toMatch(/bad\.yaml:2:12: proxy\.ciphers is "turbo"; expected fast or compatible/)
  })
})
