/**
 * A strict reader of Prometheus' text exposition format (0.0.4), for tests: every line must be a
 * HELP, a TYPE or a sample of a family declared before it, label values may hold only the three
 * escapes the format has (\\, \", \n), and it throws on the first line that breaks a rule.
 */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface MetricFamily {
  name: string
  help?: string
  type?: string
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const SUFFIXES: Record<string, string[]> = {histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count']}

/** Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes `Nan`). */
function value(text: string, line: string): number {
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY
  if (/^nan$/i.test(text)) return Number.NaN
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) throw new Error(`not a sample value: ${line}`)
  return Number(text)
}

/** `{a="x",b="y"}` from the start of `text`: the labels and the length read. */
function labels(text: string, line: string): [Record<string, string>, number] {
  const out: Record<string, string> = {}
  let i = 1
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i)
    const name = text.slice(i, eq)
    if (eq < 0 || !LABEL_NAME.test(name) || text[eq + 1] !== '"') throw new Error(`bad label at ${i}: ${line}`)
    let value = ''
    let j = eq + 2
    for (;;) {
      const c = text[j]
      if (c === undefined) throw new Error(`unterminated label value: ${line}`)
      if (c === '"') break
      if (c === '\\') {
        const escaped = {'\\': '\\', '"': '"', n: '\n'}[text[j + 1] ?? '']
        if (escaped === undefined) throw new Error(`bad escape in a label value: ${line}`)
        value += escaped
        j += 2
        continue
      }
      value += c
      j++
    }
    if (name in out) throw new Error(`label ${name} twice: ${line}`)
    out[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (text[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`)
  }
  return [out, i + 1]
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline')
  const families = new Map<string, MetricFamily>()
  const family = (name: string) => families.get(name) ?? families.set(name, {name, samples: []}).get(name)!
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string]
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`)
      const f = family(name)
      if (kind === 'TYPE') {
        if (f.type || f.samples.length > 0 || !TYPES.has(rest)) throw new Error(`bad or late TYPE: ${line}`)
        f.type = rest
      } else {
        if (f.help !== undefined || /\\[^\\n]/.test(rest.replaceAll('\\\\', ''))) throw new Error(`bad HELP: ${line}`)
        f.help = rest.replaceAll(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      }
      continue
    }
    if (line.startsWith('#')) continue
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]
    if (!name) throw new Error(`not a sample: ${line}`)
    let rest = line.slice(name.length)
    let sampleLabels: Record<string, string> = {}
    if (rest.startsWith('{')) {
      const [parsed, length] = labels(rest, line)
      sampleLabels = parsed
      rest = rest.slice(length)
    }
    const fields = rest.split(' ')
    if (fields[0] !== '' || fields.length < 2 || fields.length > 3) throw new Error(`not name{labels} value [timestamp]: ${line}`)
    const owner =
      [...families.values()].find((f) => f.name === name) ??
      [...families.values()].find((f) => (SUFFIXES[f.type ?? ''] ?? []).some((suffix) => name === `${f.name}${suffix}`))
    if (!owner?.type) throw new Error(`a sample before its family's TYPE: ${line}`)
    if (owner.type === 'histogram' && name.endsWith('_bucket') && sampleLabels.le === undefined) throw new Error(`a bucket without le: ${line}`)
    owner.samples.push({name, labels: sampleLabels, value: value(fields[1]!, line)})
  }
  return families
}

/** The value of one sample, by name and labels (exactly these). */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const found = f.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))
    if (found) return found.value
  }
  return undefined
}
