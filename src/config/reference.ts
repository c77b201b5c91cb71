import {configJsonSchema, type SchemaNode} from './schema.js'

/** A `proxy start` flag as the reference shows it: its name and its environment variable. */
export interface FlagInfo {
  env?: string
}

const section = (node: SchemaNode) => node.type === 'object' && node.properties !== undefined

function defaultOf(node: SchemaNode): string {
  if (node.defaultText) return node.defaultText
  if (node.default === undefined) return ''
  if (typeof node.default === 'boolean') return node.default ? 'yes' : 'no'
  return `\`${JSON.stringify(node.default)}\``
}

/** Markdown table cells: no line breaks, no bare pipes. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

function table(path: string[], node: SchemaNode, flags: Record<string, FlagInfo>): string[] {
  const rows = Object.entries(node.properties ?? {}).map(([name, child]) => {
    const flag = child.flag ? flags[child.flag] : undefined
    if (child.flag && !flag) throw new Error(`the schema names --${child.flag} for ${[...path, name].join('.')}, and proxy start has no such flag`)
    const override = child.flag ? `\`--${child.flag}\`${flag?.env ? `, \`${flag.env}\`` : ''}` : ''
    const description = `${child.deprecated ? '(deprecated) ' : ''}${child.description ?? ''}${section(child) ? ` See [\`${[...path, name].join('.')}\`](#${[...path, name].join('')}).` : ''}`
    return `| \`${name}\` | ${cell(child.expects ?? '')} | ${cell(section(child) ? '' : defaultOf(child))} | ${override} | ${cell(description)} |`
  })
  return ['| key | value | default | flag, environment | what it does |', '| --- | --- | --- | --- | --- |', ...rows]
}

function sections(path: string[], node: SchemaNode, flags: Record<string, FlagInfo>): string[] {
  const title = path.length === 0 ? 'Top level' : `\`${path.join('.')}\``
  const out = [`## ${title}`, '', ...(node.description && path.length > 0 ? [node.description, ''] : []), ...table(path, node, flags), '']
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (section(child)) out.push(...sections([...path, name], child, flags))
  }
  return out
}

/**
 * docs/config.md: every key of config.yaml from the schema, with what it takes, its default and
 * the `proxy start` flag (and variable) that overrides it. `flags` are `proxy start`'s flags.
 */
export function renderConfigReference(flags: Record<string, FlagInfo>): string {
  return [
    '# config.yaml',
    '',
    '<!-- Made from src/config/schema.ts by `npm run docs:config`; a unit test fails when this file is stale. -->',
    '',
    'fleetctl reads `config.yaml` in its state directory (`~/.fleetctl`, or `--home` / `FLEETCTL_HOME`);',
    '`fleetctl proxy start --config FILE` (or `FLEETCTL_PROXY_CONFIG`) reads another file with the same keys.',
    'A key fleetctl does not know, or a value of the wrong kind, stops the command with the file, line and',
    'column, what the value should be and, for a misspelt key, the key that was probably meant (exit code 2).',
    'A key with nothing after it takes its default. A flag, or its `FLEETCTL_*` environment variable, wins',
    'over the file.',
    '',
    '```yaml',
    'cluster: prod',
    'proxy:',
    '  public_addr: proxy.example.com',
    '  ciphers: compatible',
    '  limits:',
    '    max_sessions_per_user: 20',
    '```',
    '',
    ...sections([], configJsonSchema(), flags),
  ].join('\n')
}

/** The proxy's keys in one line for `proxy start --help`, e.g. `listen, ..., limits: {max_startups, ...}`. */
export function proxyKeysSummary(): string {
  const list = (node: SchemaNode): string =>
    Object.entries(node.properties ?? {})
      .filter(([, child]) => !child.deprecated)
      .map(([name, child]) => (section(child) ? `${name}: {${list(child)}}` : child.enum ? `${name} (${child.enum.join(' or ')})` : name))
      .join(', ')
  return list(configJsonSchema().properties!.proxy!)
}
