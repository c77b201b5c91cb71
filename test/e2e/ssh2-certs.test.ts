/**
 * ssh2 (with patches/ssh2+1.17.0.patch) against real OpenSSH, with OpenSSH certificates made by
 * ssh-keygen at test time: the four roles the proxy needs, the agent channel back to the client,
 * and the plain-key paths that must keep working.
 */
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import ssh2 from 'ssh2'
import type {ClientChannel, ParsedKey} from 'ssh2'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {agentIdentities, agentSign, certifiedHostKeys, checkUserCertificate, connectUpstream, ForwardedAgent, HOST_NOT_CERTIFIED} from '../../src/ssh/index.js'
import type {CertificateTrust, HostKeyEntry} from '../../src/ssh/index.js'
import {minimalTrust} from '../helpers/minimal-cert-trust.js'
import {type Agent, keygen, type KeyKind, type KeyPair, lineBlob, runSsh, signCertificate, startAgent, startSshd, tempDir} from '../helpers/openssh.js'
import {startTestServer, type TestServer} from '../helpers/ssh2-server.js'

const HOST = 'web1.fleet.test'
const LOGIN = 'root'

/** Run `command` on an authenticated ssh2 client; resolves with stdout and the exit code. */
function execOn(client: InstanceType<typeof ssh2.Client>, command: string): Promise<{stdout: string; code: number | null}> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
      if (err) return reject(err)
      let stdout = ''
      let code: number | null = null
      channel.on('data', (d: Buffer) => (stdout += d.toString()))
      channel.stderr.on('data', () => {})
      channel.on('exit', (c: number | null) => (code = c))
      channel.on('close', () => resolve({stdout, code}))
    })
  })
}

interface Fixture {
  dir: string
  hostCA: KeyPair
  userCA: KeyPair
  otherCA: KeyPair
  hostKey: KeyPair
  hostCert: string
  userKey: KeyPair
  userCert: string
  userTrust: CertificateTrust
  hostTrust: CertificateTrust
  /** known_hosts with only an @cert-authority line for *.fleet.test. */
  knownHosts: string
}

async function makeFixture(dir: string, kind: KeyKind): Promise<Fixture> {
  const [hostCA, userCA, otherCA, hostKey, userKey] = await Promise.all([
    keygen(dir, 'host_ca', kind),
    keygen(dir, 'user_ca', kind),
    keygen(dir, 'other_ca', kind),
    keygen(dir, 'host_key', kind),
    keygen(dir, 'user_key', kind),
  ])
  const hostCert = await signCertificate(hostCA, hostKey, {host: true, principals: [HOST], identity: `host ${HOST}`, validity: '-5m:+1h'})
  const userCert = await signCertificate(userCA, userKey, {principals: [LOGIN], identity: 'alice@example.com', validity: '-5m:+1h'})
  const knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `@cert-authority *.fleet.test ${hostCA.publicLine}\n`)
  return {
    dir,
    hostCA,
    userCA,
    otherCA,
    hostKey,
    hostCert,
    userKey,
    userCert,
    userTrust: minimalTrust([userCA.publicLine]),
    hostTrust: minimalTrust([hostCA.publicLine]),
    knownHosts,
  }
}

/** ssh options that reach a test server on 127.0.0.1:port as HOST. */
function sshTarget(port: number): string[] {
  return ['-p', String(port), '-o', `HostKeyAlias=${HOST}`, '-o', 'HostName=127.0.0.1', `${LOGIN}@${HOST}`]
}

const KINDS: {kind: KeyKind; hostAlgorithm: string; userAlgorithm: string}[] = [
  {kind: 'ed25519', hostAlgorithm: 'ssh-ed25519-cert-v01@openssh.com', userAlgorithm: 'ssh-ed25519-cert-v01@openssh.com'},
  {kind: 'ecdsa', hostAlgorithm: 'ecdsa-sha2-nistp256-cert-v01@openssh.com', userAlgorithm: 'ecdsa-sha2-nistp256-cert-v01@openssh.com'},
  {kind: 'rsa', hostAlgorithm: 'rsa-sha2-512-cert-v01@openssh.com', userAlgorithm: 'ssh-rsa-cert-v01@openssh.com'},
]

describe.each(KINDS)('OpenSSH certificates, $kind', ({kind, hostAlgorithm, userAlgorithm}) => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let fx: Fixture
  const cleanups: (() => Promise<void>)[] = []

  beforeAll(async () => {
    tmp = await tempDir(`fleetctl-ssh2-${kind}-`)
    fx = await makeFixture(tmp.path, kind)
  })

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
    await tmp?.remove()
  })

  async function certServer(hostKeys: HostKeyEntry[], onExec?: Parameters<typeof startTestServer>[0]['onExec']): Promise<TestServer> {
    const server = await startTestServer({
      hostKeys,
      authorize(ctx) {
        const decision = checkUserCertificate(ctx, fx.userTrust, ctx.username)
        return decision.ok ? true : decision.reason
      },
      onExec:
        onExec ??
        (async (command, channel) => {
          channel.write(`ran ${command}\n`)
          return 0
        }),
    })
    cleanups.push(() => server.close())
    return server
  }

  async function agentWith(...add: string[][]): Promise<Agent> {
    const dir = await tempDir('fleetctl-agent-')
    const agent = await startAgent(dir.path)
    cleanups.push(async () => {
      await agent.stop()
      await dir.remove()
    })
    for (const args of add) await agent.add(...args)
    return agent
  }

  it('(a)(b) ssh trusts the ssh2 server by @cert-authority alone and logs in with a certificate file', async () => {
    const server = await certServer(certifiedHostKeys(await readFile(fx.hostKey.path), fx.hostCert))
    const ssh = runSsh(['-i', fx.userKey.path, '-o', `CertificateFile=${fx.userKey.path}-cert.pub`, ...sshTarget(server.port), 'hello'], {
      knownHosts: fx.knownHosts,
    })
    cleanups.push(ssh.stop)
    const result = await ssh.result
    expect(result.stderr).not.toMatch(/Permission denied|Host key verification failed/)
    expect(result).toMatchObject({code: 0, stdout: 'ran hello\n'})
    expect(server.hostKeyAlgorithms).toEqual([hostAlgorithm])
    const signed = server.auths.filter((auth) => auth.signed && auth.accepted)
    expect(signed).toHaveLength(1)
    expect(signed[0]!.algo).toBe(userAlgorithm)
    // RSA: the fixed server-sig-algs lets OpenSSH pick rsa-sha2-512.
    if (kind === 'rsa') expect(signed[0]!.hashAlgo).toBe('sha512')
  })

  it('(a) ssh refuses a host certificate from another CA and one for another name', async () => {
    const otherKey = await keygen(fx.dir, 'host_key_other', kind)
    const fromOtherCA = await signCertificate(fx.otherCA, otherKey, {host: true, principals: [HOST], validity: '-5m:+1h'})
    const wrongKey = await keygen(fx.dir, 'host_key_wrong', kind)
    const forOtherName = await signCertificate(fx.hostCA, wrongKey, {host: true, principals: ['db9.fleet.test'], validity: '-5m:+1h'})

    for (const [key, cert] of [
      [otherKey, fromOtherCA],
      [wrongKey, forOtherName],
    ] as const) {
      const server = await certServer(certifiedHostKeys(await readFile(key.path), cert))
      const ssh = runSsh(['-i', fx.userKey.path, ...sshTarget(server.port), 'hello'], {knownHosts: fx.knownHosts})
      cleanups.push(ssh.stop)
      const result = await ssh.result
      expect(result.code).toBe(255)
      expect(result.stderr).toMatch(/Host key verification failed/)
      expect(server.auths).toHaveLength(0)
    }
  })

  it('(b) ssh logs in with a certificate from a real ssh-agent; a plain key is refused', async () => {
    const server = await certServer(certifiedHostKeys(await readFile(fx.hostKey.path), fx.hostCert))
    const agent = await agentWith([fx.userKey.path])
    const listed = await agent.add('-L')
    expect(listed).toContain(`${userAlgorithm} `)

    const ssh = runSsh([...sshTarget(server.port), 'from-agent'], {
      knownHosts: fx.knownHosts,
      env: {SSH_AUTH_SOCK: agent.socket},
    })
    cleanups.push(ssh.stop)
    const result = await ssh.result
    expect(result).toMatchObject({code: 0, stdout: 'ran from-agent\n'})
    expect(server.auths.find((auth) => auth.signed && auth.accepted)?.algo).toBe(userAlgorithm)

    const plainKey = await keygen(fx.dir, 'plain_user', kind)
    const refused = runSsh(['-i', plainKey.path, ...sshTarget(server.port), 'nope'], {knownHosts: fx.knownHosts})
    cleanups.push(refused.stop)
    const refusedResult = await refused.result
    expect(refusedResult.code).toBe(255)
    expect(refusedResult.stderr).toMatch(/Permission denied/)
    expect(server.auths.at(-1)).toMatchObject({accepted: false, reason: 'not-a-certificate'})
  })

  it('(c)(d) ssh2 client logs in to a real sshd with a host certificate, using the certificate in a real ssh-agent', async () => {
    const sshdDir = await tempDir('fleetctl-sshd-')
    const sshd = await startSshd({dir: sshdDir.path, hostKey: fx.hostKey, hostCertificate: fx.hostCert, trustedUserCAs: [fx.userCA.publicLine]})
    cleanups.push(async () => {
      await sshd.stop()
      await sshdDir.remove()
    })
    // A plain key first in the agent: the glue offers only certificates.
    const plainKey = await keygen(fx.dir, 'agent_plain', kind)
    const agent = await agentWith([plainKey.path], [fx.userKey.path])

    const upstream = await connectUpstream({
      host: '127.0.0.1',
      port: sshd.port,
      hostName: HOST,
      username: LOGIN,
      agent: agent.socket,
      hostTrust: fx.hostTrust,
    })
    try {
      expect(upstream.hostCertificate.equals(lineBlob(fx.hostCert))).toBe(true)
      expect(upstream.hostKeyId).toBe(`host ${HOST}`)
      const {stdout, code} = await execOn(upstream.client, 'id -un')
      expect({stdout, code}).toEqual({stdout: `${LOGIN}\n`, code: 0})
    } finally {
      upstream.close()
    }
    expect(sshd.log()).toMatch(/Accepted certificate ID "alice@example.com"/)
    expect(sshd.log()).toMatch(/Accepted publickey for root .* (ED25519|ECDSA|RSA)-CERT/)
    if (kind === 'rsa') expect(sshd.log()).toMatch(/rsa-sha2-512/)
    expect(sshd.log()).not.toMatch(/Failed publickey/)
  })

  it('(d) ssh2 client refuses a sshd with a plain host key, with the exact message', async () => {
    const sshdDir = await tempDir('fleetctl-sshd-')
    const sshd = await startSshd({dir: sshdDir.path, hostKey: fx.hostKey, trustedUserCAs: [fx.userCA.publicLine]})
    cleanups.push(async () => {
      await sshd.stop()
      await sshdDir.remove()
    })
    const agent = await agentWith([fx.userKey.path])
    await expect(
      connectUpstream({host: '127.0.0.1', port: sshd.port, hostName: HOST, username: LOGIN, agent: agent.socket, hostTrust: fx.hostTrust}),
    ).rejects.toMatchObject({message: HOST_NOT_CERTIFIED, code: 'host-untrusted'})
    expect(HOST_NOT_CERTIFIED).toBe('ssh: handshake failed: remote host presented a public key, expected a host certificate')
  })

  it('(d) ssh2 client refuses a host certificate for another name', async () => {
    const sshdDir = await tempDir('fleetctl-sshd-')
    const sshd = await startSshd({dir: sshdDir.path, hostKey: fx.hostKey, hostCertificate: fx.hostCert, trustedUserCAs: [fx.userCA.publicLine]})
    cleanups.push(async () => {
      await sshd.stop()
      await sshdDir.remove()
    })
    const agent = await agentWith([fx.userKey.path])
    await expect(
      connectUpstream({host: '127.0.0.1', port: sshd.port, hostName: 'db9.fleet.test', username: LOGIN, agent: agent.socket, hostTrust: fx.hostTrust}),
    ).rejects.toThrow(/^ssh: handshake failed: host certificate of db9\.fleet\.test rejected: /)
  })

  it('the ssh2 server uses the agent of a real `ssh -A` over auth-agent@openssh.com: signs, and logs in upstream with it', async () => {
    const sshdDir = await tempDir('fleetctl-sshd-')
    const sshd = await startSshd({dir: sshdDir.path, hostKey: fx.hostKey, hostCertificate: fx.hostCert, trustedUserCAs: [fx.userCA.publicLine]})
    cleanups.push(async () => {
      await sshd.stop()
      await sshdDir.remove()
    })
    const server = await certServer(certifiedHostKeys(await readFile(fx.hostKey.path), fx.hostCert), async (_command, channel, connection) => {
      const agent = new ForwardedAgent(connection)
      const identities = await agentIdentities(agent)
      const cert = identities.find((identity) => identity.isCertificate)
      if (!cert) throw new Error('no certificate in the forwarded agent')
      const data = Buffer.from('fleetctl test data')
      const signature = await agentSign(agent, cert, data, kind === 'rsa' ? 'sha512' : undefined)
      const parsed = ssh2.utils.parseKey(cert.blob) as ParsedKey
      const asn1 = kind === 'ecdsa' ? ecdsaToDer(signature) : signature
      channel.write(`signed ${cert.type} ${parsed.verify(data, asn1, kind === 'rsa' ? 'sha512' : undefined)}\n`)

      const upstream = await connectUpstream({host: '127.0.0.1', port: sshd.port, hostName: HOST, username: LOGIN, agent, hostTrust: fx.hostTrust})
      try {
        const {stdout} = await execOn(upstream.client, 'echo upstream $(id -un)')
        channel.write(stdout)
      } finally {
        upstream.close()
      }
      return 0
    })
    const agent = await agentWith([fx.userKey.path])
    const ssh = runSsh(['-A', ...sshTarget(server.port), 'use-agent'], {
      knownHosts: fx.knownHosts,
      env: {SSH_AUTH_SOCK: agent.socket},
    })
    cleanups.push(ssh.stop)
    const result = await ssh.result
    expect(result.stderr).not.toMatch(/server:/)
    expect(result).toMatchObject({code: 0, stdout: `signed ${userAlgorithm} true\nupstream ${LOGIN}\n`})
  })
})

/** An SSH ECDSA signature (mpint r, mpint s) as the DER that node:crypto verifies. */
function ecdsaToDer(signature: Buffer): Buffer {
  const r = signature.subarray(4, 4 + signature.readUInt32BE(0))
  const sOffset = 4 + r.length
  const s = signature.subarray(sOffset + 4, sOffset + 4 + signature.readUInt32BE(sOffset))
  const int = (n: Buffer) => Buffer.concat([Buffer.from([0x02, n.length]), n])
  const body = Buffer.concat([int(r), int(s)])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

describe('plain keys still work', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  const cleanups: (() => Promise<void>)[] = []

  beforeAll(async () => {
    tmp = await tempDir('fleetctl-ssh2-plain-')
  })
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
    await tmp?.remove()
  })

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('real ssh -> ssh2 server with a plain %s host key and user key', async (kind) => {
    const hostKey = await keygen(tmp.path, `plain_host_${kind}`, kind)
    const userKey = await keygen(tmp.path, `plain_user_${kind}`, kind)
    const userBlob = lineBlob(userKey.publicLine)
    const userParsed = ssh2.utils.parseKey(userKey.publicLine) as ParsedKey
    const server = await startTestServer({
      hostKeys: [await readFile(hostKey.path)],
      authorize(ctx) {
        if (!ctx.key.data.equals(userBlob)) return 'unknown key'
        if (ctx.signature && !userParsed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return 'bad signature'
        return true
      },
      onExec: async (command, channel) => {
        channel.write(`plain ${command}\n`)
        return 0
      },
    })
    cleanups.push(() => server.close())
    const knownHosts = join(tmp.path, `known_hosts_${kind}`)
    await writeFile(knownHosts, `${HOST} ${hostKey.publicLine}\n`)
    const ssh = runSsh(['-i', userKey.path, ...sshTarget(server.port), 'ok'], {knownHosts})
    cleanups.push(ssh.stop)
    const result = await ssh.result
    expect(result).toMatchObject({code: 0, stdout: 'plain ok\n'})
    const plainAlgorithm = kind === 'ecdsa' ? 'ecdsa-sha2-nistp256' : kind === 'rsa' ? 'rsa-sha2-512' : 'ssh-ed25519'
    expect(server.hostKeyAlgorithms).toEqual([plainAlgorithm])
    expect(server.auths.find((auth) => auth.signed)).toMatchObject({accepted: true, algo: kind === 'rsa' ? 'ssh-rsa' : plainAlgorithm})
  })

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('ssh2 client -> real sshd with a plain %s host key and user key', async (kind) => {
    const dir = await tempDir('fleetctl-sshd-plain-')
    cleanups.push(dir.remove)
    const hostKey = await keygen(dir.path, 'host', kind)
    const userKey = await keygen(dir.path, 'user', kind)
    const sshd = await startSshd({dir: dir.path, hostKey, authorizedKeys: [userKey.publicLine]})
    cleanups.push(sshd.stop)
    const hostBlob = lineBlob(hostKey.publicLine)
    const client = new ssh2.Client()
    const ready = new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve())
      client.once('error', reject)
    })
    client.connect({
      host: '127.0.0.1',
      port: sshd.port,
      username: LOGIN,
      privateKey: await readFile(userKey.path),
      hostVerifier: (key: Buffer) => key.equals(hostBlob),
    })
    try {
      await ready
      expect(await execOn(client, 'id -un')).toEqual({stdout: `${LOGIN}\n`, code: 0})
    } finally {
      client.end()
    }
    expect(sshd.log()).toMatch(/Accepted publickey for root/)
  })
})
