import {FleetError} from '../base/errors.js'
import {
  type Certificate,
  CertificateRequestError,
  encodePrivateKey,
  fingerprint,
  formatCertificate,
  generateKey,
  KeyFormatError,
  type KeySpec,
  type PublicKey,
  signCertificate,
} from '../certs/index.js'
import {readForeignPublicKey} from '../key-formats/index.js'
import {exists, readUserFile, writeFileSafely} from '../state/files.js'
import {hostCertificateRequest, userCertificateRequest} from './issue.js'
import {loadCertificateAuthority} from './store.js'

export type CredentialRequest =
  | {
      criticalOptions?: Record<string, string>
      extensions?: Record<string, string>
      keyId?: string
      kind: 'user'
      principals?: string[]
      ttlSeconds?: number
      user: string
    }
  | {hosts: string[]; keyId?: string; kind: 'host'; ttlSeconds?: number}

export interface IssueOptions {
  home: string
  /** Key to generate when no public key is given. */
  keySpec: KeySpec
  /** Path prefix: `<out>` gets the private key, `<out>-cert.pub` the certificate. */
  out?: string
  overwrite?: boolean
  /** Sign this existing public key instead of generating a key pair. */
  publicKeyFile?: string
  request: CredentialRequest
}

export interface IssuedCredentials {
  certificate: {
    keyId: string
    path: string
    principals: string[]
    serial: string
    type: 'host' | 'user'
    validAfter: string
    validBefore: string
  }
  fingerprint: string
  files: string[]
  privateKeyPath?: string
}

const instant = (seconds: bigint) => (seconds >= 0xffff_ffff_ffff_ffffn ? 'forever' : new Date(Number(seconds) * 1000).toISOString())

/**
 * Issues a user or host certificate from the local CA and writes it beside its key, the way
 * `ssh-keygen -s` names files (`<key>` and `<key>-cert.pub`). With an existing public key the
 * private key stays where it is.
 */
export async function issueCredentials(options: IssueOptions): Promise<IssuedCredentials> {
  const {request} = options
  const ca = await loadCertificateAuthority(options.home, request.kind)

  let publicKey: PublicKey
  let privateKeyText: string | undefined
  let comment: string
  if (options.publicKeyFile) {
    const text = await readUserFile(options.publicKeyFile, 'public key')
    try {
      ;({comment, key: publicKey} = readForeignPublicKey(text))
    } catch (error) {
      throw new FleetError(`${options.publicKeyFile}: ${(error as Error).message}`, {code: 'bad_public_key', exit: 'usage'})
    }
  } else {
    const name = request.kind === 'user' ? request.user : request.hosts[0]
    const key = generateKey(options.keySpec, name)
    publicKey = key.publicKey
    comment = key.comment
    privateKeyText = encodePrivateKey(key)
  }

  const defaultOut = options.publicKeyFile ? options.publicKeyFile.replace(/\.pub$/, '') : request.kind === 'user' ? request.user : request.hosts[0]
  const out = options.out ?? defaultOut

  let certificate: Certificate
  try {
    const certificateRequest =
      request.kind === 'user'
        ? userCertificateRequest({...request, publicKey})
        : hostCertificateRequest({...request, publicKey})
    certificate = signCertificate(certificateRequest, ca.key)
  } catch (error) {
    if (error instanceof CertificateRequestError || error instanceof KeyFormatError) {
      throw new FleetError(`cannot issue this certificate: ${error.message}`, {code: 'bad_certificate_request', exit: 'usage'})
    }

    throw error
  }

  const certPath = `${out}-cert.pub`
  if (!options.overwrite) {
    // Check both names first so a refusal never leaves a private key without its certificate.
    for (const path of privateKeyText ? [out, certPath] : [certPath]) {
      if (await exists(path)) {
        throw new FleetError(`${path} already exists; not overwriting it`, {
          code: 'file_exists',
          exit: 'refused',
          suggestions: ['Pass --overwrite to replace it, or choose another --out path.'],
        })
      }
    }
  }

  const files: string[] = []
  if (privateKeyText) {
    await writeFileSafely(out, privateKeyText, {mode: 0o600, overwrite: options.overwrite})
    files.push(out)
  }

  await writeFileSafely(certPath, `${formatCertificate(certificate, comment)}\n`, {mode: 0o644, overwrite: options.overwrite})
  files.push(certPath)

  return {
    certificate: {
      keyId: certificate.keyId,
      path: certPath,
      principals: certificate.principals,
      serial: certificate.serial.toString(),
      type: certificate.type,
      validAfter: instant(certificate.validAfter),
      validBefore: instant(certificate.validBefore),
    },
    files,
    fingerprint: fingerprint(publicKey),
    privateKeyPath: privateKeyText ? out : undefined,
  }
}
