import {FleetError} from '../base/errors.js'
import {renderUnifiedDiff} from './diff.js'
import {DEFAULT_SSH_DIR, globMatches, hasGlobMagic, resolveIncludePattern} from './lookup.js'
import {dominantLineEnding, findManagedBlocks, insertManagedBlock, stripManagedBlocks} from './managed.js'
import {type ConfigLine, type SshdConfig, configLines, formatDirective, parseSshdConfig, renderLines} from './syntax.js'

export type EnrollmentStrategy = 'main-file' | 'drop-in'

/** A file an Include pattern matches on the host, read by the caller so the plan can see into it. */
export interface IncludedFile {
  path: string
  text: string
}

export interface EnrollmentRequest {
  /** Public key file of the fleet user CA. */
  trustedUserCAKeys: string
  /** Private host key file the host certificate belongs to. */
  hostKey: string
  hostCertificate: string
  maxStartups?: string
  /** sshd's configuration directory: the base of relative Include paths and of the default host keys. */
  sshDir?: string
  /** Path of the main file the tree was parsed from; defaults to `<sshDir>/sshd_config`. */
  configPath?: string
  /** 'auto' (default) keeps an existing managed block where it is, else prefers a drop-in when one is possible. */
  strategy?: EnrollmentStrategy | 'auto'
  dropIn?: {
    /** Name of the drop-in file in the included directory; defaults to `50-fleetctl.conf`. */
    fileName?: string
  }
  /**
   * Files the Include patterns match on the host. Settings in them take part in conflict checks;
   * files not given here are unknown to the plan.
   */
  includedFiles?: IncludedFile[]
  /**
   * The host keys sshd loads when no HostKey is configured. Adding one HostKey turns that default
   * off, so these are written out alongside ours when the config names none. Defaults to the
   * RSA, ECDSA and Ed25519 keys in sshDir; pass the ones that exist on the host.
   */
  defaultHostKeys?: string[]
}

/** One file's content before and after; null means the file does not exist. */
export interface PlannedFile {
  path: string
  before: string | null
  after: string | null
}

/** A setting that keeps fleetctl's from taking effect, or that fleetctl's would silently override. */
export interface Conflict {
  keyword: string
  path: string
  line: number
  value: string
  message: string
}

export interface EnrollmentPlan {
  /** 'conflict' plans still carry the files they would write, for a dry run; do not apply them. */
  status: 'unchanged' | 'change' | 'conflict'
  strategy: EnrollmentStrategy
  /** Strategies this config allows; 'drop-in' needs an Include of a directory before the first Match. */
  strategies: EnrollmentStrategy[]
  /** Where the drop-in goes (or would go), when the config includes a drop-in directory. */
  dropInPath?: string
  /** Only files whose content changes. */
  files: PlannedFile[]
  conflicts: Conflict[]
  warnings: string[]
}

export interface UnenrollmentPlan {
  status: 'unchanged' | 'change'
  files: PlannedFile[]
}

export const DEFAULT_DROP_IN_NAME = '50-fleetctl.conf'

// sshd stops following Include at this depth (READCONF_MAX_DEPTH).
const MAX_INCLUDE_DEPTH = 16

const KEYWORDS = {
  trustedusercakeys: 'TrustedUserCAKeys',
  maxstartups: 'MaxStartups',
  hostkey: 'HostKey',
  hostcertificate: 'HostCertificate',
} as const

interface SourceFile {
  path: string
  /** The file's text as it is on the host; null when it does not exist yet. */
  text: string | null
  /** The lines without any fleetctl block: the administrator's configuration. */
  lines: ConfigLine[]
  managed: boolean
}

/**
 * Where a setting sits. sshd 9.2 reads lines after `Match all` as global ones (even keywords a
 * Match block may not hold), and also re-applies them to every connection like a Match block.
 */
type Scope = 'global' | 'match' | 'match-all'

interface Setting {
  key: string
  args: string[]
  path: string
  line: number
  scope: Scope
}

/** Where fleetctl's block lands in the order sshd reads settings. */
const OURS = Symbol('fleetctl block')
type Step = Setting | typeof OURS

export function planEnrollment(config: SshdConfig, request: EnrollmentRequest): EnrollmentPlan {
  checkRequest(request)
  const sshDir = normalizedSshDir(request.sshDir)
  const main = sourceFile(request.configPath ?? `${sshDir}/sshd_config`, config)
  const included = (request.includedFiles ?? []).map((file) => sourceFile(file.path, parseSshdConfig(file.text), file.text))

  const dropInPath = findDropInPath(main.lines, sshDir, request.dropIn?.fileName ?? DEFAULT_DROP_IN_NAME)
  const strategies: EnrollmentStrategy[] = dropInPath ? ['main-file', 'drop-in'] : ['main-file']
  const strategy = chooseStrategy(request.strategy ?? 'auto', main, dropInPath)

  let dropIn: SourceFile | undefined
  let mainInsertIndex = -1
  if (strategy === 'drop-in' && dropInPath) {
    dropIn = included.find((file) => file.path === dropInPath)
    if (!dropIn) {
      dropIn = {path: dropInPath, text: null, lines: [], managed: false}
      included.push(dropIn)
    }
  } else {
    mainInsertIndex = beforeFirstMatch(main.lines)
  }
  const insertAt = dropIn ? {file: dropIn, index: dropIn.lines.length} : {file: main, index: mainInsertIndex}
  const steps = readOrder(main, included, sshDir, insertAt)

  const conflicts: Conflict[] = []
  const warnings: string[] = []
  const block: string[] = []
  const add = (keyword: string, value: string, check: Check) => {
    conflicts.push(...check.conflicts)
    warnings.push(...check.warnings)
    if (check.needed) block.push(formatDirective(keyword, [value]))
  }
  add(KEYWORDS.trustedusercakeys, request.trustedUserCAKeys, checkTrustedUserCAKeys(steps, request.trustedUserCAKeys))
  if (request.maxStartups !== undefined) add(KEYWORDS.maxstartups, request.maxStartups, checkMaxStartups(steps, request.maxStartups))
  block.push(...hostKeyLines(steps, request, sshDir))

  const files: PlannedFile[] = []
  const eol = dominantLineEnding(main.lines)
  const mainLines = mainInsertIndex >= 0 && block.length > 0 ? insertManagedBlock(main.lines, mainInsertIndex, block, eol) : main.lines
  addIfChanged(files, main.path, main.text, renderLines(mainLines))
  for (const file of included) {
    if (file === dropIn) {
      const lines = block.length > 0 ? insertManagedBlock(file.lines, file.lines.length, block, dominantLineEnding(file.lines)) : file.lines
      addIfChanged(files, file.path, file.text, lines.length > 0 ? renderLines(lines) : null)
    } else if (file.managed) {
      addIfChanged(files, file.path, file.text, withoutBlock(file))
    }
  }

  const status = conflicts.length > 0 ? 'conflict' : files.length > 0 ? 'change' : 'unchanged'
  return {status, strategy, strategies, ...(dropInPath ? {dropInPath} : {}), files, conflicts, warnings}
}

/** Remove every fleetctl block from the main file and from the included files given. */
export function planUnenrollment(config: SshdConfig, options: {configPath?: string; sshDir?: string; includedFiles?: IncludedFile[]} = {}): UnenrollmentPlan {
  const main = sourceFile(options.configPath ?? `${normalizedSshDir(options.sshDir)}/sshd_config`, config)
  const files: PlannedFile[] = []
  addIfChanged(files, main.path, main.text, renderLines(main.lines))
  for (const file of options.includedFiles ?? []) {
    const source = sourceFile(file.path, parseSshdConfig(file.text), file.text)
    if (source.managed) addIfChanged(files, source.path, source.text, withoutBlock(source))
  }
  return {status: files.length > 0 ? 'change' : 'unchanged', files}
}

/** Unified diffs of every planned file, for a dry run. */
export function renderPlanDiff(plan: {files: PlannedFile[]}): string {
  return plan.files
    .map((file) =>
      renderUnifiedDiff(file.before ?? '', file.after ?? '', {
        oldName: file.before === null ? '/dev/null' : file.path,
        newName: file.after === null ? '/dev/null' : file.path,
      }),
    )
    .join('')
}

function checkRequest(request: EnrollmentRequest): void {
  const values: Array<[string, string | undefined]> = [
    ['trustedUserCAKeys', request.trustedUserCAKeys],
    ['hostKey', request.hostKey],
    ['hostCertificate', request.hostCertificate],
    ['maxStartups', request.maxStartups],
  ]
  for (const [name, value] of values) {
    if (value !== undefined && (value === '' || /[\r\n\0]/.test(value))) {
      throw new FleetError(`${name} must be a non-empty value on one line, got ${JSON.stringify(value)}.`, {
        code: 'sshd_config_value',
        exit: 'usage',
        suggestions: [`Pass a ${name} without line breaks.`],
      })
    }
  }
  const fileName = request.dropIn?.fileName
  if (fileName !== undefined && (fileName === '' || fileName.includes('/'))) {
    throw new FleetError(`The drop-in file name must be a plain file name, got ${JSON.stringify(fileName)}.`, {
      code: 'sshd_config_value',
      exit: 'usage',
      suggestions: [`Use a name like ${DEFAULT_DROP_IN_NAME}.`],
    })
  }
}

function normalizedSshDir(sshDir: string = DEFAULT_SSH_DIR): string {
  return sshDir.replace(/(.)\/+$/, '$1')
}

function sourceFile(path: string, config: SshdConfig, text: string | null = null): SourceFile {
  const lines = configLines(config)
  return {
    path,
    text: text ?? renderLines(lines),
    lines: stripManagedBlocks(lines, path),
    managed: findManagedBlocks(lines, path).length > 0,
  }
}

function withoutBlock(file: SourceFile): string | null {
  const text = renderLines(file.lines)
  // A drop-in fleetctl created holds nothing but its block: unenrolling removes the file.
  return text === '' ? null : text
}

function addIfChanged(files: PlannedFile[], path: string, before: string | null, after: string | null): void {
  if (before !== after) files.push({path, before, after})
}

/** The drop-in path when a global Include (before any Match) reads a directory our file name fits. */
function findDropInPath(lines: readonly ConfigLine[], sshDir: string, fileName: string): string | undefined {
  for (const line of lines) {
    if (line.kind !== 'directive') continue
    const key = line.keyword.toLowerCase()
    if (key === 'match') return undefined
    if (key !== 'include') continue
    for (const pattern of line.args) {
      const resolved = resolveIncludePattern(pattern, sshDir)
      const slash = resolved.lastIndexOf('/')
      const directory = resolved.slice(0, slash)
      if (!hasGlobMagic(directory) && globMatches(resolved.slice(slash + 1), fileName)) return `${directory}/${fileName}`
    }
  }
  return undefined
}

function chooseStrategy(requested: EnrollmentStrategy | 'auto', main: SourceFile, dropInPath: string | undefined): EnrollmentStrategy {
  if (requested === 'drop-in' && !dropInPath) {
    throw new FleetError(`${main.path} includes no drop-in directory before its first Match block, so a drop-in file would not be read.`, {
      code: 'sshd_config_no_drop_in',
      exit: 'refused',
      suggestions: [
        `Use the main-file strategy, or add "Include ${DEFAULT_SSH_DIR}/sshd_config.d/*.conf" near the top of ${main.path} and plan again.`,
      ],
    })
  }
  if (requested !== 'auto') return requested
  if (main.managed) return 'main-file'
  return dropInPath ? 'drop-in' : 'main-file'
}

/**
 * Index of the line our block goes before: right above the first Match (and the comments that
 * introduce it), since a directive after a Match line applies only inside that block.
 */
function beforeFirstMatch(lines: readonly ConfigLine[]): number {
  let index = lines.findIndex((line) => line.kind === 'directive' && line.keyword.toLowerCase() === 'match')
  if (index === -1) return lines.length
  while (index > 0 && lines[index - 1].kind === 'comment') index--
  return index
}

/** Settings in the order sshd reads them, following Include, with our block's place marked. */
function readOrder(main: SourceFile, included: readonly SourceFile[], sshDir: string, insertAt: {file: SourceFile; index: number}): Step[] {
  const steps: Step[] = []
  let placed = false
  const place = (file: SourceFile, index: number) => {
    if (!placed && file === insertAt.file && index === insertAt.index) {
      steps.push(OURS)
      placed = true
    }
  }
  const read = (file: SourceFile, outer: Scope, depth: number) => {
    let scope = outer
    file.lines.forEach((line, index) => {
      place(file, index)
      if (line.kind !== 'directive') return
      const key = line.keyword.toLowerCase()
      if (key === 'match') {
        const all = line.args.length === 1 && line.args[0].toLowerCase() === 'all'
        scope = outer === 'match' ? 'match' : all ? 'match-all' : 'match'
      } else if (key === 'include') {
        if (depth >= MAX_INCLUDE_DEPTH) return
        for (const pattern of line.args) {
          const resolved = resolveIncludePattern(pattern, sshDir)
          const matches = included.filter((other) => globMatches(resolved, other.path))
          // glob(3) hands sshd the matches sorted, and sshd reads them in that order.
          matches.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
          for (const other of matches) read(other, scope, depth + 1)
        }
      } else {
        steps.push({key, args: line.args, path: file.path, line: line.line, scope})
      }
    })
    place(file, file.lines.length)
  }
  read(main, 'global', 0)
  return steps
}

interface Check {
  /** Whether our block must carry the setting; false when the config already says the same. */
  needed: boolean
  conflicts: Conflict[]
  warnings: string[]
}

function occurrences(steps: readonly Step[], key: string) {
  const ours = steps.indexOf(OURS)
  const settings = steps.flatMap((step, index) => (step !== OURS && step.key === key ? [{...step, before: index < ours}] : []))
  return {settings, read: settings.filter((setting) => setting.scope !== 'match')}
}

const where = (setting: Setting) => `${setting.path}:${setting.line} sets ${KEYWORDS[setting.key as keyof typeof KEYWORDS]} ${setting.args.join(' ')}`

function conflict(setting: Setting, message: string): Conflict {
  const keyword = KEYWORDS[setting.key as keyof typeof KEYWORDS]
  return {keyword, path: setting.path, line: setting.line, value: setting.args.join(' '), message}
}

/**
 * sshd keeps the first TrustedUserCAKeys it reads, and a matching Match block replaces it per
 * connection. Any other CA file is a conflict either way round: if it wins, fleet certificates
 * are refused; if ours wins, certificates from that CA silently stop working.
 */
function checkTrustedUserCAKeys(steps: readonly Step[], value: string): Check {
  const {settings, read} = occurrences(steps, 'trustedusercakeys')
  const differs = (setting: Setting) => setting.args.join(' ') !== value
  const remedy = (existing: string) =>
    existing === 'none'
      ? 'Remove or comment out that line, then plan again.'
      : `Append the fleet user CA public key to ${existing} and pass that file as the trusted user CA keys, or remove that line, then plan again.`
  const conflicts: Conflict[] = []
  const warnings: string[] = []

  const first = read[0]
  if (first?.before && first.scope === 'global' && differs(first)) {
    conflicts.push(conflict(first, `${where(first)} before fleetctl's ${value}; sshd uses the first value it reads, so fleetctl's would be ignored. ${remedy(first.args.join(' '))}`))
  }
  for (const later of read.filter((setting) => !setting.before && setting.scope === 'global' && differs(setting))) {
    conflicts.push(conflict(later, `${where(later)}, which fleetctl's ${value} would override, cutting off certificates from the CAs in that file. ${remedy(later.args.join(' '))}`))
  }
  for (const setting of settings.filter((s) => s.scope === 'match-all' && differs(s))) {
    conflicts.push(conflict(setting, `${where(setting)} in a "Match all" block, which replaces fleetctl's ${value} for every connection. ${remedy(setting.args.join(' '))}`))
  }
  for (const setting of settings.filter((s) => s.scope === 'match' && differs(s))) {
    warnings.push(`${where(setting)} inside a Match block; connections that match it do not use fleetctl's ${value}.`)
  }
  return {needed: !first || differs(first), conflicts, warnings}
}

/** Unlike most keywords, sshd keeps the last MaxStartups it reads (servconf.c never checks for an earlier one). */
function checkMaxStartups(steps: readonly Step[], value: string): Check {
  const {read} = occurrences(steps, 'maxstartups')
  const differs = (setting: Setting) => setting.args.join(' ') !== value
  const conflicts = read
    .filter((setting) => !setting.before && differs(setting))
    .map((setting) =>
      conflict(setting, `${where(setting)} after fleetctl's ${value}; sshd uses the last MaxStartups it reads, so fleetctl's would be ignored. Remove or comment out that line, or plan without a MaxStartups value.`),
    )
  const warnings = read
    .filter((setting) => setting.before && differs(setting))
    .map((setting) => `${where(setting)}; sshd uses the last MaxStartups it reads, so fleetctl's ${value} replaces it.`)
  const last = read.at(-1)
  return {needed: !last || differs(last), conflicts, warnings}
}

/** HostKey and HostCertificate add up rather than override: add ours unless already there. */
function hostKeyLines(steps: readonly Step[], request: EnrollmentRequest, sshDir: string): string[] {
  const global = (key: string) =>
    steps.flatMap((step) => (step !== OURS && step.key === key && step.scope !== 'match' ? [step.args[0] ?? ''] : []))
  const hostKeys = global('hostkey')
  const lines: string[] = []
  const wanted =
    hostKeys.length > 0
      ? [request.hostKey]
      : [request.hostKey, ...(request.defaultHostKeys ?? ['rsa', 'ecdsa', 'ed25519'].map((type) => `${sshDir}/ssh_host_${type}_key`))]
  for (const path of new Set(wanted)) {
    if (!hostKeys.includes(path)) lines.push(formatDirective(KEYWORDS.hostkey, [path]))
  }
  if (!global('hostcertificate').includes(request.hostCertificate)) {
    lines.push(formatDirective(KEYWORDS.hostcertificate, [request.hostCertificate]))
  }
  return lines
}
