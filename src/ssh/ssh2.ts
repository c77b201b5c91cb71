/**
 * The one place that loads ssh2: the copy carried in this package under vendor/ssh2 (ssh2 1.17.0
 * with OpenSSH certificate support and fleetctl's hooks, one commit per concern; see
 * vendor/ssh2/FLEETCTL.md). Types come from @types/ssh2; the declarations below type what the
 * vendored copy adds.
 */
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

import {FleetError} from '../base/errors.js'

declare module 'ssh2' {
  interface Connection {
    /** Open an `auth-agent@openssh.com` channel back to the client (added in vendor/ssh2). */
    openssh_authAgent(callback: ServerCallback): this
  }
  interface Channel {
    /** Send an RFC 4335 break on a client session channel (added in vendor/ssh2). */
    sendBreak(length: number): void
  }
}

const require = createRequire(import.meta.url)
// vendor/ sits at the package root, two folders up from both src/ssh/ and dist/ssh/.
const VENDORED_LIB = new URL('../../vendor/ssh2/lib/', import.meta.url)
const vendored = <T>(file: string): T => require(fileURLToPath(new URL(file, VENDORED_LIB))) as T

const ssh2 = vendored<typeof import('ssh2')>('index.js')

export const {BaseAgent, Client, OpenSSHAgent, Server, utils} = ssh2
export type {
  AcceptConnection,
  AuthContext,
  ClientChannel,
  ClientInfo,
  Connection,
  ExecInfo,
  ParsedKey,
  PseudoTtyInfo,
  PublicKeyAuthContext,
  RejectConnection,
  ServerChannel,
  ServerConfig,
  Session,
  SetEnvInfo,
  SignalInfo,
  SigningRequestOptions,
  SubsystemInfo,
  TcpipRequestInfo,
  WindowChangeInfo,
} from 'ssh2'

/** ssh2's default cipher list for this machine (AES-GCM first with AES instructions and the binding). */
export function defaultCiphers(): string[] {
  return [...vendored<{DEFAULT_CIPHER: string[]}>('protocol/constants.js').DEFAULT_CIPHER]
}

/** Whether ssh2's native crypto binding loaded, and if not, why (from vendor/ssh2's crypto.js). */
export interface NativeCrypto {
  loaded: boolean
  problem?: string
}

export function nativeCrypto(): NativeCrypto {
  const crypto = vendored<{bindingAvailable?: boolean; bindingError?: string}>('protocol/crypto.js')
  return crypto.bindingAvailable === true ? {loaded: true} : {loaded: false, problem: crypto.bindingError ?? 'unknown'}
}

/** What to do where the binding did not load: the commands a user runs. */
export const NATIVE_CRYPTO_HINTS = [
  'Install a compiler: apt-get install -y python3 make g++ (Debian/Ubuntu)',
  'Then rebuild the binding: npm rebuild ssh2 (in the folder fleetctl is installed in), or reinstall fleetctl',
]

// A throwaway OpenSSH user certificate (public data only: made once with ssh-keygen for this check).
const SELF_CHECK_CERTIFICATE =
  'ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIGP+V+o5FgdVfLYm4QG/YXp328u5YyZskujDV+F05HFwAAAAIAbaZGbWRJ+RDl4mzTVZUWlV1yLSeonwxebw/eDVo09mAAAAAAAAAAAAAAABAAAAE2ZsZWV0Y3RsLXNlbGYtY2hlY2sAAAAOAAAACnNlbGYtY2hlY2sAAAAAZ3SFgAAAAABnddcAAAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAgIEBJDZXpBuIYFM9KhfIKqiYBFOw6o9BKgIBqMMSIuB0AAABTAAAAC3NzaC1lZDI1NTE5AAAAQHECXhN/jxtpZti42f/E6U+DUMeQW5zo+a/2Tzryp4PxlUULWS3Zm5NjBeJ1Hi/LxZ2A4NMafDXbkamgBU3hvQI='

/** The parts of an ssh2 build that the certificate self-check exercises. */
export interface Ssh2Build {
  parseKey: (typeof utils)['parseKey']
  /** lib/protocol/constants.js SUPPORTED_SERVER_HOST_KEY */
  hostKeyAlgorithms: string[]
}

const vendoredBuild = (): Ssh2Build => ({
  parseKey: utils.parseKey,
  hostKeyAlgorithms: vendored<{SUPPORTED_SERVER_HOST_KEY: string[]}>('protocol/constants.js').SUPPORTED_SERVER_HOST_KEY,
})

/**
 * Why an ssh2 build cannot do what fleetctl needs (OpenSSH certificates as keys and as host-key
 * algorithms), or undefined when it can. A functional check of the code that runs, not a
 * version check: an unpatched ssh2 reads the certificate as its plain key, and the proxy would
 * later fail with nothing but "host certificate: Unsupported key format".
 */
export function certificateSupportProblem(build: Ssh2Build = vendoredBuild()): string | undefined {
  const parsed = build.parseKey(SELF_CHECK_CERTIFICATE)
  if (parsed instanceof Error) return `it cannot parse an OpenSSH certificate (${parsed.message})`
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  const blob = Buffer.from(SELF_CHECK_CERTIFICATE.split(' ')[1]!, 'base64')
  if (key?.type !== 'ssh-ed25519-cert-v01@openssh.com' || !key.getPublicSSH().equals(blob)) {
    return 'it parses an OpenSSH certificate as a plain key'
  }
  if (!build.hostKeyAlgorithms.includes('ecdsa-sha2-nistp256-cert-v01@openssh.com')) {
    return 'it does not support certificate host-key algorithms'
  }
  return undefined
}

/** Refuse to start with an ssh2 that lacks certificate support, naming the cause. */
export function assertCertificateSupport(): void {
  const problem = certificateSupportProblem()
  if (problem === undefined) return
  throw new FleetError(`ssh: the ssh2 library loaded from ${fileURLToPath(new URL('..', VENDORED_LIB))} lacks OpenSSH certificate support: ${problem}`, {
    code: 'SSH2_NO_CERTIFICATE_SUPPORT',
    suggestions: [
      'fleetctl carries its own ssh2 under vendor/ssh2 in its package: reinstall fleetctl from its package rather than replacing that folder',
      'From a checkout: git checkout -- vendor/ssh2 restores it',
    ],
  })
}
