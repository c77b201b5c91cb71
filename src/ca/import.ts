import {hostname} from 'node:os'
import {rename} from 'node:fs/promises'

import {FleetError} from '../base/errors.js'
import {
  type CertificateType,
  encodePrivateKey,
  fingerprint,
  formatPublicKey,
  KeyFormatError,
  MIN_RSA_BITS_ACCEPTED,
  type PrivateKey,
} from '../certs/index.js'
import {type ForeignPrivateKey, KeyPassphraseError, type PrivateKeyFileFormat, readForeignPrivateKey} from '../key-formats/index.js'
import {readConfig, writeConfig} from '../state/config.js'
import {exists, readUserFile, writeFileSafely} from '../state/files.js'
import {statePaths} from '../state/home.js'

export interface ImportOptions {
  cluster?: string
  /** Replace an existing CA of this type (the old files are kept beside it). */
  force?: boolean
  home: string
  /** The key file to import. */
  keyFile: string
  /** The passphrase, when known (from a file). */
  passphrase?: string
  /** Asks a person for the passphrase; absent when nobody can answer (CI, no TTY, --json). */
  promptPassphrase?: (keyFile: string) => Promise<string>
  type: CertificateType
}

export interface ImportResult {
  algorithm: string
  bits: number
  cluster: string
  comment: string
  /** SHA256 fingerprint, as `ssh-keygen -l -E sha256` prints it. */
  fingerprint: string
  format: PrivateKeyFileFormat
  path: string
  publicKeyPath: string
  /** Where the CA that was replaced now lives (with --force only). */
  replaced?: string
  type: CertificateType
}

/**
 * Makes an organisation's existing CA key the fleet's user or host CA, so hosts and clients that
 * already trust it keep working. The key is stored unencrypted in fleetctl's own format (0600),
 * as `ca init` stores the keys it makes.
 */
export async function importCertificateAuthority(options: ImportOptions): Promise<ImportResult> {
  const paths = statePaths(options.home)
  const path = options.type === 'user' ? paths.userCA : paths.hostCA
  if (!options.force && (await exists(path))) {
    throw new FleetError(`a ${options.type} CA already exists at ${path}; fleetctl does not replace a CA unless told to`, {
      code: 'ca_exists',
      exit: 'refused',
      suggestions: [
        `Pass --force to replace it; the current key is kept beside it as ${path}.replaced-<time>. From then on fleetctl signs with the imported key only, so hosts and clients must trust it.`,
        'To import into another state directory instead, pass --home or set FLEETCTL_HOME.',
      ],
    })
  }

  const text = await readUserFile(options.keyFile, 'CA key')
  const {format, key} = await readKey(text, options)
  if (key.algorithm === 'ssh-rsa' && key.publicKey.bits < MIN_RSA_BITS_ACCEPTED) {
    throw new FleetError(`${options.keyFile}: an RSA key of ${key.publicKey.bits} bits is too weak for a CA (at least ${MIN_RSA_BITS_ACCEPTED})`, {
      code: 'weak_key',
      exit: 'untrusted',
      suggestions: ['Make a new CA with `fleetctl ca init` (ed25519) and trust it on the hosts beside the old one.'],
    })
  }

  const config = await readConfig(options.home)
  const cluster = options.cluster ?? config.cluster ?? hostname()
  const stored: PrivateKey = {...key, comment: key.comment || `fleetctl-${options.type}-ca@${cluster}`}

  let replaced: string | undefined
  if (await exists(path)) {
    replaced = `${path}.replaced-${new Date().toISOString().replaceAll(/[-:]|\.\d+/g, '')}`
    await rename(path, replaced)
    await rename(`${path}.pub`, `${replaced}.pub`).catch(() => {})
  }

  await writeFileSafely(path, encodePrivateKey(stored), {mode: 0o600})
  await writeFileSafely(`${path}.pub`, `${formatPublicKey(stored.publicKey, stored.comment)}\n`, {mode: 0o644, overwrite: true})
  if (config.cluster !== cluster) await writeConfig(options.home, {...config, cluster})

  return {
    algorithm: key.algorithm,
    bits: key.publicKey.bits,
    cluster,
    comment: stored.comment,
    fingerprint: fingerprint(key.publicKey),
    format,
    path,
    publicKeyPath: `${path}.pub`,
    replaced,
    type: options.type,
  }
}

async function readKey(text: string, options: ImportOptions): Promise<ForeignPrivateKey> {
  try {
    return readForeignPrivateKey(text, options.passphrase)
  } catch (error) {
    if (error instanceof KeyPassphraseError && error.reason === 'missing' && options.passphrase === undefined && options.promptPassphrase) {
      const passphrase = await options.promptPassphrase(options.keyFile)
      try {
        return readForeignPrivateKey(text, passphrase)
      } catch (retryError) {
        throw keyError(retryError, options)
      }
    }

    throw keyError(error, options)
  }
}

function keyError(error: unknown, {keyFile, type}: ImportOptions): unknown {
  if (error instanceof KeyPassphraseError) {
    return error.reason === 'missing'
      ? new FleetError(`${keyFile}: ${error.message}, and no passphrase was given`, {
          code: 'passphrase_required',
          exit: 'usage',
          suggestions: ['Pass --passphrase-file with a file holding the passphrase (its first line), or run the command in a terminal to be asked for it.'],
        })
      : new FleetError(`${keyFile}: ${error.message}`, {
          code: 'wrong_passphrase',
          exit: 'usage',
          suggestions: ['Check the passphrase file: its first line is the passphrase, without quotes.'],
        })
  }

  if (error instanceof KeyFormatError) {
    const suggestions = /PPK version 3/.test(error.message)
      ? [`Convert it with PuTTY's own tool, which asks for the passphrase: \`puttygen ${keyFile} -O private-openssh-new -o ca_key\`, then \`fleetctl ca import --type ${type} --key ca_key\`.`]
      : ['Give --key the CA\'s private key file: OpenSSH (`ssh-keygen` output, passphrase-protected or not), PEM (PKCS#1, SEC1 or PKCS#8) or PuTTY PPK.']
    return new FleetError(`${keyFile}: ${error.message}`, {code: 'bad_private_key', exit: 'usage', suggestions})
  }

  return error
}
