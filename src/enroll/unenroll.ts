import {FleetError} from '../base/errors.js'
import {loadCAPublicKey} from '../ca/store.js'
import {parseCertificateLine, type PublicKey} from '../certs/index.js'
import {forgetHost} from '../inventory/store.js'
import {
  MANAGED_BEGIN,
  MANAGED_END,
  parseSshdConfig,
  planUnenrollment,
  renderPlanDiff,
  type UnenrollmentPlan,
} from '../sshd-config/index.js'
import type {HostConnection} from './connection.js'
import {BACKUP_SUFFIX, rollBack, type UndoStep} from './enroll.js'
import {firstLine} from './executor.js'
import {HostFiles} from './host-files.js'
import {type HostFacts, inspectHost} from './inspect.js'
import {reloadSshd} from './reload.js'
import {type HostRun, type JobOutcome, type Prepared, runHostJob, type RunReport} from './run.js'

export interface UnenrollSettings {
  home: string
  sshdConfig: string
  reloadCommand?: string
}

/** The public halves of the fleet CAs: enough to recognise what fleetctl put on a host. */
export interface FleetCAKeys {
  hostCA: PublicKey
  userCA: PublicKey
}

export interface PreparedUnenrollment extends Prepared {
  connection: HostConnection
  facts: HostFacts
  plan: UnenrollmentPlan
  /** fleetctl's own files on the host and their current content, to remove (or trim). */
  files: Array<{path: string; before: string; after: string | null; mode: string}>
}

/** The settings fleetctl's managed blocks hold, read from the files before unenrolling. */
function managedSettings(texts: string[]): Map<string, string[]> {
  const settings = new Map<string, string[]>()
  for (const text of texts) {
    const lines = text.split(/\r?\n/)
    const begin = lines.findIndex((line) => line.trim().startsWith(MANAGED_BEGIN))
    const end = lines.findIndex((line) => line.trim().startsWith(MANAGED_END))
    if (begin < 0 || end < begin) continue
    for (const line of parseSshdConfig(lines.slice(begin + 1, end).join('\n')).global) {
      if (line.kind === 'directive') settings.set(line.keyword.toLowerCase(), [...(settings.get(line.keyword.toLowerCase()) ?? []), line.args[0] ?? ''])
    }
  }
  return settings
}

/**
 * What unenrolling takes away: the managed lines, the host certificate fleetctl signed, the host
 * key only if fleetctl generated it (its comment says so), and the fleet user CA key (only that
 * line, if someone added others to the file).
 */
export async function prepareUnenrollment(connection: HostConnection, settings: UnenrollSettings, cas: FleetCAKeys): Promise<PreparedUnenrollment> {
  const facts = await inspectHost(connection.executor, settings.sshdConfig, {sudo: connection.access.sudo})
  const plan = planUnenrollment(parseSshdConfig(facts.configText), {configPath: settings.sshdConfig, includedFiles: facts.includedFiles})
  const hostFiles = new HostFiles(connection.executor)
  const managed = managedSettings([facts.configText, ...facts.includedFiles.map((file) => file.text)])
  const {hostCA, userCA} = cas
  const files: PreparedUnenrollment['files'] = []

  for (const certificatePath of managed.get('hostcertificate') ?? []) {
    const text = await hostFiles.read(certificatePath)
    if (text === null || !signedBy(text, hostCA)) continue
    files.push({path: certificatePath, before: text, after: null, mode: '0644'})
    const keyPath = certificatePath.replace(/-cert\.pub$/, '')
    const publicText = await hostFiles.read(`${keyPath}.pub`)
    if ((managed.get('hostkey') ?? []).includes(keyPath) && publicText?.trim().split(/\s+/)[2]?.startsWith('fleetctl@')) {
      const privateText = await hostFiles.read(keyPath)
      if (privateText !== null) files.push({path: keyPath, before: privateText, after: null, mode: '0600'})
      files.push({path: `${keyPath}.pub`, before: publicText, after: null, mode: '0644'})
    }
  }
  for (const caPath of managed.get('trustedusercakeys') ?? []) {
    const text = await hostFiles.read(caPath)
    if (text === null) continue
    const kept = text.split('\n').filter((line) => line.trim().split(/\s+/)[1] !== userCA.blob.toString('base64'))
    const after = kept.join('\n').trim() === '' ? null : kept.join('\n')
    if (after !== text) files.push({path: caPath, before: text, after, mode: '0644'})
  }

  const status = plan.status === 'change' || files.length > 0 ? 'change' : 'unchanged'
  return {connection, facts, plan, files, status, warnings: [], system: {os: facts.os, sshd: facts.sshd.version}}
}

export function describeUnenrollment(prepared: PreparedUnenrollment): string {
  return `${prepared.files.map((file) => `# ${file.after === null ? 'remove' : 'remove the fleet user CA key from'} ${file.path}\n`).join('')}${renderPlanDiff(prepared.plan)}`
}

/** Removes exactly what enrollment added, checks with sshd -t, reloads, and checks the operator can still log in. */
export async function applyUnenrollment(prepared: PreparedUnenrollment, settings: UnenrollSettings, step: (text: string) => void): Promise<JobOutcome> {
  if (prepared.status === 'unchanged') {
    // Nothing of fleetctl's is on the host (any more): it is not enrolled, whatever the inventory said.
    await forgetHost(settings.home, prepared.connection.name)
    return {status: 'unchanged'}
  }
  const {connection, facts} = prepared
  const files = new HostFiles(connection.executor)
  const undo: UndoStep[] = []
  let reloaded = false
  try {
    step('removing the managed lines')
    const backups: string[] = []
    for (const file of prepared.plan.files) {
      // A drop-in fleetctl wrote holds only its block: nothing of the administrator's to back up.
      if (file.before !== null && file.after !== null) {
        const backup = `${file.path}${BACKUP_SUFFIX}`
        undo.push({path: backup, before: await files.read(backup)})
        await files.copy(file.path, backup)
        backups.push(backup)
      }
      undo.push({path: file.path, before: file.before})
      if (file.after === null) await files.remove(file.path)
      else await files.write(file.path, file.after)
    }
    for (const file of prepared.files) {
      undo.push({path: file.path, before: file.before, mode: file.mode})
      if (file.after === null) await files.remove(file.path)
      else await files.write(file.path, file.after)
    }

    step('validating with sshd -t')
    const test = await connection.executor.run('"$1" -t -f "$2" 2>&1', [facts.sshd.path, facts.configPath])
    if (test.exitCode !== 0) throw new FleetError(`sshd -t rejects the config without fleetctl's lines: ${firstLine(test.stdout)}`, {code: 'sshd_test_failed'})
    step('reloading sshd')
    const reloadedWith = await reloadSshd(connection.executor, facts, settings.reloadCommand)
    reloaded = true
    step('checking the old login')
    const oldAccess = await connection.checkOldAccess()
    if (oldAccess) throw new FleetError(`after unenrolling, ${oldAccess}`, {code: 'old_login_failed'})
    // The host is as it was before enrollment again; the backups only held fleetctl's version.
    for (const backup of backups) await files.remove(backup)
    await forgetHost(settings.home, connection.name)
    return {status: 'unenrolled', reloadedWith}
  } catch (error) {
    step('rolling back')
    throw new FleetError(`${(error as Error).message}; ${await rollBack(prepared, settings.reloadCommand, files, undo, reloaded)}`, {code: 'unenroll_rolled_back'})
  }
}

function signedBy(text: string, ca: PublicKey): boolean {
  try {
    return parseCertificateLine(text).certificate.signatureKey.blob.equals(ca.blob)
  } catch {
    return false
  }
}

/** `unenroll host` for every host given. */
export async function unenrollHosts(settings: UnenrollSettings, run: HostRun): Promise<RunReport> {
  const [hostCA, userCA] = await Promise.all([loadCAPublicKey(settings.home, 'host'), loadCAPublicKey(settings.home, 'user')])
  return runHostJob<PreparedUnenrollment>(run, {
    prepare: (connection, target) => prepareUnenrollment(connection, {...settings, ...(target.sshdConfig ? {sshdConfig: target.sshdConfig} : {})}, {hostCA: hostCA.key, userCA: userCA.key}),
    describe: describeUnenrollment,
    apply: (prepared, step) => applyUnenrollment(prepared, settings, step),
  })
}
