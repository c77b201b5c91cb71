import {dirname} from 'node:path'

import {FleetError} from '../base/errors.js'
import {
  DEFAULT_SSH_DIR,
  globMatches,
  type IncludedFile,
  includeReferences,
  parseSshdConfig,
  resolveIncludePattern,
} from '../sshd-config/index.js'
import {firstLine, type HostExecutor} from './executor.js'
import {HostFiles} from './host-files.js'

/** What enrollment learns about a host before it plans anything. */
export interface HostFacts {
  os: string
  hostname: string
  fqdn?: string
  uid: number
  sshd: {path: string; version: string}
  configPath: string
  /** The main file's exact bytes. */
  configText: string
  /** Every file the Include patterns match (fleetctl's own drop-in among them). */
  includedFiles: IncludedFile[]
  /** `sshd -T`, lower-case keyword to values; empty when sshd could not print it. */
  effective: Map<string, string[]>
  effectiveError?: string
}

/** A recording proxy opens a connection per user session; sshd's default 10:30:100 drops them early. */
export const SUGGESTED_MAX_STARTUPS = '100:30:200'

const FACTS_SCRIPT = `echo "os=$(uname -srm 2>/dev/null)"
echo "hostname=$(hostname 2>/dev/null || uname -n)"
echo "fqdn=$(hostname -f 2>/dev/null)"
echo "uid=$(id -u)"
sshd=$(command -v sshd 2>/dev/null)
for p in /usr/sbin/sshd /usr/local/sbin/sshd /sbin/sshd /usr/bin/sshd; do [ -n "$sshd" ] && break; [ -x "$p" ] && sshd=$p; done
echo "sshd=$sshd"`

/** Reads the facts enrollment needs; fails with one line when the host is not an OpenSSH server or sudo will not work. */
export async function inspectHost(executor: HostExecutor, configPath: string, options: {sudo?: boolean} = {}): Promise<HostFacts> {
  const facts = await executor.run(FACTS_SCRIPT)
  if (facts.exitCode !== 0) throw sudoOrShellFailure(executor.name, facts.stderr, options.sudo ?? false)
  const values = new Map(
    facts.stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()] as const),
  )
  const sshdPath = values.get('sshd') ?? ''
  if (!sshdPath) {
    throw new FleetError(`${executor.name} has no OpenSSH sshd (looked in PATH and /usr/sbin, /usr/local/sbin, /sbin)`, {
      code: 'no_sshd',
      exit: 'refused',
      suggestions: ['Install OpenSSH\'s server on the host (e.g. apt install openssh-server), then enroll it again.'],
    })
  }

  const version = await executor.run('"$1" -V 2>&1 || true', [sshdPath])
  const versionText = /OpenSSH_[^\s,]+/.exec(version.stdout)?.[0]
  if (!versionText) throw new FleetError(`${sshdPath} on ${executor.name} is not OpenSSH's sshd: ${firstLine(version.stdout) || 'no version'}`, {code: 'no_sshd', exit: 'refused'})

  const files = new HostFiles(executor)
  const configText = await files.read(configPath)
  if (configText === null) {
    throw new FleetError(`${configPath} does not exist on ${executor.name}`, {
      code: 'no_sshd_config',
      exit: 'missingState',
      suggestions: ['Pass --sshd-config with the path of the sshd_config the host runs with.'],
    })
  }

  const effective = new Map<string, string[]>()
  const dump = await executor.run('"$1" -T -f "$2" 2>&1', [sshdPath, configPath])
  if (dump.exitCode === 0) {
    for (const line of dump.stdout.split('\n')) {
      const [key, ...rest] = line.trim().split(/\s+/)
      if (key) effective.set(key, [...(effective.get(key) ?? []), rest.join(' ')])
    }
  }

  return {
    os: values.get('os') ?? '',
    hostname: values.get('hostname') ?? '',
    ...(values.get('fqdn') ? {fqdn: values.get('fqdn')} : {}),
    uid: Number(values.get('uid') ?? -1),
    sshd: {path: sshdPath, version: versionText},
    configPath,
    configText,
    includedFiles: await readIncludedFiles(files, configText),
    effective,
    ...(dump.exitCode === 0 ? {} : {effectiveError: firstLine(dump.stdout)}),
  }
}

function sudoOrShellFailure(host: string, stderr: string, sudo: boolean): FleetError {
  const line = firstLine(stderr)
  if (sudo && /sudo:.*(not found|No such file)|sudo: command not found|^sh: .*sudo.*not found/i.test(stderr)) {
    return new FleetError(`sudo is not installed on ${host}`, {code: 'no_sudo', exit: 'refused', suggestions: ['Log in as root, or install sudo on the host.']})
  }
  if (sudo) {
    return new FleetError(`sudo on ${host} does not run without a password for this login (${line})`, {
      code: 'no_sudo',
      exit: 'refused',
      suggestions: ['Give the login passwordless sudo (NOPASSWD) for the enrollment, or log in as root.'],
    })
  }
  return new FleetError(`cannot run commands on ${host}: ${line}`, {code: 'host_shell', exit: 'failure'})
}

/** Reads the files the config's Include lines match, following nested Includes a few levels. */
async function readIncludedFiles(files: HostFiles, configText: string): Promise<IncludedFile[]> {
  const included: IncludedFile[] = []
  const seen = new Set<string>()
  let pending = [configText]
  for (let depth = 0; depth < 4 && pending.length > 0; depth++) {
    const next: string[] = []
    for (const text of pending) {
      for (const reference of includeReferences(parseSshdConfig(text))) {
        for (const pattern of reference.patterns) {
          const resolved = resolveIncludePattern(pattern, DEFAULT_SSH_DIR)
          const directory = dirname(resolved)
          // sshd globs the directory part too, but configs in the wild only glob file names.
          if (/[*?[]/.test(directory)) continue
          for (const name of await files.list(directory)) {
            const path = `${directory}/${name}`
            if (seen.has(path) || !globMatches(resolved, path)) continue
            seen.add(path)
            const content = await files.read(path)
            if (content === null) continue
            included.push({path, text: content})
            next.push(content)
          }
        }
      }
    }
    pending = next
  }
  return included
}

/** The warning a MaxStartups value deserves under a recording proxy, if any. */
export function maxStartupsWarning(effective: Map<string, string[]>): string | undefined {
  const value = effective.get('maxstartups')?.at(-1)
  return value ? maxStartupsAdvice(value) : undefined
}

/** Advice for one MaxStartups value (`start[:rate:full]`), or undefined when it leaves room for the proxy. */
export function maxStartupsAdvice(value: string): string | undefined {
  const start = Number(value.split(':')[0])
  if (Number.isFinite(start) && start >= 50) return undefined
  return `MaxStartups is ${value}: a recording proxy opens many connections at once and sshd drops them past ${start} pending; consider --max-startups ${SUGGESTED_MAX_STARTUPS}`
}
