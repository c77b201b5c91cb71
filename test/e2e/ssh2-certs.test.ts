/**
 * ssh2 (vendor/ssh2, loaded through src/ssh/ssh2.ts) against real OpenSSH, with OpenSSH
 * certificates made by ssh-keygen at test time: the four roles the proxy needs, the agent channel
 * back to the client, and the plain-key paths that must keep working.
 */
import {mkdirSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import * as ssh2 from '../../src/ssh/ssh2.js'
import type {ClientChannel, ParsedKey} from 'ssh2'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parsePublicKey} from '../../src/certs/index.js'
import {
  agentIdentities,
  agentSign,
  certificateTrust,
  certifiedHostKeys,
  checkUserCertificate,
  connectUpstream,
  ForwardedAgent,
  HOST_NOT_CERTIFIED,
} from '../../src/ssh/index.js'
import type {CertificateTrust, HostKeyEntry} from '../../src/ssh/index.js'
import {type Agent, startAgent} from '../helpers/agent.js'
import {runSsh, type SshClientOptions} from '../helpers/ssh.js'
import {startTestServer, type TestServer} from '../helpers/ssh2-server.js'
import {keygen, type KeyKind, type KeyPair, lineBlob, signCertificate} from '../helpers/ssh-keygen.js'
import {type Sshd, startSshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const HOST = 'web1.fleet.test'
const LOGIN = 'root'

type SshClient = InstanceType<typeof ssh2.Client>

/** Run `command` on an authenticated ssh2 client; resolves with stdout and the exit code. */
function execOn(client: SshClient, command: string): Promise<{code: number | null; stdout: string}> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
      if (err) return reject(err)
      let stdout = ''
      let code: number | null = null
      channel.on('data', (d: Buffer) => (stdout += d.toString()))
      channel.stderr.on('data', () => {})
      channel.on('exit', (c: number | null) => (code = c))
      channel.on('close', () => resolve({code, stdout}))
    })
  })
}

/** An SSH ECDSA signature (mpint r, mpint s) as the DER that ssh2's verify() takes. */
function ecdsaToDer(signature: Buffer): Buffer {
  const r = signature.subarray(4, 4 + signature.readUInt32BE(0))
  const sOffset = 4 + r.length
  const s = signature.subarray(sOffset + 4, sOffset + 4 + signature.readUInt32BE(sOffset))
  const int = (n: Buffer) => Buffer.concat([Buffer.from([0x02, n.length]), n])
  const body = Buffer.concat([int(r), int(s)])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

const KINDS: {
  /** The algorithm sshd must see the ssh2 client authenticate with (RSA: SHA-512). */
  clientAuthAlgorithm: string
  hostAlgorithm: string
  kind: KeyKind
  /** ctx.key.algo on the ssh2 server (ssh2 names RSA keys by key type, the hash apart). */
  userKeyType: string
}[] = [
  {
    clientAuthAlgorithm: 'ssh-ed25519-cert-v01@openssh.com',
    hostAlgorithm: 'ssh-ed25519-cert-v01@openssh.com',
    kind: 'ed25519',
    userKeyType: 'ssh-ed25519-cert-v01@openssh.com',
  },
  {
    clientAuthAlgorithm: 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
    hostAlgorithm: 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
    kind: 'ecdsa',
    userKeyType: 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  },
  {
    clientAuthAlgorithm: 'rsa-sha2-512-cert-v01@openssh.com',
    hostAlgorithm: 'rsa-sha2-512-cert-v01@openssh.com',
    kind: 'rsa',
    userKeyType: 'ssh-rsa-cert-v01@openssh.com',
  },
]

describe.each(KINDS)('OpenSSH certificates with ssh2, $kind', ({clientAuthAlgorithm, hostAlgorithm, kind, userKeyType}) => {
  const tmp = tmpDir(`fleetctl-ssh2-${kind}-`)
  const cleanups: (() => Promise<void> | void)[] = []
  let hostCA: KeyPair
  let userCA: KeyPair
  let otherCA: KeyPair
  let hostKey: KeyPair
  let hostCert: string
  let userKey: KeyPair
  let userTrust: CertificateTrust
  let hostTrust: CertificateTrust
  let subdirs = 0

  /** A fresh directory under the suite's temp dir. */
  function subdir(name: string): string {
    const path = join(tmp.path, `${name}-${++subdirs}`)
    mkdirSync(path)
    return path
  }

  beforeAll(async () => {
    ;[hostCA, userCA, otherCA, hostKey, userKey] = await Promise.all([
      keygen(tmp.path, 'host_ca', kind),
      keygen(tmp.path, 'user_ca', kind),
      keygen(tmp.path, 'other_ca', kind),
      keygen(tmp.path, 'host_key', kind),
      keygen(tmp.path, 'user_key', kind),
    ])
    hostCert = await signCertificate(hostCA, hostKey, {host: true, identity: `host ${HOST}`, principals: [HOST], validity: '-5m:+1h'})
    await signCertificate(userCA, userKey, {identity: 'alice@example.com', principals: [LOGIN], validity: '-5m:+1h'})
    userTrust = certificateTrust({caKeys: [parsePublicKey(userCA.publicLine).key]})
    hostTrust = certificateTrust({caKeys: [parsePublicKey(hostCA.publicLine).key]})
  })

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
    tmp.remove()
  })

  /** ssh to a test server on 127.0.0.1 as HOST, trusting only the host CA (@cert-authority). */
  function sshToServer(port: number, options: Partial<SshClientOptions>, command: string) {
    return runSsh(
      {
        dir: subdir('ssh'),
        knownHosts: [`@cert-authority *.fleet.test ${hostCA.publicLine}`],
        port,
        ...options,
        config: {HostKeyAlias: HOST, HostName: '127.0.0.1', ...options.config},
      },
      `${LOGIN}@${HOST}`,
      [command],
    )
  }

  async function certServer(hostKeys: HostKeyEntry[], onExec?: Parameters<typeof startTestServer>[0]['onExec']): Promise<TestServer> {
    const server = await startTestServer({
      authorize(ctx) {
        const decision = checkUserCertificate(ctx, userTrust, ctx.username)
        return decision.ok ? true : decision.reason
      },
      hostKeys,
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

  async function agentWith(...keyPaths: string[]): Promise<Agent> {
    const agent = await startAgent(subdir('agent'))
    cleanups.push(() => agent.stop())
    for (const path of keyPaths) await agent.add(path)
    return agent
  }

  async function certifiedSshd(options: {certified?: boolean; extraConfig?: string[]} = {}): Promise<Sshd> {
    const sshd = await startSshd({
      dir: subdir('sshd'),
      extraConfig: options.extraConfig,
      hostCertificates: options.certified === false ? [] : [`${hostKey.path}-cert.pub`],
      hostKeys: [hostKey.path],
      trustedUserCAKeys: `${userCA.path}.pub`,
    })
    cleanups.push(() => sshd.stop())
    return sshd
  }

  it('(a)(b) ssh trusts the ssh2 server by @cert-authority alone and logs in with a certificate file', async () => {
    const server = await certServer(certifiedHostKeys(await readFile(hostKey.path), hostCert))
    const result = await sshToServer(server.port, {config: {CertificateFile: `${userKey.path}-cert.pub`}, identity: userKey.path}, 'hello')
    expect(result.stderr).not.toMatch(/Permission denied|Host key verification failed/)
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: 'ran hello'})
    expect(server.hostKeyAlgorithms).toEqual([hostAlgorithm])
    const signed = server.auths.filter((auth) => auth.signed && auth.accepted)
    expect(signed).toHaveLength(1)
    expect(signed[0]!.algo).toBe(userKeyType)
    // RSA: with server-sig-algs fixed, OpenSSH signs with rsa-sha2-512.
    if (kind === 'rsa') expect(signed[0]!.hashAlgo).toBe('sha512')
  })

  it('(a) ssh refuses a host certificate from another CA and one for another name', async () => {
    const otherKey = await keygen(tmp.path, 'host_key_other_ca', kind)
    const fromOtherCA = await signCertificate(otherCA, otherKey, {host: true, principals: [HOST], validity: '-5m:+1h'})
    const wrongKey = await keygen(tmp.path, 'host_key_other_name', kind)
    const forOtherName = await signCertificate(hostCA, wrongKey, {host: true, principals: ['db9.fleet.test'], validity: '-5m:+1h'})

    for (const [key, cert] of [
      [otherKey, fromOtherCA],
      [wrongKey, forOtherName],
    ] as const) {
      const server = await certServer(certifiedHostKeys(await readFile(key.path), cert))
      const result = await sshToServer(server.port, {identity: userKey.path}, 'hello')
      expect(result.exitCode).toBe(255)
      expect(result.stderr).toMatch(/Host key verification failed/)
      expect(server.auths).toHaveLength(0)
    }
  })

  it('(b) ssh logs in with a certificate from a real ssh-agent; a plain key is refused', async () => {
    const server = await certServer(certifiedHostKeys(await readFile(hostKey.path), hostCert))
    const agent = await agentWith(userKey.path)
    expect((await agent.list()).map((line) => line.split(' ')[0])).toContain(userKeyType)

    const result = await sshToServer(server.port, {agentSocket: agent.socket}, 'from-agent')
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: 'ran from-agent'})
    expect(server.auths.find((auth) => auth.signed && auth.accepted)?.algo).toBe(userKeyType)

    const plainKey = await keygen(tmp.path, 'plain_user', kind)
    const refused = await sshToServer(server.port, {identity: plainKey.path}, 'nope')
    expect(refused.exitCode).toBe(255)
    expect(refused.stderr).toMatch(/Permission denied/)
    expect(server.auths.at(-1)).toMatchObject({accepted: false, reason: 'not-a-certificate'})
  })

  it('(c)(d) ssh2 client logs in to a real sshd with a host certificate, using the certificate in a real ssh-agent', async () => {
    // sshd takes only the certificate algorithm: for RSA that proves rsa-sha2-512.
    const sshd = await certifiedSshd({extraConfig: [`PubkeyAcceptedAlgorithms ${clientAuthAlgorithm}`]})
    // A plain key first in the agent: the glue offers only certificates.
    const plainKey = await keygen(tmp.path, 'agent_plain', kind)
    const agent = await agentWith(plainKey.path, userKey.path)

    const upstream = await connectUpstream({agent: agent.socket, host: '127.0.0.1', hostName: HOST, hostTrust, port: sshd.port, username: LOGIN})
    try {
      expect(upstream.hostCertificate.equals(lineBlob(hostCert))).toBe(true)
      expect(upstream.hostKeyId).toBe(`host ${HOST}`)
      expect(await execOn(upstream.client, 'id -un')).toEqual({code: 0, stdout: `${LOGIN}\n`})
    } finally {
      upstream.close()
    }
    expect(sshd.output()).toMatch(/Accepted certificate ID "alice@example.com"/)
    expect(sshd.output()).toMatch(/Accepted publickey for root .* (ED25519|ECDSA|RSA)-CERT/)
    expect(sshd.output()).not.toMatch(/Failed publickey/)
  })

  it('(d) ssh2 client refuses a sshd with a plain host key, with the exact message', async () => {
    const sshd = await certifiedSshd({certified: false})
    const agent = await agentWith(userKey.path)
    await expect(
      connectUpstream({agent: agent.socket, host: '127.0.0.1', hostName: HOST, hostTrust, port: sshd.port, username: LOGIN}),
    ).rejects.toMatchObject({code: 'host-untrusted', message: 'ssh: handshake failed: remote host presented a public key, expected a host certificate'})
    expect(HOST_NOT_CERTIFIED).toBe('ssh: handshake failed: remote host presented a public key, expected a host certificate')
  })

  it('(d) ssh2 client refuses a host certificate for another name or from another CA', async () => {
    const sshd = await certifiedSshd()
    const agent = await agentWith(userKey.path)
    const connect = (hostName: string, trust: CertificateTrust) =>
      connectUpstream({agent: agent.socket, host: '127.0.0.1', hostName, hostTrust: trust, port: sshd.port, username: LOGIN})
    await expect(connect('db9.fleet.test', hostTrust)).rejects.toThrow(
      /^ssh: handshake failed: host certificate of db9\.fleet\.test rejected: .*do not include "db9\.fleet\.test"/,
    )
    const otherTrust = certificateTrust({caKeys: [parsePublicKey(otherCA.publicLine).key]})
    await expect(connect(HOST, otherTrust)).rejects.toThrow(/^ssh: handshake failed: host certificate of web1\.fleet\.test rejected: .*CA that is not trusted/)
  })

  it('the ssh2 server uses the agent of a real `ssh -A` over auth-agent@openssh.com: signs, and logs in upstream with it', async () => {
    const sshd = await certifiedSshd()
    const rsaHash = kind === 'rsa' ? 'sha512' : undefined
    const server = await certServer(certifiedHostKeys(await readFile(hostKey.path), hostCert), async (_command, channel, connection) => {
      const agent = new ForwardedAgent(connection)
      const cert = (await agentIdentities(agent)).find((identity) => identity.isCertificate)
      if (!cert) throw new Error('no certificate in the forwarded agent')
      const data = Buffer.from('fleetctl test data')
      const signature = await agentSign(agent, cert, data, rsaHash)
      const certified = ssh2.utils.parseKey(cert.blob) as ParsedKey
      const verified = certified.verify(data, kind === 'ecdsa' ? ecdsaToDer(signature) : signature, rsaHash)
      channel.write(`signed ${cert.type} ${verified}\n`)

      const upstream = await connectUpstream({agent, host: '127.0.0.1', hostName: HOST, hostTrust, port: sshd.port, username: LOGIN})
      try {
        channel.write((await execOn(upstream.client, 'echo upstream $(id -un)')).stdout)
      } finally {
        upstream.close()
      }

      return 0
    })
    const agent = await agentWith(userKey.path)
    const result = await sshToServer(server.port, {agentSocket: agent.socket, config: {ForwardAgent: 'yes'}}, 'use-agent')
    expect(result.stderr).not.toMatch(/server:/)
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: `signed ${userKeyType} true\nupstream ${LOGIN}`})
  })

  it('a client without agent forwarding gets a message that says what to add', async () => {
    const server = await certServer(certifiedHostKeys(await readFile(hostKey.path), hostCert), async (_command, channel, connection) => {
      await agentIdentities(new ForwardedAgent(connection)).catch((error: Error) => channel.write(`${error.message}\n`))
      return 0
    })
    const agent = await agentWith(userKey.path)
    const result = await sshToServer(server.port, {agentSocket: agent.socket}, 'no-agent')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/the client did not forward its agent .*ForwardAgent yes/)
  })
})

describe('plain keys still work with the patched ssh2', () => {
  const tmp = tmpDir('fleetctl-ssh2-plain-')
  const cleanups: (() => Promise<void> | void)[] = []

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
    tmp.remove()
  })

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('real ssh -> ssh2 server with a plain %s host key and user key', async (kind) => {
    const hostKey = await keygen(tmp.path, `host_${kind}`, kind)
    const userKey = await keygen(tmp.path, `user_${kind}`, kind)
    const userBlob = lineBlob(userKey.publicLine)
    const userParsed = ssh2.utils.parseKey(userKey.publicLine) as ParsedKey
    const server = await startTestServer({
      authorize(ctx) {
        if (!ctx.key.data.equals(userBlob)) return 'unknown key'
        if (ctx.signature && !userParsed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return 'bad signature'
        return true
      },
      hostKeys: [await readFile(hostKey.path)],
      onExec: async (command, channel) => {
        channel.write(`plain ${command}\n`)
        return 0
      },
    })
    cleanups.push(() => server.close())
    const dir = join(tmp.path, `ssh-${kind}`)
    mkdirSync(dir)
    const result = await runSsh(
      {config: {HostKeyAlias: HOST, HostName: '127.0.0.1'}, dir, identity: userKey.path, knownHosts: [`${HOST} ${hostKey.publicLine}`], port: server.port},
      `${LOGIN}@${HOST}`,
      ['ok'],
    )
    expect(result, result.stderr).toMatchObject({exitCode: 0, stdout: 'plain ok'})
    const plainAlgorithm = kind === 'ecdsa' ? 'ecdsa-sha2-nistp256' : kind === 'rsa' ? 'rsa-sha2-512' : 'ssh-ed25519'
    expect(server.hostKeyAlgorithms).toEqual([plainAlgorithm])
    expect(server.auths.find((auth) => auth.signed)).toMatchObject({accepted: true, algo: kind === 'rsa' ? 'ssh-rsa' : plainAlgorithm})
  })

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('ssh2 client -> real sshd with a plain %s host key and user key', async (kind) => {
    const dir = join(tmp.path, `sshd-${kind}`)
    mkdirSync(dir)
    const hostKey = await keygen(dir, 'host', kind)
    const userKey = await keygen(dir, 'user', kind)
    const sshd = await startSshd({authorizedKeys: [userKey.publicLine], dir, hostKeys: [hostKey.path]})
    cleanups.push(() => sshd.stop())
    const hostBlob = lineBlob(hostKey.publicLine)
    const client = new ssh2.Client()
    const ready = new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve())
      client.once('error', reject)
    })
    client.connect({
      host: '127.0.0.1',
      hostVerifier: (key: Buffer) => key.equals(hostBlob),
      port: sshd.port,
      privateKey: await readFile(userKey.path),
      username: LOGIN,
    })
    try {
      await ready
      expect(await execOn(client, 'id -un')).toEqual({code: 0, stdout: `${LOGIN}\n`})
    } finally {
      client.end()
    }
    expect(sshd.output()).toMatch(/Accepted publickey for root/)
  })
})
