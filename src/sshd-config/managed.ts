import {FleetError} from '../base/errors.js'
import {type ConfigLine, type LineEnding, parseLine} from './syntax.js'

/**
 * fleetctl owns exactly the lines between these two comments, markers included. Anything else
 * in the file belongs to the administrator and is never rewritten.
 */
export const MANAGED_BEGIN = '# BEGIN fleetctl managed'
export const MANAGED_END = '# END fleetctl managed'

export interface ManagedBlock {
  /** 0-based indexes of the BEGIN and END marker lines. */
  begin: number
  end: number
}

export function findManagedBlocks(lines: readonly ConfigLine[], path: string): ManagedBlock[] {
  const blocks: ManagedBlock[] = []
  let begin: number | undefined
  lines.forEach((line, index) => {
    if (line.kind !== 'comment') return
    const marker = line.text.trim()
    if (marker.startsWith(MANAGED_BEGIN)) {
      if (begin !== undefined) throw brokenMarkers(path, lines[begin].line, `a second "${MANAGED_BEGIN}" at line ${line.line}`)
      begin = index
    } else if (marker.startsWith(MANAGED_END)) {
      if (begin === undefined) throw brokenMarkers(path, line.line, `"${MANAGED_END}" without a BEGIN before it`)
      blocks.push({begin, end: index})
      begin = undefined
    }
  })
  if (begin !== undefined) throw brokenMarkers(path, lines[begin].line, `"${MANAGED_BEGIN}" without an END after it`)
  return blocks
}

/**
 * The lines with every managed block removed, exactly as they were before fleetctl added them.
 * A block appended to a file without a final newline had to give the old last line one, and
 * carries the missing newline itself (its END line has none); removing it takes that back.
 */
export function stripManagedBlocks(lines: readonly ConfigLine[], path: string): ConfigLine[] {
  const blocks = findManagedBlocks(lines, path)
  const kept = lines.map((line) => ({...line}))
  for (const block of [...blocks].reverse()) {
    const atEndWithoutNewline = block.end === kept.length - 1 && kept[block.end].eol === ''
    kept.splice(block.begin, block.end - block.begin + 1)
    if (atEndWithoutNewline && block.begin > 0) kept[block.begin - 1].eol = ''
  }
  return renumber(kept)
}

/** Insert a managed block holding `directives` before line `index` (0-based; length appends). */
export function insertManagedBlock(lines: readonly ConfigLine[], index: number, directives: readonly string[], eol: '\n' | '\r\n'): ConfigLine[] {
  const result = lines.map((line) => ({...line}))
  const texts = [MANAGED_BEGIN, ...directives, MANAGED_END]
  const block = texts.map((text) => parseLine(text, eol, 0))
  const previous = result[index - 1]
  if (index === result.length && previous && previous.eol === '') {
    previous.eol = eol
    block[block.length - 1].eol = ''
  }
  result.splice(index, 0, ...block)
  return renumber(result)
}

/** The line ending most lines of the file use, so inserted lines look like their neighbours. */
export function dominantLineEnding(lines: ReadonlyArray<{eol: LineEnding}>): '\n' | '\r\n' {
  const crlf = lines.filter((line) => line.eol === '\r\n').length
  const lf = lines.filter((line) => line.eol === '\n').length
  return crlf > lf ? '\r\n' : '\n'
}

function renumber(lines: ConfigLine[]): ConfigLine[] {
  lines.forEach((line, index) => (line.line = index + 1))
  return lines
}

function brokenMarkers(path: string, line: number, problem: string): FleetError {
  return new FleetError(`${path}:${line}: the fleetctl managed block is damaged: ${problem}.`, {
    code: 'sshd_config_markers',
    exit: 'refused',
    suggestions: [
      `Edit ${path} so that every "${MANAGED_BEGIN}" line has one "${MANAGED_END}" line after it, or remove the fleetctl lines and both markers by hand, then run the command again.`,
    ],
  })
}
