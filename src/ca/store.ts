import {hostname} from 'node:os'
import {readFile} from 'node:fs/promises'

import {FleetError} from '../base/errors.js'
import {
  type CertificateType,
  encodePrivateKey,
  fingerprint,
  formatPublicKey,
  generateKey,
  type KeySpec,
  parsePrivateKey,
  type PrivateKey,
  parsePublicKey,
  type PublicKey,
} from '../certs/index.js'
import {readConfig, writeConfig} from '../state/config.js'
import {exists, writeFileSafely} from '../state/files.js'
import {statePaths} from '../state/home.js'

export type CAKeyType = 'ecdsa' | 'ed25519' | 'rsa'

export interface CertificateAuthority {
  cluster: string
  key: PrivateKey
  privateKeyPath: string
  type: CertificateType
}

export function caKeySpec(type: CAKeyType): KeySpec {
  if (type === 'ecdsa') return {bits: 256, type: 'ecdsa'}
  if (type === 'rsa') return {bits: 4096, type: 'rsa'}
  return {type: 'ed25519'}
}

const caPath = (home: string, type: CertificateType) => (type === 'user' ? statePaths(home).userCA : statePaths(home).hostCA)

export interface InitResult {
  cluster: string
  home: string
  /** `existing` is a CA that was there already (imported with `ca import`) and is kept. */
  hostCA: {existing?: boolean; fingerprint: string; path: string}
  userCA: {existing?: boolean; fingerprint: string; path: string}
}

/**
 * Creates the user and host CAs, or the one of them that is missing (beside a CA brought in with
 * `ca import`). Refuses when both exist: replacing a CA locks users out.
 */
export async function initCertificateAuthorities(home: string, options: {cluster?: string; keyType?: CAKeyType}): Promise<InitResult> {
  const paths = statePaths(home)
  if ((await exists(paths.userCA)) && (await exists(paths.hostCA))) {
    throw new FleetError(`the CAs already exist in ${paths.caDir}; fleetctl never overwrites a CA`, {
      code: 'ca_exists',
      exit: 'refused',
      suggestions: [
        'To rotate: move the ca/ folder aside, run `fleetctl ca init` again, and add the new `fleetctl ca export --type user` line to every host\'s TrustedUserCAKeys file (it may hold several keys) and the new host CA line to known_hosts, before removing the old ones.',
        'To use another state directory instead, pass --home or set FLEETCTL_HOME.',
      ],
    })
  }

  const config = await readConfig(home)
  const cluster = options.cluster ?? config.cluster ?? hostname()
  const spec = caKeySpec(options.keyType ?? 'ed25519')
  const result: Partial<InitResult> = {cluster, home}
  for (const type of ['user', 'host'] as const) {
    const path = caPath(home, type)
    if (await exists(path)) {
      const key = (await loadCertificateAuthority(home, type)).key
      result[type === 'user' ? 'userCA' : 'hostCA'] = {existing: true, fingerprint: fingerprint(key.publicKey), path}
      continue
    }

    const key = generateKey(spec, `fleetctl-${type}-ca@${cluster}`)
    await writeFileSafely(path, encodePrivateKey(key), {mode: 0o600})
    await writeFileSafely(`${path}.pub`, `${formatPublicKey(key.publicKey, key.comment)}\n`, {mode: 0o644})
    result[type === 'user' ? 'userCA' : 'hostCA'] = {fingerprint: fingerprint(key.publicKey), path}
  }

  await writeConfig(home, {...config, cluster})
  return result as InitResult
}

/** Loads one CA with its private key; a missing CA says how to create one. */
export async function loadCertificateAuthority(home: string, type: CertificateType): Promise<CertificateAuthority> {
  const path = caPath(home, type)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new FleetError(`no ${type} CA in ${home}`, {
      code: 'ca_missing',
      exit: 'missingState',
      suggestions: ['Run `fleetctl ca init` to create the CAs, or point --home / FLEETCTL_HOME at the state directory that holds them.'],
    })
  }

  const config = await readConfig(home)
  return {cluster: config.cluster ?? hostname(), key: parsePrivateKey(text), privateKeyPath: path, type}
}

/** Only the public half of a CA, for checks that must not need the private key. */
export async function loadCAPublicKey(home: string, type: CertificateType): Promise<{cluster: string; key: PublicKey}> {
  const path = `${caPath(home, type)}.pub`
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new FleetError(`no ${type} CA public key at ${path}`, {
      code: 'ca_missing',
      exit: 'missingState',
      suggestions: [`Run \`fleetctl ca init\`, or copy the fleet's ${type} CA public key (\`fleetctl ca export --type ${type} --format public-key\`) to ${path}.`],
    })
  }

  const config = await readConfig(home)
  return {cluster: config.cluster ?? hostname(), key: parsePublicKey(text).key}
}
