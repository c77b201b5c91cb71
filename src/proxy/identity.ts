import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {hostCertificateRequest} from '../ca/issue.js'
import {type CertificateAuthority, initCertificateAuthorities, loadCAPublicKey, loadCertificateAuthority} from '../ca/store.js'
import {encodePrivateKey, formatCertificate, formatPublicKey, generateKey, parsePrivateKey, type PublicKey, signCertificate} from '../certs/index.js'
import {certifiedHostKeys, type HostKeyEntry} from '../ssh/index.js'
import {exists, writeFileSafely} from '../state/files.js'
import {statePaths} from '../state/home.js'
import type {Logger} from './log.js'

/** What the proxy signs and trusts with, loaded once at start. */
export interface ProxyIdentity {
  cluster: string
  /** The host CA with its private key: the proxy mints host certificates for the hosts it fronts. */
  hostCA: CertificateAuthority
  userCAKey: PublicKey
  hostCAKey: PublicKey
  /** The proxy's own host keys (its key with a certificate for `principals`). */
  hostKeys: HostKeyEntry[]
  principals: string[]
  /** Host keys presenting a short-lived certificate for `names`, cached until near expiry. */
  hostKeysFor(names: string[]): HostKeyEntry[]
}

export function proxyKeyPath(home: string): string {
  return join(statePaths(home).home, 'proxy', 'host_key')
}

/** On a fresh state directory, create the CAs (so `fleetctl proxy start` just works) and say where. */
export async function ensureCertificateAuthorities(home: string, log: Logger): Promise<void> {
  const paths = statePaths(home)
  if ((await exists(paths.userCA)) || (await exists(paths.hostCA))) return
  const result = await initCertificateAuthorities(home, {})
  log.info('ca.created', {
    cluster: result.cluster,
    user_ca: result.userCA.path,
    host_ca: result.hostCA.path,
    msg: `created the fleet's user and host CAs in ${paths.caDir}; back this folder up, and give hosts \`fleetctl ca export --type user\``,
  })
}

/**
 * Load the CAs and the proxy's own host key (made on first start, 0600), and certify that key for
 * `principals` with a fresh certificate from the host CA (written beside it for inspection).
 */
export async function loadProxyIdentity(options: {home: string; principals: string[]; mintedTtlSeconds: number}, log: Logger): Promise<ProxyIdentity> {
  const {home, principals} = options
  const hostCA = await loadCertificateAuthority(home, 'host')
  const userCA = await loadCAPublicKey(home, 'user')
  const keyPath = proxyKeyPath(home)
  if (!(await exists(keyPath))) {
    const key = generateKey({type: 'ed25519'}, `fleetctl-proxy@${hostCA.cluster}`)
    await writeFileSafely(keyPath, encodePrivateKey(key), {mode: 0o600})
    await writeFileSafely(`${keyPath}.pub`, `${formatPublicKey(key.publicKey, key.comment)}\n`, {mode: 0o644})
    log.info('proxy.host_key.created', {path: keyPath})
  }
  const keyText = await readFile(keyPath, 'utf8')
  const proxyKey = parsePrivateKey(keyText)

  const certify = (names: string[], ttlSeconds: number) =>
    signCertificate(hostCertificateRequest({hosts: names, keyId: `fleetctl-proxy ${names[0]}`, publicKey: proxyKey.publicKey, ttlSeconds}), hostCA.key)

  const own = certify(principals, 365 * 86_400)
  await writeFileSafely(`${keyPath}-cert.pub`, `${formatCertificate(own, proxyKey.comment)}\n`, {mode: 0o644, overwrite: true})

  // Minted certificates are reused until a fifth of their life is left.
  const minted = new Map<string, {expires: number; hostKeys: HostKeyEntry[]}>()
  const ttl = options.mintedTtlSeconds
  return {
    cluster: hostCA.cluster,
    hostCA,
    userCAKey: userCA.key,
    hostCAKey: hostCA.key.publicKey,
    hostKeys: certifiedHostKeys(keyText, own.blob),
    principals,
    hostKeysFor(names) {
      const unique = [...new Set(names)]
      const cacheKey = unique.join(',')
      const now = Date.now()
      const cached = minted.get(cacheKey)
      if (cached && cached.expires > now) return cached.hostKeys
      const certificate = certify(unique, ttl)
      const hostKeys = certifiedHostKeys(keyText, certificate.blob)
      if (minted.size > 1000) minted.clear()
      minted.set(cacheKey, {expires: now + ttl * 800, hostKeys})
      return hostKeys
    },
  }
}
