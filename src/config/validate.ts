import {distance} from 'fastest-levenshtein'
import {isMap, isScalar, LineCounter, type Node, parseDocument} from 'yaml'
import type {core} from 'zod'

import {FleetError} from '../base/errors.js'
import {type CheckedFleetConfig, configJsonSchema, fleetConfigSchema, type FleetConfigFile, type SchemaNode} from './schema.js'

/** One thing wrong in a config, where it is (line and column from 1, when read from text). */
export interface ConfigProblem {
  /** The key's path, e.g. `proxy.listen_adress`. */
  key: string
  /** The same as a list (a key may hold a dot). */
  path: string[]
  /** The key itself is the problem (the schema does not know it), not its value. */
  unknownKey?: true
  message: string
  /** For an unknown key: the known key (full path) it is probably a misspelling or misplacement of. */
  suggestion?: string
  line?: number
  column?: number
}

type Path = (number | string)[]

/** `proxy.limits.max_startups`; a key that holds a dot or a space is quoted. */
const dotted = (path: readonly PropertyKey[]) => path.map((part) => (/^[\w-]*$/.test(String(part)) ? String(part) : JSON.stringify(String(part)))).join('.')

function schemaAt(path: readonly PropertyKey[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = configJsonSchema()
  for (const part of path) node = typeof part === 'string' ? node?.properties?.[part] : undefined
  return node
}

/** Every key the schema knows, as paths. */
function knownPaths(node: SchemaNode = configJsonSchema(), prefix: string[] = []): string[][] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => [[...prefix, name], ...knownPaths(child, [...prefix, name])])
}

/**
 * The key someone who wrote `word` under `parent` meant: a known key there that is close in
 * spelling (or that `word` extends, as `listen_adress` extends `listen`), else the same name
 * in another section (`max_sessions_per_user` written under `proxy` instead of `proxy.limits`).
 */
export function closestKey(word: string, parent: readonly string[]): string | undefined {
  const wanted = word.toLowerCase().replaceAll('-', '_')
  const siblings = Object.keys(schemaAt(parent)?.properties ?? {})
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const name of siblings) {
    const d = distance(wanted, name)
    if (d < bestDistance) [best, bestDistance] = [name, d]
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(Math.max(wanted.length, best.length) / 3))) return dotted([...parent, best])
  const extended = siblings.find((name) => wanted.startsWith(`${name}_`) || name.startsWith(`${wanted}_`))
  if (extended) return dotted([...parent, extended])
  const elsewhere = knownPaths().find((path) => path.at(-1) === wanted && !schemaAt(path)?.deprecated)
  return elsewhere ? dotted(elsewhere) : undefined
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (value !== null && typeof value === 'object') return 'a mapping'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root
  for (const part of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[part] : undefined
  return value
}

/** YAML writes a key with nothing after it as null: for a known key that means "the default". */
function withoutEmptyKeys(value: unknown, node: SchemaNode | undefined): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([name, child]) => !(child === null && node?.properties?.[name]))
    .map(([name, child]) => [name, withoutEmptyKeys(child, node?.properties?.[name])])
  return Object.fromEntries(entries)
}

function problemsOf(issues: readonly core.$ZodIssue[], input: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const parent = issue.path.map(String)
      for (const name of issue.keys) {
        const key = dotted([...parent, name])
        const suggestion = closestKey(name, parent)
        problems.push({key, path: [...parent, name], unknownKey: true, message: `unknown key ${key}${suggestion ? `; did you mean ${suggestion}?` : ''}`, suggestion})
      }
      continue
    }
    const key = dotted(issue.path)
    if (problems.some((problem) => problem.key === key)) continue
    const expects = schemaAt(issue.path)?.expects ?? (issue.path.length === 0 ? 'a mapping' : issue.message)
    problems.push({key, path: issue.path.map(String), message: `${key || 'the file'} is ${show(valueAt(input, issue.path))}; expected ${expects}`})
  }
  return problems
}

/** Check a parsed config: the value with its defaults and conversions, or what is wrong (no positions). */
export function checkConfig(value: unknown): {config?: CheckedFleetConfig; input: unknown; problems: ConfigProblem[]} {
  const input = withoutEmptyKeys(value ?? {}, configJsonSchema())
  const result = fleetConfigSchema.safeParse(input)
  return result.success ? {config: result.data, input, problems: []} : {input, problems: problemsOf(result.error.issues, input)}
}

/** Where a key or value is in the document: the key itself for an unknown key, else its value. */
function offsetOf(contents: Node | null, path: Path, unknownKey: boolean): number | undefined {
  let node: unknown = contents
  let keyOffset: number | undefined
  for (const [index, part] of path.entries()) {
    if (!isMap(node)) break
    const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(part))
    if (!pair) break
    keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : undefined
    if (unknownKey && index === path.length - 1) return keyOffset
    node = pair.value
  }
  const range = (node as Node | null)?.range
  return range && node !== contents ? range[0] : (keyOffset ?? contents?.range?.[0])
}

/** The problems in config text, each with its line and column. `config` is set when there are none. */
export function checkConfigText(text: string): {config?: FleetConfigFile; problems: ConfigProblem[]} {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false})
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {line: 1, column: 1}
    const {line, col} = lineCounter.linePos(offset)
    return {line, column: col}
  }
  if (doc.errors.length > 0) {
    return {problems: doc.errors.map((error) => ({key: '', path: [], message: `not valid YAML: ${error.message}`, ...at(error.pos[0])}))}
  }
  let value: unknown
  try {
    value = doc.toJS()
  } catch (error) {
    return {problems: [{key: '', path: [], message: `not valid YAML: ${(error as Error).message}`, line: 1, column: 1}]}
  }
  const {input, problems} = checkConfig(value)
  if (problems.length === 0) return {config: input as FleetConfigFile, problems}
  const located = problems.map((problem) => ({...problem, ...at(offsetOf(doc.contents, problem.path, problem.unknownKey ?? false))}))
  return {problems: located.sort((a, b) => a.line - b.line || a.column - b.column)}
}

export const CONFIG_HELP = 'The keys, what each takes and its default: docs/config.md; the proxy\'s are also in `fleetctl proxy start --help`.'

/** Read config text named `file`, or throw one error naming every problem as `file:line:column: ...`. */
export function parseConfigText(text: string, file: string): FleetConfigFile {
  const {config, problems} = checkConfigText(text)
  if (config) return config
  const lines = problems.map((problem) => `${file}:${problem.line}:${problem.column}: ${problem.message}`)
  const renames = problems.filter((problem) => problem.suggestion).map((problem) => `Replace ${problem.key} with ${problem.suggestion} (line ${problem.line}).`)
  return configFailure(problems.length === 1 ? lines[0]! : `${file} has ${problems.length} problems:\n${lines.join('\n')}`, renames)
}

function configFailure(message: string, suggestions: string[]): never {
  throw new FleetError(message, {code: 'config_invalid', exit: 'usage', suggestions: [...suggestions, CONFIG_HELP]})
}

/** Check a config that did not come from a file (tests, callers that build one): the problems without lines. */
export function checkedConfig(value: unknown): CheckedFleetConfig {
  const {config, problems} = checkConfig(value)
  if (config) return config
  return configFailure(problems.map((problem) => problem.message).join('\n'), problems.filter((p) => p.suggestion).map((p) => `Replace ${p.key} with ${p.suggestion}.`))
}
