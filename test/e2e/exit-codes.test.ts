import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {fleetctl} from '../helpers/fleetctl.js'
import {freePort} from '../helpers/processes.js'
import {tmpDir} from '../helpers/tmp.js'

interface ErrorDocument {
  error: {code: string; exit: number; message: string; name: string; suggestions: string[]}
}

/**
 * The README's exit code table, one real situation per class, each run as a person runs it and
 * with --json as a script does: the same exit code both ways; with --json, stdout is exactly one
 * JSON document naming the error, its code and its exit code; without, the message and code are
 * on stderr and stdout is empty.
 */
describe('exit codes hold with and without --json', () => {
  const tmp = tmpDir()
  const home = join(tmp.path, 'state')
  let agent: Agent

  beforeAll(async () => {
    expect((await fleetctl(['ca', 'init', '--cluster', 'example.com'], {home})).exitCode).toBe(0)
    agent = await startAgent(tmp.path)
  })

  afterAll(async () => {
    await agent?.stop()
    tmp.remove()
  })

  /** Runs a failing command both ways and returns the --json error document. */
  const bothWays = async (args: string[], expected: {code: string; exit: number; home?: string; env?: Record<string, string>; humanCode?: false}) => {
    const options = {env: expected.env ?? {}, home: expected.home ?? home}
    const human = await fleetctl(args, options)
    expect(human.exitCode, human.stderr).toBe(expected.exit)
    expect(human.stdout).toBe('')
    // oclif prints its own parse errors with usage instead of a code.
    if (expected.humanCode !== false) expect(human.stderr).toContain(`Code: ${expected.code}`)

    const script = await fleetctl([...args, '--json'], options)
    expect(script.exitCode, script.stdout).toBe(expected.exit)
    const document = JSON.parse(script.stdout) as ErrorDocument
    expect(document.error).toMatchObject({code: expected.code, exit: expected.exit})
    expect(human.stderr).toContain(`Error: ${document.error.message.replaceAll(/\s+/g, ' ').slice(0, 30)}`)
    return document.error
  }

  it('1: something unexpected (the state directory is under a file)', async () => {
    const file = join(tmp.path, 'a-file')
    writeFileSync(file, '')
    const error = await bothWays(['ca', 'init'], {code: 'ENOTDIR', exit: 1, home: join(file, 'state')})
    expect(error.message).toContain('not a directory')
  })

  it('2: a bad flag', async () => {
    const error = await bothWays(['ca', 'export', '--type', 'user', '--no-such-flag'], {code: 'bad_arguments', exit: 2, humanCode: false})
    expect(error.message).toContain('Nonexistent flag: --no-such-flag')
    // Only the error: not oclif's parse context (the whole config, the machine's paths).
    expect(JSON.stringify(error)).not.toContain('pjson')
  })

  it('2: a flag value fleetctl rejects', async () => {
    await bothWays(['audit', '--since', 'last tuesday'], {code: 'since_invalid', exit: 2})
  })

  it('3: missing state (no CA in an empty home)', async () => {
    const error = await bothWays(['ca', 'export', '--type', 'user'], {code: 'ca_missing', exit: 3, home: tmp.dir('empty')})
    expect(error.suggestions.join(' ')).toContain('fleetctl ca init')
  })

  it('3: agent check without a CA public key', async () => {
    await bothWays(['agent', 'check'], {code: 'ca_missing', exit: 3, home: tmp.dir('empty'), env: {SSH_AUTH_SOCK: agent.socket}})
  })

  it('4: refused (ca init where a CA exists)', async () => {
    const error = await bothWays(['ca', 'init'], {code: 'ca_exists', exit: 4})
    expect(error.message).toContain('never overwrites a CA')
  })

  it('5: untrusted (the fleet certificate in a real ssh-agent runs out too soon)', async () => {
    const login = await fleetctl(['login', '--user', 'joe', '--ttl', '1h'], {env: {SSH_AUTH_SOCK: agent.socket}, home})
    expect(login.exitCode, login.stderr).toBe(0)
    const error = await bothWays(['agent', 'check', '--min-validity', '2h'], {code: 'certificate_expiring', exit: 5, env: {SSH_AUTH_SOCK: agent.socket}})
    expect(error.message).toMatch(/key id joe\) expires in (59m|1h)/)
  })

  it('6: unreachable (enrolling a host on a closed port)', async () => {
    const target = `root@127.0.0.1:${await freePort()}`
    const args = ['enroll', 'host', target, '--accept-new-host-key', '--yes', '-o', `UserKnownHostsFile=${join(tmp.path, 'known_hosts')}`]
    const human = await fleetctl(args, {home})
    expect(human.exitCode, human.stdout + human.stderr).toBe(6)
    expect(human.stdout).toMatch(/failed\s+cannot reach .*Connection refused/)

    const script = await fleetctl([...args, '--json'], {home})
    expect(script.exitCode).toBe(6)
    // A run over hosts reports every host; the failed one carries its reason and exit class.
    const report = JSON.parse(script.stdout) as {counts: {failed: number}; hosts: Array<{exit?: number; reason?: string; status: string}>}
    expect(report.counts.failed).toBe(1)
    expect(report.hosts[0]).toMatchObject({exit: 6, reason: expect.stringContaining('Connection refused'), status: 'failed'})
  })
})
