import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fleetctl} from '../helpers/fleetctl.js'
import {type FleetHost, startFleetHost, userCertArgs} from '../helpers/fleet-host.js'
import {runSsh} from '../helpers/ssh.js'
import {SSHD} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

interface RunJson {
  counts: Record<string, number>
  hosts: Array<{host: string; status: string; reason?: string; principals?: string[]; certificate?: {serial: string}; system?: {os: string; sshd: string}}>
}

const HOSTS = 10
const isRoot = process.getuid?.() === 0

/**
 * Ten real sshd instances, each with its own config file and directory, enrolled in one run
 * from an Ansible INI inventory, five at a time; then checked with the real ssh client trusting
 * nothing but the host CA, run again (nothing may change), and renewed.
 */
describe.skipIf(!isRoot)('enroll host: a fleet of ten', () => {
  const tmp = tmpDir('fleetctl-enroll-fleet-')
  const home = join(tmp.path, 'home')
  const operatorKey = join(tmp.path, 'operator')
  // The fleet user's ssh gets its own known_hosts, apart from the operator's.
  const clientDir = join(tmp.path, 'client')
  const inventory = join(tmp.path, 'hosts.ini')
  /** web-0 .. web-9 in order, and every sshd that started (stopped even if a sibling failed to). */
  const hosts: FleetHost[] = []
  const running: FleetHost[] = []
  const env = {CI: '1', SSH_AUTH_SOCK: ''}
  const access = ['-i', operatorKey, '-F', 'none', '-o', `UserKnownHostsFile=${join(tmp.path, 'known_hosts')}`]
  let hostCALine = ''
  let userCert = ''

  beforeAll(async () => {
    expect((await fleetctl(['ca', 'init', '--cluster', 'fleet.test'], {home})).exitCode).toBe(0)
    mkdirSync(clientDir)
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', operatorKey])
    const operatorLine = readFileSync(`${operatorKey}.pub`, 'utf8').trim()
    // Three hosts have no ed25519 key yet, so enrollment generates one on them.
    const ordered: FleetHost[] = await Promise.all(
      Array.from({length: HOSTS}, (_, i) =>
        startFleetHost({dir: join(tmp.path, `web-${i}`), authorizedKeys: [operatorLine], started: running, hostKeyType: i >= 7 ? 'ecdsa' : 'ed25519'}),
      ),
    )
    hosts.push(...ordered)
    writeFileSync(
      inventory,
      [
        '# the test fleet',
        '[web]',
        ...hosts.map((host, i) => `web-${i} ansible_host=127.0.0.1 ansible_port=${host.port} fleetctl_sshd_config=${host.configPath}`),
        '',
        '[all:vars]',
        'ansible_user=root',
        '',
      ].join('\n'),
    )
    hostCALine = (await fleetctl(['ca', 'export', '--type', 'host'], {home})).stdout.trim()
    userCert = join(tmp.path, 'root-user')
    expect((await fleetctl(userCertArgs('root', userCert), {home})).exitCode).toBe(0)
  })

  afterAll(async () => {
    await Promise.all(running.map((host) => host.stop()))
    tmp.remove()
  })

  const enroll = async (...extra: string[]) => {
    const result = await fleetctl(['enroll', 'host', '--inventory', inventory, '--concurrency', '5', ...access, '--json', ...extra], {home, env})
    return {...result, report: JSON.parse(result.stdout || '{}') as RunJson}
  }

  /** The real ssh client, trusting only the host CA and holding only a fleet user certificate. */
  const loginWithCertificates = (host: FleetHost, alias?: string) =>
    runSsh(
      {
        dir: clientDir,
        identity: userCert,
        knownHosts: [hostCALine],
        port: host.port,
        config: {HostKeyAlgorithms: 'ssh-ed25519-cert-v01@openssh.com', ...(alias ? {HostKeyAlias: alias} : {})},
      },
      'root@127.0.0.1',
      ['echo', 'enrolled'],
    )

  it('refuses the fleet credentials before enrollment', async () => {
    const result = await loginWithCertificates(hosts[0])
    expect(result.exitCode).not.toBe(0)
  })

  it('enrolls ten hosts five at a time, each then presenting a fleet host certificate and accepting fleet user certificates', async () => {
    const {exitCode, report, stderr} = await enroll('--accept-new-host-key')
    expect(exitCode, `${stderr}\n${JSON.stringify(report, null, 2)}`).toBe(0)
    expect(report.counts.enrolled).toBe(HOSTS)
    for (const [i, host] of hosts.entries()) {
      expect(report.hosts[i]).toMatchObject({host: `web-${i}`, status: 'enrolled'})
      expect(report.hosts[i].principals).toEqual(expect.arrayContaining([`web-${i}`, '127.0.0.1']))
      expect(report.hosts[i].system).toEqual({os: expect.stringMatching(/^Linux /), sshd: expect.stringMatching(/^OpenSSH_\d/)})
      const direct = await loginWithCertificates(host)
      expect(direct.stdout.trim(), `web-${i}: ${direct.stderr}\n${host.output()}`).toBe('enrolled')
      // The inventory name is a principal too: a client that knows the host by name checks it.
      expect((await loginWithCertificates(host, `web-${i}`)).stdout.trim()).toBe('enrolled')
      expect((await loginWithCertificates(host, 'web-other')).exitCode).not.toBe(0)
    }
  })

  it('generated a host key only where there was no ed25519 key, and certified the existing one elsewhere', () => {
    const managed = (host: FleetHost) => /# BEGIN fleetctl managed\n([^]*?)# END fleetctl managed/.exec(readFileSync(host.configPath, 'utf8'))?.[1] ?? ''
    const withGenerated = hosts.filter((host) => managed(host).includes(`HostKey ${join(host.dir, 'ssh_host_ed25519_key')}`))
    expect(withGenerated.map((host) => host.dir)).toEqual(hosts.slice(7).map((host) => host.dir))
    for (const host of hosts) {
      expect(managed(host)).toContain(`HostCertificate ${join(host.dir, 'ssh_host_ed25519_key-cert.pub')}`)
      expect(managed(host)).toContain(`TrustedUserCAKeys ${join(host.dir, 'fleet_user_ca.pub')}`)
    }
    for (const host of hosts.slice(7)) {
      // Generated on the host with an empty passphrase, private and labelled as fleetctl's.
      expect(statSync(join(host.dir, 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600)
      expect(readFileSync(join(host.dir, 'ssh_host_ed25519_key.pub'), 'utf8')).toMatch(/^ssh-ed25519 \S+ fleetctl@/)
    }
  })

  it('reports all unchanged on a second run and changes no byte', async () => {
    const before = hosts.map((host) => host.snapshot())
    const {exitCode, report} = await enroll()
    expect(exitCode).toBe(0)
    expect(report.counts.unchanged).toBe(HOSTS)
    hosts.forEach((host, i) => expect(host.snapshot(), `web-${i}`).toEqual(before[i]))
  })

  it('lists the hosts with certificate expiry', async () => {
    const listed = await fleetctl(['hosts', 'ls', '--json'], {home})
    const {hosts: entries} = JSON.parse(listed.stdout) as {hosts: Array<{name: string; certificate: {validBefore: string}; expiresIn: string}>}
    expect(entries.map((entry) => entry.name).sort()).toEqual(hosts.map((_, i) => `web-${i}`).sort())
    for (const entry of entries) expect(Date.parse(entry.certificate.validBefore)).toBeGreaterThan(Date.now() + 360 * 86_400_000)
    expect((await fleetctl(['hosts', 'ls'], {home})).stdout).toMatch(/^HOST\s+PRINCIPALS\s+CERTIFICATE EXPIRES/)
  })

  it('renews chosen hosts: a new certificate for the same key, pushed with a reload, and nothing else changed', async () => {
    const due = await fleetctl(['hosts', 'renew', '--dry-run', '--json'], {home, env})
    expect((JSON.parse(due.stdout) as RunJson).counts.unchanged).toBe(HOSTS)

    const beforeConfig = readFileSync(hosts[0].configPath, 'utf8')
    const oldSerials = JSON.parse((await fleetctl(['hosts', 'ls', '--json'], {home})).stdout) as {hosts: Array<{name: string; certificate: {serial: string}}>}
    const pid = hosts[0].pid
    const renewed = await fleetctl(['hosts', 'renew', 'web-0', 'web-8', '--force', '--json'], {home, env})
    const report = JSON.parse(renewed.stdout) as RunJson
    expect(renewed.exitCode, renewed.stderr).toBe(0)
    expect(report.hosts.map((host) => [host.host, host.status])).toEqual([['web-0', 'renewed'], ['web-8', 'renewed']])
    for (const name of ['web-0', 'web-8']) {
      const old = oldSerials.hosts.find((entry) => entry.name === name)!.certificate.serial
      expect(report.hosts.find((host) => host.host === name)!.certificate!.serial).not.toBe(old)
    }
    // A reload, not a restart: the same sshd process, the same config.
    expect(hosts[0].pid).toBe(pid)
    expect(readFileSync(hosts[0].configPath, 'utf8')).toBe(beforeConfig)
    const login = await loginWithCertificates(hosts[0], 'web-0')
    expect(login.stdout.trim(), login.stderr).toBe('enrolled')
    const {stdout} = await execa('ssh-keygen', ['-L', '-f', join(hosts[0].dir, 'ssh_host_ed25519_key-cert.pub')])
    expect(stdout).toContain(`Serial: ${report.hosts.find((host) => host.host === 'web-0')!.certificate!.serial}`)
    expect((await execa(SSHD, ['-t', '-f', hosts[0].configPath], {reject: false})).exitCode).toBe(0)
  })
})
