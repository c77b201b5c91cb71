import {dirname} from 'node:path'

import {FleetError} from '../base/errors.js'
import {hostCertificateRequest} from '../ca/issue.js'
import {type CertificateAuthority, loadCertificateAuthority} from '../ca/store.js'
import {
  type Certificate,
  fingerprint,
  FOREVER,
  formatCertificate,
  formatPublicKey,
  parseCertificateLine,
  parsePublicKey,
  type PublicKey,
  signCertificate,
  verifyCertificate,
} from '../certs/index.js'
import {type InventoryHost, recordHost} from '../inventory/store.js'
import {type EnrollmentPlan, type EnrollmentStrategy, globalDirectives, parseSshdConfig, planEnrollment, renderPlanDiff, renderUnifiedDiff} from '../sshd-config/index.js'
import type {HostConnection} from './connection.js'
import {firstLine} from './executor.js'
import {HostFiles} from './host-files.js'
import {type HostFacts, inspectHost, maxStartupsWarning} from './inspect.js'
import {reloadSshd} from './reload.js'
import {checkNewLogin} from './verify.js'

export const DEFAULT_SSHD_CONFIG = '/etc/ssh/sshd_config'
export const USER_CA_FILE_NAME = 'fleet_user_ca.pub'
export const HOST_KEY_FILE_NAME = 'ssh_host_ed25519_key'
export const BACKUP_SUFFIX = '.fleetctl.bak'

export interface EnrollSettings {
  home: string
  /** The sshd_config on the host; the user CA key, host key and certificate go beside it. */
  sshdConfig: string
  /** More host certificate principals besides the names used and the host's own names. */
  principals: string[]
  ttlSeconds: number
  maxStartups?: string
  reloadCommand?: string
  strategy?: EnrollmentStrategy | 'auto'
  /** Re-sign a certificate that expires within this many seconds. */
  renewWithinSeconds?: number
  /** `hosts renew`: re-sign this key for these principals and push only the certificate. */
  renew?: {hostKey: string; principals: string[]}
}

/** The two CAs enrollment signs with, loaded once per run. */
export interface Fleet {
  cluster: string
  hostCA: CertificateAuthority
  userCA: CertificateAuthority
}

export async function loadFleet(home: string): Promise<Fleet> {
  const [hostCA, userCA] = await Promise.all([loadCertificateAuthority(home, 'host'), loadCertificateAuthority(home, 'user')])
  return {cluster: userCA.cluster, hostCA, userCA}
}

/** Where fleetctl's files go on a host: beside its sshd_config. */
export function hostPaths(configPath: string) {
  const dir = dirname(configPath)
  const hostKey = `${dir}/${HOST_KEY_FILE_NAME}`
  return {dir, hostKey, hostCertificate: `${hostKey}-cert.pub`, trustedUserCAKeys: `${dir}/${USER_CA_FILE_NAME}`}
}

/** Everything known about a host before anything on it changes. */
export interface PreparedHost {
  connection: HostConnection
  facts: HostFacts
  paths: ReturnType<typeof hostPaths>
  plan: EnrollmentPlan
  principals: string[]
  /** The host's public key, when its key exists already. */
  hostPublicKey?: PublicKey
  /** The TrustedUserCAKeys file as it is, and as it must be. */
  userCAFile: {before: string | null; after: string}
  certificateBefore: string | null
  needs: {hostKey: boolean; certificate: boolean; userCA: boolean; config: boolean}
  status: 'unchanged' | 'change'
  warnings: string[]
  system: {os: string; sshd: string}
  /** The drop-in directory when the plan writes into one that does not exist yet. */
  missingDirectory?: string
}

const DAY = 86_400

/** Connect-side work with no change to the host: inspect, plan, and decide what must change. */
export async function prepareHost(connection: HostConnection, settings: EnrollSettings, fleet: Fleet): Promise<PreparedHost> {
  const facts = await inspectHost(connection.executor, settings.sshdConfig, {sudo: connection.access.sudo})
  const files = new HostFiles(connection.executor)
  const defaultHostKeys = await existingDefaultHostKeys(files)
  const hostKey = settings.renew ? await renewedKey(connection, settings.renew.hostKey, facts) : await chooseHostKey(connection, facts, defaultHostKeys)
  const paths = {...hostPaths(settings.sshdConfig), ...(hostKey ? {hostKey: hostKey.path, hostCertificate: `${hostKey.path}-cert.pub`} : {})}
  const plan = planEnrollment(parseSshdConfig(facts.configText), {
    trustedUserCAKeys: paths.trustedUserCAKeys,
    hostKey: paths.hostKey,
    hostCertificate: paths.hostCertificate,
    ...(settings.maxStartups ? {maxStartups: settings.maxStartups} : {}),
    configPath: facts.configPath,
    strategy: settings.strategy ?? 'auto',
    includedFiles: facts.includedFiles,
    defaultHostKeys,
  })
  if (plan.status === 'conflict' && !settings.renew) {
    const [first, ...more] = plan.conflicts
    throw new FleetError(`${first.message}${more.length > 0 ? ` (and ${more.length} more conflicts)` : ''}`, {code: 'sshd_config_conflict', exit: 'refused'})
  }

  const hostPublicKey = hostKey?.publicKey ?? (await readHostPublicKey(connection, paths.hostKey, facts))
  const principals =
    settings.renew?.principals ??
    [...new Set([...connection.names, ...settings.principals, facts.hostname, ...(facts.fqdn ? [facts.fqdn] : [])])].filter((name) => name && name !== 'localhost' && name !== '(none)')
  const certificateBefore = await files.read(paths.hostCertificate)
  const userCALine = formatPublicKey(fleet.userCA.key.publicKey, `fleetctl-user-ca@${fleet.cluster}`)
  const userCABefore = await files.read(paths.trustedUserCAKeys)
  const userCAAfter = userCABefore === null ? `${userCALine}\n` : hasKey(userCABefore, fleet.userCA.key.publicKey) ? userCABefore : `${userCABefore}${userCABefore.endsWith('\n') || userCABefore === '' ? '' : '\n'}${userCALine}\n`

  const renewWithin = Math.min(settings.renewWithinSeconds ?? 30 * DAY, Math.floor(settings.ttlSeconds / 3))
  const needs = settings.renew
    ? {hostKey: false, certificate: true, userCA: false, config: false}
    : {
        hostKey: !hostPublicKey,
        certificate: !hostPublicKey || !certificateStillGood(certificateBefore, hostPublicKey, principals, fleet, renewWithin),
        userCA: userCAAfter !== userCABefore,
        config: plan.status === 'change',
      }
  const missingDirectory = plan.dropInPath && plan.files.some((file) => file.path === plan.dropInPath && file.before === null) && !(await files.isDirectory(dirname(plan.dropInPath))) ? dirname(plan.dropInPath) : undefined
  const status = Object.values(needs).some(Boolean) ? 'change' : 'unchanged'
  const warnings = [...plan.warnings]
  if (settings.renew && (plan.status !== 'unchanged' || userCAAfter !== userCABefore)) {
    warnings.push('fleetctl\'s lines in sshd_config or its user CA file changed since enrollment; renewing only the certificate. Run `fleetctl enroll host` to put them back.')
  }
  const principalsFile = facts.effective.get('authorizedprincipalsfile')?.[0]
  if (principalsFile && principalsFile !== 'none') {
    warnings.push(`AuthorizedPrincipalsFile is ${principalsFile}: a fleet user certificate logs in only as a user whose file lists one of its principals`)
  }
  const maxStartups = settings.maxStartups ? undefined : maxStartupsWarning(facts.effective)
  if (maxStartups) warnings.push(maxStartups)

  if (status === 'change') {
    const writes = [
      ...(needs.config ? plan.files.flatMap((file) => (file.before === null ? [file.path] : [file.path, `${file.path}${BACKUP_SUFFIX}`])) : []),
      ...(needs.hostKey ? [paths.hostKey, `${paths.hostKey}.pub`] : []),
      ...(needs.certificate ? [paths.hostCertificate] : []),
      ...(needs.userCA ? [paths.trustedUserCAKeys] : []),
    ]
    const unwritable = await files.unwritable(writes)
    if (unwritable.length > 0) {
      throw new FleetError(`cannot write ${unwritable[0]} on ${connection.name} as uid ${facts.uid}${connection.access.sudo ? ' (even with sudo)' : '; pass --sudo or log in as root'}`, {
        code: 'host_read_only',
        exit: 'refused',
      })
    }
  }

  return {
    connection,
    facts,
    paths,
    plan,
    principals,
    ...(hostPublicKey ? {hostPublicKey} : {}),
    userCAFile: {before: userCABefore, after: userCAAfter},
    certificateBefore,
    needs,
    status,
    warnings,
    system: {os: facts.os, sshd: facts.sshd.version},
    ...(missingDirectory ? {missingDirectory} : {}),
  }
}

/** The dry-run view: the config diff, then the other files as one line each. */
export function describeChanges(prepared: PreparedHost): string {
  const {needs, paths} = prepared
  const lines = [
    ...(needs.hostKey ? [`# generate ${paths.hostKey} on the host (ed25519; the private key never leaves it)`] : []),
    ...(needs.certificate ? [`# write ${paths.hostCertificate}: host certificate for ${prepared.principals.join(', ')}`] : []),
  ]
  const userCADiff = needs.userCA
    ? renderUnifiedDiff(prepared.userCAFile.before ?? '', prepared.userCAFile.after, {
        oldName: prepared.userCAFile.before === null ? '/dev/null' : paths.trustedUserCAKeys,
        newName: paths.trustedUserCAKeys,
      })
    : ''
  return `${lines.map((line) => `${line}\n`).join('')}${renderPlanDiff(prepared.plan)}${userCADiff}`
}

export interface EnrollOutcome {
  status: 'enrolled' | 'renewed' | 'unchanged'
  reloadedWith?: string
  certificate: InventoryHost['certificate']
  principals: string[]
}

/** A change that failed and was undone; the message says why and what the rollback found. */
export class RolledBackError extends FleetError {
  constructor(message: string) {
    super(message, {code: 'enroll_rolled_back', exit: 'failure'})
  }
}

/**
 * Changes the host: key, certificate, CA file, config; `sshd -t`; reload; a new login that must
 * see the new certificate. Any failure puts every byte back (and reloads when it had reloaded).
 */
export async function applyHost(prepared: PreparedHost, settings: EnrollSettings, fleet: Fleet, progress: (step: string) => void = () => {}): Promise<EnrollOutcome> {
  const {connection, facts, paths, needs} = prepared
  const files = new HostFiles(connection.executor)
  const undo: UndoStep[] = []
  let reloaded = false
  const put = async (path: string, before: string | null, after: string | null, mode?: string) => {
    undo.push({path, before})
    if (after === null) await files.remove(path)
    else await files.write(path, after, mode)
  }

  try {
    if (prepared.status === 'unchanged') {
      const {certificate} = parseCertificateLine(prepared.certificateBefore ?? '')
      return {status: 'unchanged', certificate: certificateRecord(certificate), principals: certificate.principals}
    }

    let publicKey = prepared.hostPublicKey
    if (needs.hostKey) {
      progress('generating the host key on the host')
      undo.push({path: paths.hostKey, before: null}, {path: `${paths.hostKey}.pub`, before: null})
      const result = await connection.executor.run(`ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1" </dev/null`, [paths.hostKey, `fleetctl@${facts.hostname}`])
      if (result.exitCode !== 0) throw new FleetError(`ssh-keygen on ${connection.name} failed: ${firstLine(result.stderr)}`, {code: 'keygen_failed'})
      publicKey = await readHostPublicKey(connection, paths.hostKey, facts)
      if (!publicKey) throw new FleetError(`ssh-keygen on ${connection.name} made no readable key at ${paths.hostKey}`, {code: 'keygen_failed'})
    }

    let certificate: Certificate
    if (needs.certificate) {
      progress('signing the host certificate')
      certificate = signCertificate(
        hostCertificateRequest({hosts: prepared.principals, keyId: `fleetctl-host:${connection.name}`, publicKey: publicKey!, ttlSeconds: settings.ttlSeconds}),
        fleet.hostCA.key,
      )
      await put(paths.hostCertificate, prepared.certificateBefore, `${formatCertificate(certificate, `fleetctl-host@${facts.hostname}`)}\n`, '0644')
    } else {
      certificate = parseCertificateLine(prepared.certificateBefore ?? '').certificate
    }
    if (needs.userCA) await put(paths.trustedUserCAKeys, prepared.userCAFile.before, prepared.userCAFile.after, '0644')

    if (needs.config) {
      progress('changing sshd_config')
      for (const file of prepared.plan.files.filter((planned) => planned.before !== null)) {
        const backup = `${file.path}${BACKUP_SUFFIX}`
        undo.push({path: backup, before: await files.read(backup)})
        await files.copy(file.path, backup)
      }
      if (prepared.missingDirectory) undo.push({path: prepared.missingDirectory, before: null})
      for (const file of prepared.plan.files) await put(file.path, file.before, file.after, '0644')
    }

    progress('validating with sshd -t')
    const test = await connection.executor.run('"$1" -t -f "$2" 2>&1', [facts.sshd.path, facts.configPath])
    if (test.exitCode !== 0) throw new FleetError(`sshd -t rejects the new config: ${firstLine(test.stdout) || `exit status ${test.exitCode}`}`, {code: 'sshd_test_failed'})

    progress('reloading sshd')
    const reloadedWith = await reloadSshd(connection.executor, facts, settings.reloadCommand)
    reloaded = true

    progress('logging in anew with a fleet certificate')
    const failure = await checkNewLogin({
      ...connection.newLogin(facts),
      hostCA: fleet.hostCA.key.publicKey,
      hostCertificateSerial: certificate.serial,
      userCA: fleet.userCA.key,
    })
    if (failure) throw new FleetError(failure, {code: 'new_login_failed'})

    const record = certificateRecord(certificate)
    await recordHost(settings.home, inventoryEntry(prepared, certificate, publicKey!, settings.maxStartups))
    return {status: needs.config || needs.userCA || needs.hostKey ? 'enrolled' : 'renewed', reloadedWith, certificate: record, principals: certificate.principals}
  } catch (error) {
    if (undo.length === 0) throw error
    progress('rolling back')
    throw new RolledBackError(`${(error as Error).message}; ${await rollBack(prepared, settings.reloadCommand, files, undo, reloaded)}`)
  }
}

/** One file (or directory fleetctl made) to put back as it was. */
export interface UndoStep {
  path: string
  before: string | null
  /** Mode for a file that has to be made anew (a removed private key is 0600). */
  mode?: string
}

/** Puts every file back in reverse order, reloads sshd if it had reloaded, and checks the old way in. */
export async function rollBack(
  prepared: {connection: HostConnection; facts: HostFacts; missingDirectory?: string},
  reloadCommand: string | undefined,
  files: HostFiles,
  undo: UndoStep[],
  reloaded: boolean,
): Promise<string> {
  const problems: string[] = []
  for (const {path, before, mode} of undo.reverse()) {
    try {
      if (path === prepared.missingDirectory) await files.removeEmptyDirectory(path)
      else await files.restore(path, before, mode)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) return `ROLLBACK INCOMPLETE: ${problems.join('; ')}`
  if (!reloaded) return 'rolled back every file; sshd never loaded the change'
  try {
    await reloadSshd(prepared.connection.executor, prepared.facts, reloadCommand)
  } catch (error) {
    return `rolled back the files but ${(error as Error).message}`
  }
  const oldAccess = await prepared.connection.checkOldAccess()
  return oldAccess ? `rolled back and reloaded, but the old login now fails: ${oldAccess}` : 'rolled back and reloaded; the old login works'
}

/** The host's public key, derived on the host from its private key (which stays there). */
async function readHostPublicKey(connection: HostConnection, hostKey: string, facts: HostFacts): Promise<PublicKey | undefined> {
  // The .pub file serves a login that may not read the private key (it cannot change the host either, and is told so).
  const result = await connection.executor.run('[ -e "$1" ] || exit 44; ssh-keygen -y -f "$1" </dev/null 2>/dev/null || cat -- "$1.pub"', [hostKey])
  if (result.exitCode === 44) return undefined
  if (result.exitCode !== 0) {
    throw new FleetError(`cannot read the public half of ${hostKey} on ${connection.name} (${facts.os}): ${firstLine(result.stderr)}`, {code: 'host_key_unreadable'})
  }
  return parsePublicKey(result.stdout).key
}

async function renewedKey(connection: HostConnection, path: string, facts: HostFacts): Promise<{path: string; publicKey: PublicKey}> {
  const publicKey = await readHostPublicKey(connection, path, facts)
  if (!publicKey) throw new FleetError(`the host key ${path} recorded at enrollment is gone from ${connection.name}`, {code: 'host_key_missing', exit: 'missingState', suggestions: ['Enroll the host again with `fleetctl enroll host`.']})
  return {path, publicKey}
}

/**
 * The ed25519 key sshd already serves, when there is one: certifying it keeps the host's identity,
 * while a second ed25519 key would make clients that know the first one cry "host key changed".
 */
async function chooseHostKey(connection: HostConnection, facts: HostFacts, defaultHostKeys: string[]): Promise<{path: string; publicKey: PublicKey} | undefined> {
  const configured = globalDirectives(parseSshdConfig(facts.configText), 'HostKey').map((line) => line.args[0] ?? '')
  const candidates = facts.effective.get('hostkey') ?? (configured.length > 0 ? configured : defaultHostKeys)
  for (const path of candidates) {
    const publicKey = await readHostPublicKey(connection, path, facts).catch(() => undefined)
    if (publicKey?.algorithm === 'ssh-ed25519') return {path, publicKey}
  }
  return undefined
}

async function existingDefaultHostKeys(files: HostFiles): Promise<string[]> {
  const keys: string[] = []
  for (const type of ['rsa', 'ecdsa', 'ed25519']) {
    const path = `/etc/ssh/ssh_host_${type}_key`
    if (await files.exists(path)) keys.push(path)
  }
  return keys
}

function hasKey(text: string, key: PublicKey): boolean {
  return text.split('\n').some((line) => line.trim().split(/\s+/)[1] === key.blob.toString('base64'))
}

/** An existing certificate is kept when it is ours, for this key, names every principal and is not about to expire. */
function certificateStillGood(text: string | null, publicKey: PublicKey, principals: string[], fleet: Fleet, renewWithinSeconds: number): boolean {
  if (!text) return false
  try {
    const {certificate} = parseCertificateLine(text)
    const check = verifyCertificate(certificate, {caKeys: [fleet.hostCA.key.publicKey], type: 'host', now: Date.now() / 1000 + renewWithinSeconds})
    return check.ok && certificate.publicKey.blob.equals(publicKey.blob) && principals.every((name) => certificate.principals.includes(name))
  } catch {
    return false
  }
}

const instant = (seconds: bigint) => (seconds >= FOREVER ? 'forever' : new Date(Number(seconds) * 1000).toISOString())

export function certificateRecord(certificate: Certificate): InventoryHost['certificate'] {
  return {serial: certificate.serial.toString(), keyId: certificate.keyId, validAfter: instant(certificate.validAfter), validBefore: instant(certificate.validBefore)}
}

function inventoryEntry(prepared: PreparedHost, certificate: Certificate, publicKey: PublicKey, maxStartups: string | undefined): InventoryHost {
  const now = new Date().toISOString()
  return {
    name: prepared.connection.name,
    access: prepared.connection.access,
    hostname: prepared.facts.hostname,
    os: prepared.facts.os,
    sshdVersion: prepared.facts.sshd.version,
    sshdConfig: prepared.facts.configPath,
    hostKey: prepared.paths.hostKey,
    hostKeyFingerprint: fingerprint(publicKey),
    hostCertificate: prepared.paths.hostCertificate,
    trustedUserCAKeys: prepared.paths.trustedUserCAKeys,
    principals: certificate.principals,
    certificate: certificateRecord(certificate),
    // What sshd runs with after enrollment, for `fleetctl doctor` (sshd takes the last MaxStartups).
    maxStartups: maxStartups ?? prepared.facts.effective.get('maxstartups')?.at(-1),
    enrolledAt: now,
  }
}
