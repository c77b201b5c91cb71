import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {fleetctl} from '../helpers/fleetctl.js'
import {freePort} from '../helpers/processes.js'
import {type Sshd, startSshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

interface Finding {
  check: string
  fix?: string
  message: string
  status: string
}

/**
 * doctor against real pieces: an ssh-agent, ssh -G over a generated config, and real sshd
 * instances standing in for the proxy (it presents a fleet host certificate) and for hosts.
 */
describe('doctor names the broken piece', () => {
  const tmp = tmpDir()
  const dir = tmp.path
  const home = join(dir, 'state')
  const sshConfig = join(dir, 'ssh_config')
  const daemons: Sshd[] = []
  let agent: Agent
  let proxy: Sshd

  const sign = async (args: string[]) => expect((await fleetctl(['auth', 'sign', ...args], {cwd: dir, home})).exitCode).toBe(0)
  const sshd = async (name: string, certified: boolean) => {
    const hostDir = join(dir, name)
    await execa('mkdir', ['-p', hostDir])
    const key = join(hostDir, 'host_key')
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
    const daemon = await startSshd({dir: hostDir, hostCertificates: certified ? [`${key}-cert.pub`] : [], hostKeys: [key]})
    daemons.push(daemon)
    return {daemon, key}
  }

  beforeAll(async () => {
    expect((await fleetctl(['ca', 'init', '--cluster', 'example.com'], {home})).exitCode).toBe(0)
    agent = await startAgent(dir)
    expect((await fleetctl(['login', '--user', 'joe', '--ttl', '1h'], {env: {SSH_AUTH_SOCK: agent.socket}, home})).exitCode).toBe(0)

    // The proxy stand-in presents a fleet host certificate for 127.0.0.1.
    const proxyKey = join(dir, 'proxy', 'host_key')
    await execa('mkdir', ['-p', join(dir, 'proxy')])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', proxyKey])
    await sign(['--host=127.0.0.1', `--public-key=${proxyKey}.pub`])
    proxy = await startSshd({dir: join(dir, 'proxy'), hostCertificates: [`${proxyKey}-cert.pub`], hostKeys: [proxyKey]})
    daemons.push(proxy)

    const web1 = join(dir, 'web-1')
    await execa('mkdir', ['-p', web1])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(web1, 'host_key')])
    await sign(['--host=web-1', `--public-key=${join(web1, 'host_key')}.pub`])
    const enrolled = await startSshd({dir: web1, hostCertificates: [join(web1, 'host_key-cert.pub')], hostKeys: [join(web1, 'host_key')]})
    daemons.push(enrolled)
    const plain = await sshd('web-2', false)

    const web3 = join(dir, 'web-3')
    await execa('mkdir', ['-p', web3])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(web3, 'host_key')])
    await sign(['--host=web-3', '--ttl=1s', `--public-key=${join(web3, 'host_key')}.pub`])
    const expired = await startSshd({dir: web3, hostCertificates: [join(web3, 'host_key-cert.pub')], hostKeys: [join(web3, 'host_key')]})
    daemons.push(expired)

    const hosts = [`web-1 ${enrolled.port}`, `web-2 ${plain.daemon.port}`, `web-3 ${expired.port}`, `db-1 ${enrolled.port}`]
    writeFileSync(sshConfig, hosts.map((h) => `Host ${h.split(' ')[0]}\n    HostName 127.0.0.1\n    Port ${h.split(' ')[1]}\n`).join(''))
    const gen = await fleetctl(['gen-ssh-config', '--proxy', `127.0.0.1:${proxy.port}`, '--hosts', 'web-*', '--write', '--config', sshConfig], {home})
    expect(gen.exitCode, gen.stderr).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1500)) // let web-3's certificate expire
  })

  afterAll(async () => {
    await agent?.stop()
    for (const daemon of daemons) await daemon.stop()
    tmp.remove()
  })

  const doctor = async (args: string[], socket = agent.socket) => {
    const result = await fleetctl(['doctor', '--config', sshConfig, '--timeout', '2', '--json', ...args], {env: {SSH_AUTH_SOCK: socket}, home})
    const report = JSON.parse(result.stdout) as {findings: Finding[]; ok: boolean}
    return {exitCode: result.exitCode, find: (check: string) => report.findings.find((f) => f.check === check)!, report}
  }

  it('passes for an enrolled host through a live proxy', async () => {
    const {exitCode, find, report} = await doctor(['web-1'])
    expect(report.findings.filter((f) => f.status === 'fail')).toEqual([])
    expect(exitCode).toBe(0)
    expect(find('host')).toMatchObject({status: 'ok'})
    expect(find('proxy').message).toContain('presents a fleet host certificate')
  })

  it('no agent', async () => {
    const {exitCode, find} = await doctor(['web-1'], '')
    expect(exitCode).toBe(1)
    expect(find('agent')).toMatchObject({message: expect.stringContaining('SSH_AUTH_SOCK is not set'), status: 'fail'})
    expect(find('agent').fix).toContain('ssh-agent')
  })

  it('missing config: a host outside the generated block', async () => {
    const {find} = await doctor(['db-1', '--proxy', `127.0.0.1:${proxy.port}`])
    expect(find('ssh-config')).toMatchObject({message: expect.stringContaining('no ProxyJump'), status: 'fail'})
    expect(find('ssh-config').fix).toContain('fleetctl gen-ssh-config --write')
  })

  it('proxy down', async () => {
    const {find} = await doctor(['--proxy', `127.0.0.1:${await freePort()}`])
    expect(find('proxy')).toMatchObject({message: expect.stringContaining('not reachable'), status: 'fail'})
    expect(find('proxy').fix).toContain('fleetctl proxy start')
  })

  it('host not enrolled', async () => {
    const {find} = await doctor(['web-2'])
    expect(find('host')).toMatchObject({message: expect.stringContaining('not enrolled'), status: 'fail'})
    expect(find('host').fix).toBe('Enroll it: `fleetctl enroll host web-2`.')
  })

  it('sshd MaxStartups too low for a proxy, as enrollment recorded it', async () => {
    const entry = (name: string, maxStartups: string) => ({name, hostname: name, principals: [name], maxStartups})
    writeFileSync(join(home, 'inventory.json'), JSON.stringify({hosts: [entry('web-1', '10:30:100'), entry('web-2', '100:30:200')], version: 1}))
    const low = (await doctor(['web-1'])).find('sshd')
    expect(low).toMatchObject({message: expect.stringContaining('MaxStartups is 10:30:100'), status: 'warn'})
    expect(low.fix).toBe('Raise it: `fleetctl enroll host web-1 --max-startups 100:30:200`.')
    expect((await doctor(['web-2'])).find('sshd')).toMatchObject({status: 'ok'})
    expect((await doctor(['web-3'])).find('sshd')).toMatchObject({status: 'skip'})
  })

  it('host certificate expired', async () => {
    const {find} = await doctor(['web-3'])
    expect(find('host')).toMatchObject({message: expect.stringContaining('expired'), status: 'fail'})
    expect(find('host').fix).toContain('fleetctl hosts renew web-3')
  })
})
