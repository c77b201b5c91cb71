import {readFileSync} from 'node:fs'
import {homedir, hostname, userInfo} from 'node:os'
import {join} from 'node:path'
import {stripVTControlCharacters} from 'node:util'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {tmpDir} from '../helpers/tmp.js'

interface ManifestFlag {
  default?: unknown
  env?: string
}
interface ManifestCommand {
  description?: string
  flags: Record<string, ManifestFlag>
  id: string
  summary?: string
}

const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, ManifestCommand>}
const commands = Object.values(manifest.commands)
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {oclif: {topics: Record<string, unknown>}}

/** `fleetctl` at a real terminal (script(1) gives it a pty), answering the prompts from `input`. */
async function atTerminal(args: string[], input: string, env: Record<string, string>) {
  const command = [process.execPath, FLEETCTL_BIN, ...args].map((word) => `'${word}'`).join(' ')
  const result = await execa('script', ['-qec', command, '/dev/null'], {env: {NO_COLOR: '1', ...env}, input, reject: false, timeout: 60_000})
  // Without colours and cursor moves, and with oclif's line wrapping undone, as fleetctl() does.
  const output = stripVTControlCharacters(String(result.stdout))
    .replaceAll(/\s*›\s*/g, ' ')
    .replaceAll(/\s+/g, ' ')
  return {exitCode: result.exitCode, output}
}

describe('oclif conventions', () => {
  const tmp = tmpDir()
  const home = join(tmp.path, 'state')

  beforeAll(async () => {
    expect((await fleetctl(['ca', 'init', '--cluster', 'example.com'], {home})).exitCode).toBe(0)
  })

  afterAll(() => tmp.remove())

  it('fleetctl help lists every topic and command, with spaces', async () => {
    const result = await fleetctl(['help'], {home})
    expect(result.exitCode, result.stderr).toBe(0)
    const topics = new Set(commands.filter((command) => command.id.includes(':')).map((command) => command.id.split(':')[0]))
    for (const topic of topics) {
      // A topic missing from package.json's oclif.topics is listed without a description.
      expect(Object.keys(packageJson.oclif.topics), topic).toContain(topic)
      expect(result.stdout).toMatch(new RegExp(`^  ${topic} +\\S`, 'm'))
    }
    for (const command of commands.filter((c) => !c.id.includes(':'))) expect(result.stdout).toMatch(new RegExp(`^  ${command.id} +\\S`, 'm'))
    expect(result.stdout).toMatch(/^ {2}help +Display help for fleetctl/m)
    expect(result.stdout).toMatch(/^ {2}autocomplete +/m)

    const topic = await fleetctl(['help', 'enroll', 'host'], {home})
    expect(topic.exitCode, topic.stderr).toBe(0)
    expect(topic.stdout).toContain('$ fleetctl enroll host [HOSTS...]')
    expect(topic.stdout).not.toContain('enroll:host')
  })

  it('a mistyped command names the closest one, with spaces, and exits 2 without asking when nobody can answer', async () => {
    const result = await fleetctl(['enrol', 'host'], {home})
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('`enrol host` is not a fleetctl command; did you mean `fleetctl enroll host`?')
    expect(result.stderr).toContain('Run `fleetctl help` for the list of commands.')
    expect(result.stderr).not.toContain(':host')

    // A terminal in CI: still no question.
    const ci = await atTerminal(['ca', 'exprot', '--type', 'user', '--home', home], 'y\r', {CI: 'true'})
    expect(ci.exitCode).toBe(2)
    expect(ci.output).toContain('did you mean `fleetctl ca export`?')
    expect(ci.output).not.toContain('(Y/n)')
  })

  it('at a terminal, a mistyped command asks, and runs the suggestion when the person says yes', async () => {
    const yes = await atTerminal(['ca', 'exprot', '--type', 'user', '--home', home], 'y\r', {CI: ''})
    expect(yes.output).toContain('Did you mean ca export? (Y/n)')
    expect(yes.exitCode, yes.output).toBe(0)
    expect(yes.output).toMatch(/ cert-authority ssh-ed25519 \S+ clustername=example\.com&type=user/)

    const no = await atTerminal(['ca', 'exprot', '--type', 'user', '--home', home], 'n\r', {CI: ''})
    expect(no.exitCode).toBe(2)
    expect(no.output).not.toContain('cert-authority ssh-')
  })

  it('fleetctl autocomplete --refresh-cache builds a bash completion that completes commands and flags', async () => {
    const user = tmp.dir('user')
    const env = {HOME: user, SHELL: '/bin/bash', XDG_CACHE_HOME: join(user, 'cache'), XDG_CONFIG_HOME: join(user, 'config'), XDG_DATA_HOME: join(user, 'data')}
    const refreshed = await fleetctl(['autocomplete', '--refresh-cache'], {env, home})
    expect(refreshed.exitCode, refreshed.stderr).toBe(0)
    const setup = join(user, 'cache', 'fleetctl', 'autocomplete', 'bash_setup')
    const complete = async (...words: string[]) => {
      const script = `source '${setup}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _fleetctl_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`
      return (await execa('bash', ['--norc', '-c', script], {env})).stdout.split('\n').filter(Boolean)
    }
    expect(await complete('fleetctl', 'enr')).toEqual(['enroll'])
    expect(await complete('fleetctl', 'enroll', 'h')).toEqual(['host'])
    expect(await complete('fleetctl', 'enroll', 'host', '--accept')).toEqual(['--accept-new-host-key'])
    expect(await complete('fleetctl', 'agent', 'ch')).toEqual(['check'])
  })

  it('the manifest and --help hold no value of the machine that built them', async () => {
    const machine = new Set([userInfo().username, homedir(), hostname()])
    for (const command of commands) {
      for (const [name, flag] of Object.entries(command.flags)) expect(machine.has(String(flag.default)), `${command.id} --${name} default ${String(flag.default)}`).toBe(false)
    }
    const help = await fleetctl(['login', '--help'], {home})
    expect(help.stdout).toMatch(/--user=<value>\s+\[default: the profile's user, else your login name,\s+env: FLEETCTL_USER\]/)
    // The default is looked up when login runs.
    const login = await fleetctl(['login', '--no-agent', '--json'], {home})
    expect(login.exitCode, login.stderr).toBe(0)
    expect(JSON.parse(login.stdout).keyId).toBe(userInfo().username)
  })

  it('login and auth sign take their lifetimes from their own variables', async () => {
    const env = {FLEETCTL_LOGIN_TTL: '1h', FLEETCTL_SIGN_TTL: '3h'}
    const hoursLeft = (validBefore: string) => Math.round((Date.parse(validBefore) - Date.now()) / 3_600_000)
    const login = await fleetctl(['login', '--user', 'joe', '--no-agent', '--json'], {env, home})
    expect(login.exitCode, login.stderr).toBe(0)
    expect(hoursLeft(JSON.parse(login.stdout).validBefore)).toBe(1)
    const host = await fleetctl(['auth', 'sign', '--host', 'web-1', '--json'], {cwd: tmp.dir('sign'), env, home})
    expect(host.exitCode, host.stderr).toBe(0)
    expect(hoursLeft(JSON.parse(host.stdout).certificate.validBefore)).toBe(3)
    expect(commands.flatMap((command) => Object.values(command.flags).map((flag) => flag.env))).not.toContain('FLEETCTL_TTL')
  })

  it('help text is one line per paragraph in the source, so oclif wraps it once', () => {
    for (const command of commands) {
      expect(command.summary ?? '', command.id).not.toContain('\n')
      for (const paragraph of (command.description ?? '').split('\n\n')) expect(paragraph, command.id).not.toContain('\n')
    }
  })
})
