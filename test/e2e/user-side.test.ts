import {chmodSync, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {fleetctl} from '../helpers/fleetctl.js'
import {tmpDir} from '../helpers/tmp.js'

describe('login and agent check with a real ssh-agent', () => {
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

  const run = (args: string[], socket?: string) => fleetctl(args, {env: {SSH_AUTH_SOCK: socket ?? ''}, home})

  it('agent check fails without an agent, with the fix', async () => {
    const result = await run(['agent', 'check'])
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('SSH_AUTH_SOCK is not set')
    expect(result.stderr).toContain('ssh-agent -s')
  })

  it('agent check fails on a dead socket', async () => {
    const result = await run(['agent', 'check'], join(tmp.path, 'gone.sock'))
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toMatch(/cannot reach the agent.*no such socket/s)
  })

  it('agent check names GNOME Keyring and gpg-agent', async () => {
    const keyring = await run(['agent', 'check'], '/run/user/1000/keyring/ssh')
    expect(keyring.exitCode).toBe(3)
    expect(keyring.stderr).toContain('GNOME Keyring')
    expect(keyring.stderr).toContain("OpenSSH's ssh-agent")
    const gpg = await run(['agent', 'check'], '/run/user/1000/gnupg/S.gpg-agent.ssh')
    expect(gpg.stderr).toContain('gpg-agent')
  })

  it('agent check fails when the agent has no fleet certificate', async () => {
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp.path, 'plain')])
    await agent.add(join(tmp.path, 'plain'))
    const result = await run(['agent', 'check'], agent.socket)
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('holds no certificate from the fleet user CA')
    expect(result.stderr).toContain('fleetctl login')
  })

  it('login loads key and certificate with a lifetime; agent check reports it', async () => {
    const login = await run(['login', '--user', 'joe', '--principals', 'joe,deploy', '--ttl', '1h', '--json'], agent.socket)
    expect(login.exitCode, login.stderr).toBe(0)
    const result = JSON.parse(login.stdout)
    expect(statSync(result.keyPath).mode & 0o777).toBe(0o600)
    const identities = await agent.list()
    expect(identities.filter((l) => l.startsWith('ssh-ed25519-cert-v01@openssh.com'))).toHaveLength(1)

    const check = await run(['agent', 'check', '--json'], agent.socket)
    expect(check.exitCode, check.stderr).toBe(0)
    const report = JSON.parse(check.stdout)
    expect(report.certificate).toMatchObject({expired: false, keyId: 'joe', principals: ['joe', 'deploy']})
    expect(report.certificate.secondsLeft).toBeGreaterThan(3500)
    expect(report.certificate.secondsLeft).toBeLessThanOrEqual(3600)

    // A second login replaces the first identity instead of piling up.
    expect((await run(['login', '--user', 'joe', '--ttl', '1h'], agent.socket)).exitCode).toBe(0)
    expect((await agent.list()).filter((l) => l.includes('-cert-v01@openssh.com'))).toHaveLength(1)
  })

  it('agent check fails for a certificate about to expire, and for an expired one', async () => {
    const other = await startAgent(tmp.path, 'other.sock')
    try {
      expect((await run(['login', '--user', 'joe', '--ttl', '2m'], other.socket)).exitCode).toBe(0)
      const expiring = await run(['agent', 'check'], other.socket)
      expect(expiring.exitCode).toBe(5)
      expect(expiring.stderr).toMatch(/expires in 1m|expires in 2m/)
      // An expired certificate added without a lifetime stays in the agent until removed.
      expect((await fleetctl(['auth', 'sign', '--user=joe', '--ttl=1s', '--out', join(tmp.path, 'short')], {home})).exitCode).toBe(0)
      await execa('ssh-add', ['-D'], {env: {SSH_AUTH_SOCK: other.socket}})
      await other.add(join(tmp.path, 'short'))
      await new Promise((resolve) => setTimeout(resolve, 2200))
      const expired = await run(['agent', 'check'], other.socket)
      expect(expired.exitCode).toBe(5)
      expect(expired.stderr).toContain('expired at')
    } finally {
      await other.stop()
    }
  })

  it('login --no-agent writes files only', async () => {
    const result = await run(['login', '--user', 'ci', '--no-agent', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const {certificatePath} = JSON.parse(result.stdout)
    expect(existsSync(certificatePath)).toBe(true)
  })

  it('login without an agent says how to get one', async () => {
    const result = await run(['login', '--user', 'joe'])
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('--no-agent')
  })
})

describe('gen-ssh-config with the real ssh -G', () => {
  const tmp = tmpDir()
  const home = join(tmp.path, 'state')
  const config = join(tmp.path, 'ssh_config')
  const args = ['gen-ssh-config', '--proxy', 'proxy.example.com:3023', '--hosts', '*.example.com', '--write', '--config', config]

  beforeAll(async () => {
    expect((await fleetctl(['ca', 'init', '--cluster', 'example.com'], {home})).exitCode).toBe(0)
  })

  afterAll(() => tmp.remove())

  const sshG = async (host: string) => {
    const {stdout} = await execa('ssh', ['-G', '-F', config, host], {stdin: 'ignore'})
    return Object.fromEntries(stdout.split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]))
  }

  it('writes a block that ssh -G honours, ahead of a later Host *, keeping every byte outside it', async () => {
    const original = '# my settings\nHost *\n    ForwardAgent no\n    ServerAliveInterval 30\n\nHost github.com\n    User git\n'
    writeFileSync(config, original)
    chmodSync(config, 0o640)
    const result = await fleetctl(args, {home})
    expect(result.exitCode, result.stderr).toBe(0)

    const text = readFileSync(config, 'utf8')
    expect(text.slice(text.indexOf('# END fleetctl\n') + '# END fleetctl\n'.length)).toBe(`\n${original}`)
    expect(statSync(config).mode & 0o777).toBe(0o640)
    expect(readFileSync(`${config}.fleetctl-backup`, 'utf8')).toBe(original)

    const web = await sshG('web-1.example.com')
    expect(web.proxyjump).toBe('proxy.example.com')
    expect(web.forwardagent).toBe('yes')
    expect(web.stricthostkeychecking).toBe('true')
    expect(web.userknownhostsfile).toBe(join(home, 'known_hosts'))
    expect(web.serveraliveinterval).toBe('30')
    const proxy = await sshG('proxy.example.com')
    expect(proxy.port).toBe('3023')
    expect(proxy.forwardagent).toBe('yes')
    expect(proxy.proxyjump).toBeUndefined()
    expect((await sshG('github.com')).forwardagent).toBe('no')
    expect(readFileSync(join(home, 'known_hosts'), 'utf8')).toMatch(/^@cert-authority \* ssh-ed25519 \S+ type=host$/m)
  })

  it('leaves the file identical when run twice', async () => {
    const before = readFileSync(config)
    const mtime = statSync(config).mtimeMs
    const result = await fleetctl(args, {home})
    expect(result.stdout).toContain('nothing changed')
    expect(readFileSync(config)).toEqual(before)
    expect(statSync(config).mtimeMs).toBe(mtime)
  })

  it('prints the block without --write, and JSON with --format json', async () => {
    const text = await fleetctl(['gen-ssh-config', '--proxy', 'p.example.com', '--hosts', 'web-*'], {home})
    expect(text.stdout).toContain('Host web-* !p.example.com\n    ProxyJump p.example.com')
    const json = JSON.parse((await fleetctl(['gen-ssh-config', '--proxy', 'p.example.com', '--hosts', 'web-*', '--format', 'json'], {home})).stdout)
    expect(json.proxy).toEqual({host: 'p.example.com', port: 3023})
  })
})
