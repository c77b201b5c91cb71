/**
 * The patched ssh2 server's keepalive (it marks each packet as a sign of life instead of re-arming
 * its timer per packet) with the real OpenSSH client: a live client is kept through many quiet
 * intervals, a client that stops answering is dropped.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runSsh, type SshClientOptions} from '../helpers/ssh.js'
import {startTestServer, type TestServer} from '../helpers/ssh2-server.js'
import {keygen, type KeyPair, lineBlob} from '../helpers/ssh-keygen.js'
import {tmpDir} from '../helpers/tmp.js'

const INTERVAL_MS = 200

describe('ssh2 server keepalive with real ssh', () => {
  const tmp = tmpDir('fleetctl-ssh2-keepalive-')
  let server: TestServer
  let hostKey: KeyPair
  let userKey: KeyPair
  const children: ChildProcess[] = []
  const knownHosts = join(tmp.path, 'known_hosts')
  const client = (): SshClientOptions => ({
    config: {HostKeyAlias: 'keepalive.test'},
    dir: tmp.path,
    identity: userKey.path,
    knownHosts: [`keepalive.test ${hostKey.publicLine}`],
    port: server.port,
  })

  beforeAll(async () => {
    hostKey = await keygen(tmp.path, 'host', 'ed25519')
    userKey = await keygen(tmp.path, 'user', 'ed25519')
    const userBlob = lineBlob(userKey.publicLine)
    server = await startTestServer({
      authorize: (ctx) => (ctx.key.data.equals(userBlob) ? true : 'unknown key'),
      hostKeys: [await readFile(hostKey.path)],
      // `sleep N`: answer after N seconds, or as soon as the connection goes.
      onExec: (command, _channel, connection) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve(0), Number(command.split(' ')[1]) * 1000)
          connection.once('close', () => {
            clearTimeout(timer)
            resolve(1)
          })
        }),
      serverConfig: {keepaliveCountMax: 2, keepaliveInterval: INTERVAL_MS},
    })
    writeFileSync(knownHosts, `keepalive.test ${hostKey.publicLine}\n`)
  })

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await server?.close()
    tmp.remove()
  })

  it('keeps a client that answers through many quiet intervals', async () => {
    // 3 s of silence on the channel is 15 intervals: the server pings and ssh answers each time.
    const result = await runSsh(client(), 'someone@127.0.0.1', ['sleep 3'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(server.errors.map((e) => e.message)).not.toContain('Keepalive timeout')
  })

  it('drops a client that stops answering', async () => {
    const errorsBefore = server.errors.length
    const options = ['BatchMode=yes', 'HostKeyAlias=keepalive.test', `UserKnownHostsFile=${knownHosts}`, 'GlobalKnownHostsFile=/dev/null', 'StrictHostKeyChecking=yes']
    const ssh = spawn('ssh', ['-F', 'none', '-p', String(server.port), '-i', userKey.path, ...options.flatMap((o) => ['-o', o]), 'someone@127.0.0.1', 'sleep 60'], {stdio: 'ignore'})
    children.push(ssh)
    // Logged in once the server's exec handler runs: wait for the auth record, then freeze ssh.
    const loggedIn = Date.now() + 20_000
    while (!server.auths.some((a) => a.accepted && a.signed) && Date.now() < loggedIn) await new Promise((resolve) => setTimeout(resolve, 50))
    await new Promise((resolve) => setTimeout(resolve, 300))
    ssh.kill('SIGSTOP')
    const deadline = Date.now() + 20_000
    while (!server.errors.slice(errorsBefore).some((e) => e.message === 'Keepalive timeout') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    ssh.kill('SIGKILL')
    expect(server.errors.slice(errorsBefore).map((e) => e.message)).toContain('Keepalive timeout')
  })
})
