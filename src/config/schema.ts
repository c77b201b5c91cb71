/**
 * The schema of config.yaml (and of a file given to `proxy start --config`): the one place that
 * says which keys exist, what each takes, its default and what it does. Validation messages,
 * `proxy start --help` and docs/config.md are all made from it.
 *
 * Why zod and not ajv with a hand-written JSON Schema: one declaration gives the TypeScript type
 * of the checked config, the check itself (including what YAML makes awkward, such as `no` being
 * a string in YAML 1.2) and, through `z.toJSONSchema`, the JSON Schema the reference is rendered
 * from; with ajv the type, the schema and the coercions would be three things to keep in step.
 */
import {z} from 'zod'

/** Where to listen: `host:port`, `[v6]:port` or `:port` (all addresses). */
export interface ListenAddress {
  host: string
  port: number
}

/** OpenSSH's MaxStartups `start:rate:full`: random early drop of unauthenticated connections. */
export interface MaxStartups {
  start: number
  /** Percent chance of dropping a connection once `start` are pending, rising linearly to 100 at `full`. */
  rate: number
  full: number
}

/** A listen address, or undefined when `text` is not one. */
export function listenAddressOf(text: string): ListenAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim())
  const port = match ? Number(match[3]) : Number.NaN
  if (!match || port > 65_535) return undefined
  return {host: match[1] ?? (match[2] || '0.0.0.0'), port}
}

/** `start:rate:full` (or one number, OpenSSH's shorthand for `n:100:n`), or undefined when `text` is not that. */
export function maxStartupsOf(text: string): MaxStartups | undefined {
  const parts = text.split(':').map((part) => (/^\d+$/.test(part.trim()) ? Number(part) : Number.NaN))
  const [start, rate, full] = parts.length === 1 ? [parts[0]!, 100, parts[0]!] : parts
  if (parts.length === 2 || parts.length > 3 || ![start, rate, full].every((n) => Number.isInteger(n))) return undefined
  if (rate! > 100 || full! < start!) return undefined
  return {start: start!, rate: rate!, full: full!}
}

/**
 * What every key carries besides its type. `expects` is what the value must be, in words: the
 * validation message and the reference both show it. `defaultText` is for defaults that are not a
 * fixed value (the machine's host name). `flag` names the `proxy start` flag that overrides the key.
 */
export interface KeyMeta {
  description: string
  expects: string
  defaultText?: string
  flag?: string
  deprecated?: boolean
}

const key = <T extends z.ZodType>(schema: T, meta: KeyMeta): T => schema.meta({...meta})

/** YAML 1.2 reads `no` and `off` as strings: accept the words people write in sshd_config too. */
const yesNo = z
  .union([z.boolean(), z.string().regex(/^(?:yes|no|true|false|on|off)$/i)])
  .transform((value) => (typeof value === 'boolean' ? value : /^(?:yes|true|on)$/i.test(value)))

const listenAddress = z.string().refine((text) => listenAddressOf(text) !== undefined)
const maxStartups = z
  .union([z.int().nonnegative(), z.string()])
  .refine((value) => maxStartupsOf(String(value)) !== undefined)
  .transform((value) => maxStartupsOf(String(value))!)
const seconds = z.number().positive()
const count = z.int().positive()

/** What the proxy uses when neither `limits.max_startups` nor the older `max_startups` is set. */
export const DEFAULT_MAX_STARTUPS = '10:30:100'
const MAX_STARTUPS_EXPECTS = 'start:rate:full (e.g. 10:30:100: rate a percentage, full at least start) or one number'

const limitsSchema = z.strictObject({
  max_startups: key(maxStartups.optional(), {
    description:
      'Random early drop of unauthenticated connections, as sshd\'s MaxStartups: past `start` pending connections a new one is dropped with `rate` percent chance, rising to 100 at `full`.',
    expects: MAX_STARTUPS_EXPECTS,
    defaultText: `\`"${DEFAULT_MAX_STARTUPS}"\``,
  }),
  login_grace_seconds: key(seconds.default(30), {
    description: 'Seconds a connection has to authenticate, on the connection to the proxy and on the one to the host inside it.',
    expects: 'a positive number of seconds',
  }),
  max_sessions_per_connection: key(count.default(10), {
    description: 'Sessions (shell, exec, subsystem) and forwards open at once on one connection (ssh multiplexing).',
    expects: 'a positive whole number',
  }),
  max_sessions_per_user: key(count.default(100), {
    description: 'Sessions open at once for one user (the certificate\'s key id), across all their connections.',
    expects: 'a positive whole number',
  }),
})

const proxySchema = z.strictObject({
  listen: key(listenAddress.default('0.0.0.0:3023'), {
    description: 'SSH address the proxy listens on.',
    expects: 'host:port, [v6]:port or :port',
    flag: 'listen',
  }),
  web_listen: key(z.union([z.enum(['off', 'none', '']), listenAddress]).default('0.0.0.0:3080'), {
    description: 'HTTPS address for the login API (/webapi/identity/), /webapi/auth/export, /healthz and /metrics; `off` for none.',
    expects: 'host:port, [v6]:port, :port or off',
    flag: 'web-listen',
  }),
  public_addr: key(z.union([z.string(), z.array(z.string())]).optional(), {
    description: 'Names users reach the proxy by (a port is ignored); its own host certificate covers them.',
    expects: 'a name, a comma-separated list or a YAML list of names',
    flag: 'public-addr',
  }),
  checks_host_keys: key(yesNo.optional(), {
    description: 'Require a host certificate from the fleet host CA from every host. `no` accepts plain host keys and logs a warning for each connection.',
    expects: 'yes or no',
    defaultText: 'yes (or the top-level `proxy_checks_host_keys`)',
    flag: 'checks-host-keys',
  }),
  record_non_pty_bytes: key(yesNo.default(false), {
    description: 'Also store the bytes of sessions without a terminal (scp, sftp, commands); they are always hashed and counted in the audit log.',
    expects: 'yes or no',
    // The JSON Schema leaves out the default of a value that is converted (the word to a boolean).
    defaultText: 'no',
  }),
  ciphers: key(z.enum(['fast', 'compatible']).default('fast'), {
    description:
      '`fast` offers only the quickest AEAD cipher family on this machine (AES-GCM where the CPU has AES instructions, else ChaCha20-Poly1305); `compatible` offers every AEAD cipher, for clients without AES-GCM (PuTTY before 0.76).',
    expects: 'fast or compatible',
  }),
  shutdown_grace_seconds: key(seconds.default(30), {
    description: 'Seconds SIGTERM lets running sessions finish before closing them.',
    expects: 'a positive number of seconds',
  }),
  host_certificate_ttl_seconds: key(seconds.default(3600), {
    description: 'Lifetime of the host certificates the proxy mints for the hosts users reach through it.',
    expects: 'a positive number of seconds',
  }),
  tls_cert: key(z.string().min(1).optional(), {
    description: 'PEM certificate for the web endpoint, with `tls_key`.',
    expects: 'a file path',
    defaultText: 'a self-signed certificate kept in `<home>/proxy`',
    flag: 'tls-cert',
  }),
  tls_key: key(z.string().min(1).optional(), {
    description: 'PEM private key for `tls_cert`.',
    expects: 'a file path',
    flag: 'tls-key',
  }),
  limits: key(limitsSchema.prefault({}), {description: 'Limits on connections and sessions.', expects: 'a mapping'}),
  max_startups: key(maxStartups.optional(), {
    description: 'Where older configs set `limits.max_startups`; read when that is not set.',
    expects: MAX_STARTUPS_EXPECTS,
    deprecated: true,
  }),
})

/** The whole file. Keys of other parts than the proxy sit at the top level. */
export const fleetConfigSchema = z.strictObject({
  cluster: key(z.string().min(1).optional(), {
    description: 'The fleet\'s name: in the CA keys\' comments and the CA exports. `fleetctl ca init` writes it (`--cluster`).',
    expects: 'a name',
    defaultText: 'the machine\'s host name',
  }),
  proxy_addr: key(z.string().min(1).optional(), {
    description: 'Where users reach the proxy, for `gen-ssh-config` and `doctor` when `--proxy` is not given.',
    expects: 'host or host:port',
    defaultText: '`<host name>:3023`',
  }),
  ssh_hosts: key(z.string().min(1).optional(), {
    description: 'Host patterns that `gen-ssh-config` routes through the proxy when `--hosts` is not given.',
    expects: 'comma-separated ssh_config Host patterns',
    defaultText: '`*.<cluster>`',
  }),
  proxy_checks_host_keys: key(yesNo.optional(), {
    description: 'The same as `proxy.checks_host_keys`, which wins when both are set.',
    expects: 'yes or no',
    defaultText: 'yes',
    flag: 'checks-host-keys',
  }),
  proxy: key(proxySchema.prefault({}), {description: 'The recording proxy (`fleetctl proxy start`).', expects: 'a mapping'}),
})

/** config.yaml as written (what `readConfig` returns, and what is written back). */
export type FleetConfigFile = z.input<typeof fleetConfigSchema>
/** config.yaml checked, with defaults and YAML words turned into values. */
export type CheckedFleetConfig = z.output<typeof fleetConfigSchema>

/** A node of the JSON Schema made from the zod schema, with the key metadata above. */
export interface SchemaNode extends Partial<KeyMeta> {
  type?: string
  properties?: Record<string, SchemaNode>
  default?: unknown
  enum?: unknown[]
  anyOf?: SchemaNode[]
}

let jsonSchema: SchemaNode | undefined

/** The JSON Schema of config.yaml as users write it (input side: before defaults and conversions). */
export function configJsonSchema(): SchemaNode {
  jsonSchema ??= z.toJSONSchema(fleetConfigSchema, {io: 'input'}) as SchemaNode
  return jsonSchema
}
