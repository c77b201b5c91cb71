/**
 * sshd_config as a syntax tree that renders back to the exact bytes it was parsed from.
 *
 * Every line keeps its own text and line ending; the parsed fields (keyword, arguments) are a
 * reading of that text, never the source of it. Tokenising follows OpenSSH's servconf.c: the
 * keyword ends at whitespace or one `=`, arguments split like argv_split() (double or single
 * quotes, backslash escapes, a `#` that starts an argument ends the line).
 */

export type LineEnding = '' | '\n' | '\r\n'

interface SourceLine {
  /** The line without its ending, exactly as written. */
  text: string
  eol: LineEnding
  /** 1-based line number in the file it was parsed from. */
  line: number
}

export interface BlankLine extends SourceLine {
  kind: 'blank'
}

export interface CommentLine extends SourceLine {
  kind: 'comment'
}

export interface Directive extends SourceLine {
  kind: 'directive'
  /** As written; sshd compares keywords case-insensitively. */
  keyword: string
  /** Arguments with quotes and escapes removed, as sshd sees them. */
  args: string[]
}

export type ConfigLine = BlankLine | CommentLine | Directive

/** A `Match` line and everything up to the next `Match` or the end of the file. */
export interface MatchBlock {
  header: Directive
  body: ConfigLine[]
}

export interface SshdConfig {
  /** Lines before the first `Match`: the only place a directive applies to every connection. */
  global: ConfigLine[]
  matches: MatchBlock[]
}

/** Split text into lines, each with the ending it had; a final line without one gets ''. */
export function splitLines(text: string): Array<{text: string; eol: LineEnding}> {
  const lines: Array<{text: string; eol: LineEnding}> = []
  let start = 0
  while (start < text.length) {
    const newline = text.indexOf('\n', start)
    if (newline === -1) {
      lines.push({text: text.slice(start), eol: ''})
      break
    }
    const crlf = newline > start && text[newline - 1] === '\r'
    lines.push({text: text.slice(start, crlf ? newline - 1 : newline), eol: crlf ? '\r\n' : '\n'})
    start = newline + 1
  }
  return lines
}

export function parseSshdConfig(text: string): SshdConfig {
  const config: SshdConfig = {global: [], matches: []}
  splitLines(text).forEach((source, index) => {
    const line = parseLine(source.text, source.eol, index + 1)
    if (line.kind === 'directive' && isKeyword(line, 'match')) {
      config.matches.push({header: line, body: []})
    } else {
      const current = config.matches.at(-1)
      if (current) current.body.push(line)
      else config.global.push(line)
    }
  })
  return config
}

export function renderSshdConfig(config: SshdConfig): string {
  return renderLines(configLines(config))
}

export function renderLines(lines: ReadonlyArray<{text: string; eol: LineEnding}>): string {
  return lines.map((line) => line.text + line.eol).join('')
}

/** Every line of the file in order, Match headers included. */
export function configLines(config: SshdConfig): ConfigLine[] {
  return [...config.global, ...config.matches.flatMap((block) => [block.header, ...block.body])]
}

export function isKeyword(directive: Directive, keyword: string): boolean {
  return directive.keyword.toLowerCase() === keyword.toLowerCase()
}

// servconf.c's WHITESPACE plus the form feed it also strips at the end of a line.
const WHITESPACE = ' \t\r\n\f'

export function parseLine(text: string, eol: LineEnding, line: number): ConfigLine {
  let start = 0
  while (start < text.length && WHITESPACE.includes(text[start])) start++
  if (start === text.length) return {kind: 'blank', text, eol, line}
  if (text[start] === '#') return {kind: 'comment', text, eol, line}

  let end = start
  while (end < text.length && !WHITESPACE.includes(text[end]) && text[end] !== '=') end++
  const keyword = text.slice(start, end)

  // One `=` may separate keyword and value, with whitespace on either side.
  let rest = end
  while (rest < text.length && WHITESPACE.includes(text[rest])) rest++
  if (text[rest] === '=') rest++
  return {kind: 'directive', text, eol, line, keyword, args: splitArguments(text.slice(rest))}
}

/** OpenSSH's argv_split() with terminate_on_comment set. */
export function splitArguments(value: string): string[] {
  const args: string[] = []
  let i = 0
  while (i < value.length) {
    if (WHITESPACE.includes(value[i])) {
      i++
      continue
    }
    if (value[i] === '#') break
    let arg = ''
    let quote = ''
    for (; i < value.length; i++) {
      const char = value[i]
      const next = value[i + 1]
      if (char === '\\' && (next === '"' || next === "'" || next === '\\' || (quote === '' && next === ' '))) {
        arg += next
        i++
      } else if (quote === '' && WHITESPACE.includes(char)) {
        break
      } else if (quote === '' && (char === '"' || char === "'")) {
        quote = char
      } else if (quote !== '' && char === quote) {
        quote = ''
      } else {
        arg += char
      }
    }
    args.push(arg)
  }
  return args
}

/** Quote an argument when sshd would otherwise split or misread it. */
export function formatArgument(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new Error(`an sshd_config argument cannot contain a line break or NUL: ${JSON.stringify(value)}`)
  }
  if (value !== '' && !/[\s"'\\#]/.test(value)) return value
  return `"${value.replace(/[\\"]/g, '\\$&')}"`
}

export function formatDirective(keyword: string, args: readonly string[]): string {
  return [keyword, ...args.map(formatArgument)].join(' ')
}
