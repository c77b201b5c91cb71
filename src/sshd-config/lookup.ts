import {type Directive, type SshdConfig, isKeyword} from './syntax.js'

/** sshd resolves relative Include paths against its configuration directory. */
export const DEFAULT_SSH_DIR = '/etc/ssh'

/** The first `keyword` line before any Match: the value sshd uses for first-value keywords. */
export function firstGlobalDirective(config: SshdConfig, keyword: string): Directive | undefined {
  return config.global.find((line): line is Directive => line.kind === 'directive' && isKeyword(line, keyword))
}

/** The arguments of `firstGlobalDirective`, or undefined when the keyword is not set globally. */
export function globalValue(config: SshdConfig, keyword: string): string[] | undefined {
  return firstGlobalDirective(config, keyword)?.args
}

/** Every `keyword` line before any Match, for cumulative keywords such as HostKey. */
export function globalDirectives(config: SshdConfig, keyword: string): Directive[] {
  return config.global.filter((line): line is Directive => line.kind === 'directive' && isKeyword(line, keyword))
}

export interface IncludeReference {
  directive: Directive
  /** Patterns as written; one Include line may carry several. */
  patterns: string[]
  /** 1-based line number of the Include line. */
  line: number
  /** The Match block the Include sits in; includes there apply only to matching connections. */
  match?: Directive
}

export function includeReferences(config: SshdConfig): IncludeReference[] {
  const references: IncludeReference[] = []
  const collect = (lines: SshdConfig['global'], match?: Directive) => {
    for (const line of lines) {
      if (line.kind === 'directive' && isKeyword(line, 'include')) {
        references.push({directive: line, patterns: line.args, line: line.line, ...(match ? {match} : {})})
      }
    }
  }
  collect(config.global)
  for (const block of config.matches) collect(block.body, block.header)
  return references
}

export function resolveIncludePattern(pattern: string, sshDir: string = DEFAULT_SSH_DIR): string {
  return pattern.startsWith('/') ? pattern : `${sshDir.replace(/\/+$/, '')}/${pattern}`
}

/** glob(3) matching for one path: wildcards never cross a `/` nor match a leading `.`. */
export function globMatches(pattern: string, path: string): boolean {
  const patternParts = pattern.split('/')
  const pathParts = path.split('/')
  if (patternParts.length !== pathParts.length) return false
  return patternParts.every((part, i) => {
    if (pathParts[i].startsWith('.') && !part.startsWith('.')) return false
    return segmentToRegExp(part).test(pathParts[i])
  })
}

export function hasGlobMagic(text: string): boolean {
  return /[*?[]/.test(text)
}

function segmentToRegExp(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else if (char === '[') {
      const close = pattern.indexOf(']', i + 2)
      if (close === -1) {
        source += '\\['
        continue
      }
      let set = pattern.slice(i + 1, close)
      const negated = set.startsWith('!')
      if (negated) set = set.slice(1)
      source += `[${negated ? '^/' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`
      i = close
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}
