/**
 * Bulk data through the proxy with real OpenSSH: 50 MB each way byte-exact, scp and sftp put/get,
 * and the audit lines (command or subsystem, byte counts, sha256 per stream) that name them.
 */
import {createHash, randomBytes} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Agent} from '../helpers/agent.js'
import {type ProxyFleet, runClient, type RunningProxy, startFleetHost, startProxyFleet, writeClientConfig} from '../helpers/proxy.js'
import {tmpDir} from '../helpers/tmp.js'

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

describe('bulk data through the proxy', () => {
  const tmp = tmpDir('fleetctl-proxy-transfer-')
  const home = join(tmp.path, 'home')
  let fleet: ProxyFleet
  let proxy: RunningProxy
  let agent: Agent
  let config: string
  let payload: Buffer
  const dir = tmp.dir

  beforeAll(async () => {
    fleet = await startProxyFleet(dir, home, 'bob')
    ;({agent, config, proxy} = fleet)
    payload = randomBytes(50 * 1024 * 1024)
  })

  afterAll(async () => {
    await fleet?.stop()
    tmp.remove()
  })

  it('pipes 50 MB up and back down with identical sha256, and audits counts and digests', async () => {
    const remote = join(tmp.path, 'upload.bin')
    const up = await runClient('ssh', config, ['web1', `cat > ${remote}`], {agent: agent.socket, input: payload})
    expect(up.exitCode, up.stderr).toBe(0)
    expect(sha256(readFileSync(remote))).toBe(sha256(payload))

    const received = await downloadBytes(config, agent.socket, remote)
    expect(received.length).toBe(payload.length)
    expect(sha256(received)).toBe(sha256(payload))

    const ends = (await proxy.audit()).filter((e) => e.event === 'session.end')
    const upEnd = ends.find((e) => (e.bytes as {stdin: number}).stdin === payload.length)
    expect(upEnd, JSON.stringify(ends)).toMatchObject({exitStatus: 0, sha256: {stdin: sha256(payload)}})
    const downEnd = ends.find((e) => (e.bytes as {stdout: number}).stdout === payload.length)
    expect(downEnd).toMatchObject({exitStatus: 0, sha256: {stdout: sha256(payload)}})
    expect((await proxy.audit()).some((e) => e.event === 'exec' && e.command === `cat > ${remote}`)).toBe(true)
  })

  it('stderr written while stdout waits for a slow reader: both come through exactly, without hanging', async () => {
    // The reader sleeps first, so the channel's window to the client runs out mid-stdout and the
    // stderr lines are written while stdout waits for window (ssh2 used to hang here).
    const out = join(tmp.path, 'slow-reader.out')
    const err = join(tmp.path, 'slow-reader.err')
    const command = 'head -c 8000000 /dev/zero; echo ERR-1 >&2; head -c 1000 /dev/zero; echo ERR-2 >&2; echo tail'
    const result = await execa('bash', ['-o', 'pipefail', '-c', `ssh -F ${config} web1 '${command}' 2>${err} | (sleep 2; cat > ${out})`], {
      env: {HOME: process.env.HOME, SSH_AUTH_SOCK: agent.socket},
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    })
    expect(result.timedOut).toBe(false)
    expect(result.exitCode, result.stderr).toBe(0)
    expect(sha256(readFileSync(out))).toBe(sha256(Buffer.concat([Buffer.alloc(8_001_000), Buffer.from('tail\n')])))
    expect(readFileSync(err, 'utf8')).toBe('ERR-1\nERR-2\n')
  })

  it('keeps every byte through re-keying on all three legs (RekeyLimit 1M)', async () => {
    // The host re-keys the proxy's upstream connection; the client re-keys its connections to the proxy.
    const host = await startFleetHost(dir('rekey-host'), home, 'fleet', ['-o', 'RekeyLimit=1M'])
    try {
      const rekeyConfig = writeClientConfig(dir('rekey-client'), home, {hostPort: host.port, proxyPort: proxy.port})
      writeFileSync(rekeyConfig, `RekeyLimit 1M\n${readFileSync(rekeyConfig, 'utf8')}`)
      const data = payload.subarray(0, 8 * 1024 * 1024)
      const remote = join(tmp.path, 'rekey.bin')
      const up = await runClient('ssh', rekeyConfig, ['-v', 'web1', `cat > ${remote}`], {agent: agent.socket, input: data})
      expect(up.exitCode, up.stderr.slice(-2000)).toBe(0)
      expect(sha256(readFileSync(remote))).toBe(sha256(data))
      // Each of the client's two connections counts its first key exchange and each re-key.
      expect(up.stderr.match(/SSH2_MSG_NEWKEYS received/g)?.length ?? 0).toBeGreaterThan(4)
      expect(sha256(await downloadBytes(rekeyConfig, agent.socket, remote))).toBe(sha256(data))
    } finally {
      await host.stop()
    }
  })

  it('scp and sftp put and get files byte-exact; the audit names them', async () => {
    const local = join(dir('files'), 'local.bin')
    const data = randomBytes(3 * 1024 * 1024 + 17)
    writeFileSync(local, data)
    const remoteDir = dir('remote')

    const put = await runClient('scp', config, ['-q', local, `web1:${remoteDir}/scp-put.bin`], {agent: agent.socket})
    expect(put.exitCode, put.stderr).toBe(0)
    const get = await runClient('scp', config, ['-q', `web1:${remoteDir}/scp-put.bin`, join(tmp.path, 'files', 'scp-get.bin')], {agent: agent.socket})
    expect(get.exitCode, get.stderr).toBe(0)
    expect(sha256(readFileSync(join(remoteDir, 'scp-put.bin')))).toBe(sha256(data))
    expect(sha256(readFileSync(join(tmp.path, 'files', 'scp-get.bin')))).toBe(sha256(data))

    // Legacy scp protocol too (an exec of `scp -t`/`scp -f`).
    const legacy = await runClient('scp', config, ['-O', '-q', local, `web1:${remoteDir}/scp-legacy.bin`], {agent: agent.socket})
    expect(legacy.exitCode, legacy.stderr).toBe(0)
    expect(sha256(readFileSync(join(remoteDir, 'scp-legacy.bin')))).toBe(sha256(data))

    const batch = join(tmp.path, 'files', 'batch')
    writeFileSync(batch, `put ${local} ${remoteDir}/sftp-put.bin\nget ${remoteDir}/sftp-put.bin ${join(tmp.path, 'files', 'sftp-get.bin')}\n`)
    const sftp = await runClient('sftp', config, ['-q', '-b', batch, 'web1'], {agent: agent.socket})
    expect(sftp.exitCode, sftp.stderr).toBe(0)
    expect(sha256(readFileSync(join(remoteDir, 'sftp-put.bin')))).toBe(sha256(data))
    expect(sha256(readFileSync(join(tmp.path, 'files', 'sftp-get.bin')))).toBe(sha256(data))

    const audit = await proxy.audit()
    expect(audit.filter((e) => e.event === 'subsystem' && e.name === 'sftp').length).toBeGreaterThanOrEqual(3)
    expect(audit.some((e) => e.event === 'exec' && String(e.command).startsWith('scp ') && String(e.command).includes('-t'))).toBe(true)
    const sftpEnds = audit.filter((e) => e.event === 'session.end' && (e.bytes as {stdin: number}).stdin > data.length)
    expect(sftpEnds.length).toBeGreaterThanOrEqual(2)
  })
})

/** Read a remote file through the proxy as raw bytes. */
async function downloadBytes(config: string, agent: string, remote: string): Promise<Buffer> {
  const {execa} = await import('execa')
  const result = await execa('ssh', ['-F', config, 'web1', `cat ${remote}`], {
    encoding: 'buffer',
    env: {SSH_AUTH_SOCK: agent, HOME: process.env.HOME},
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    timeout: 60_000,
  })
  return Buffer.from(result.stdout as Uint8Array)
}
