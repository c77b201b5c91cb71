import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fleetctl} from '../helpers/fleetctl.js'
import {type FleetHost, startFleetHost, userCertArgs} from '../helpers/fleet-host.js'
import {runSsh} from '../helpers/ssh.js'
import {SSHD} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const isRoot = process.getuid?.() === 0

/** `sshd -T` (optionally for a connection, -C): the settings sshd really ends up with. */
async function effective(configPath: string, connection?: string): Promise<string> {
  const {stdout} = await execa(SSHD, ['-T', '-f', configPath, ...(connection ? ['-C', connection] : [])])
  return stdout
}

/**
 * Configs where the place of a directive matters: Match blocks (a line after Match applies only
 * inside it) and an Include of a drop-in directory. Each runs on its own real sshd; `sshd -T`
 * says whether the directives took effect. Also: --dry-run, unenroll, and --local.
 */
describe.skipIf(!isRoot)('enroll host: real-world configs', () => {
  const tmp = tmpDir('fleetctl-enroll-configs-')
  const home = join(tmp.path, 'home')
  const operatorKey = join(tmp.path, 'operator')
  // The fleet user's ssh gets its own known_hosts, apart from the operator's.
  const clientDir = join(tmp.path, 'client')
  const env = {CI: '1', SSH_AUTH_SOCK: ''}
  const access = ['-i', operatorKey, '-F', 'none', '-o', `UserKnownHostsFile=${join(tmp.path, 'known_hosts')}`, '--accept-new-host-key']
  const hosts: FleetHost[] = []
  /** Every file of every host as it was before anything ran. */
  const originals = new Map<FleetHost, Map<string, string>>()
  let matchHost: FleetHost
  let includeHost: FleetHost
  let localHost: FleetHost
  let hostCALine = ''
  const userCert = join(tmp.path, 'root-user')

  beforeAll(async () => {
    expect((await fleetctl(['ca', 'init', '--cluster', 'configs.test'], {home})).exitCode).toBe(0)
    mkdirSync(clientDir)
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', operatorKey])
    const authorizedKeys = [readFileSync(`${operatorKey}.pub`, 'utf8').trim()]
    ;[matchHost, includeHost, localHost] = await Promise.all([
      startFleetHost({
        dir: join(tmp.path, 'match'),
        authorizedKeys,
        started: hosts,
        config: (base) =>
          [
            '#\tHardened: forwarding only for admins',
            ...base,
            'AllowTcpForwarding no',
            '',
            '# Admins may forward',
            'Match Group wheel',
            '    AllowTcpForwarding yes',
            'Match Address 10.0.0.0/8',
            '    X11Forwarding no',
            '',
          ].join('\n'),
      }),
      startFleetHost({
        dir: join(tmp.path, 'include'),
        authorizedKeys,
        started: hosts,
        config: (base, dir) => {
          mkdirSync(join(dir, 'sshd_config.d'))
          writeFileSync(join(dir, 'sshd_config.d', '10-local.conf'), 'X11Forwarding no\n')
          return [`Include ${dir}/sshd_config.d/*.conf`, '', ...base, 'Match User backup', '    ForceCommand internal-sftp', ''].join('\n')
        },
      }),
      startFleetHost({dir: join(tmp.path, 'local'), authorizedKeys, started: hosts}),
    ])
    for (const host of hosts) originals.set(host, host.snapshot())
    hostCALine = (await fleetctl(['ca', 'export', '--type', 'host'], {home})).stdout.trim()
    expect((await fleetctl(userCertArgs('root', userCert), {home})).exitCode).toBe(0)
  })

  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()))
    tmp.remove()
  })

  const loginWithCertificates = (host: FleetHost, alias?: string) =>
    runSsh(
      {dir: clientDir, identity: userCert, knownHosts: [hostCALine], port: host.port, config: {HostKeyAlgorithms: 'ssh-ed25519-cert-v01@openssh.com', ...(alias ? {HostKeyAlias: alias} : {})}},
      'root@127.0.0.1',
      ['echo', 'ok'],
    )

  it('--dry-run prints the unified diff and changes nothing', async () => {
    const before = matchHost.snapshot()
    const result = await fleetctl(['enroll', 'host', matchHost.target, ...access, '--sshd-config', matchHost.configPath, '--dry-run'], {home, env})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain(`--- ${matchHost.configPath}\n+++ ${matchHost.configPath}\n@@ `)
    expect(result.stdout).toContain(`+# BEGIN fleetctl managed\n+TrustedUserCAKeys ${join(matchHost.dir, 'fleet_user_ca.pub')}\n`)
    expect(result.stdout).toMatch(/would-change/)
    expect(matchHost.snapshot()).toEqual(before)
  })

  it('puts the directives before the first Match block, where sshd honours them for every connection', async () => {
    const original = readFileSync(matchHost.configPath, 'utf8')
    const result = await fleetctl(['enroll', 'host', matchHost.target, ...access, '--sshd-config', matchHost.configPath, '--max-startups', '100:30:200', '--json'], {home, env})
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    // Found by itself: the pid file sshd -T names for this config.
    expect(JSON.parse(result.stdout).hosts[0].reloadedWith).toBe(`SIGHUP to pid ${matchHost.pid} from ${join(matchHost.dir, 'sshd.pid')}`)
    // The inventory keeps what sshd now runs with, for `fleetctl doctor`.
    const listed = JSON.parse((await fleetctl(['hosts', 'ls', '--json'], {home})).stdout) as {hosts: {maxStartups?: string; sshdConfig: string}[]}
    expect(listed.hosts.find((h) => h.sshdConfig === matchHost.configPath)?.maxStartups).toBe('100:30:200')
    const config = readFileSync(matchHost.configPath, 'utf8')
    expect(config.indexOf('# END fleetctl managed')).toBeLessThan(config.indexOf('# Admins may forward'))
    // Everything of the administrator's is still there, byte for byte.
    expect(config.replace(/# BEGIN fleetctl managed\n[^]*?# END fleetctl managed\n/, '')).toBe(original)
    for (const connection of [undefined, 'user=root,host=h,addr=10.1.2.3', 'user=root,host=h,addr=127.0.0.1']) {
      const settings = await effective(matchHost.configPath, connection)
      expect(settings).toContain(`trustedusercakeys ${join(matchHost.dir, 'fleet_user_ca.pub')}`)
      expect(settings).toContain(`hostcertificate ${join(matchHost.dir, 'ssh_host_ed25519_key-cert.pub')}`)
      expect(settings).toContain('maxstartups 100:30:200')
    }
    expect(await effective(matchHost.configPath, 'user=root,host=h,addr=10.1.2.3')).toContain('x11forwarding no')
    expect((await loginWithCertificates(matchHost)).stdout.trim()).toBe('ok')
  })

  it('writes a drop-in into the included directory and leaves the main file alone', async () => {
    const mainBefore = readFileSync(includeHost.configPath, 'utf8')
    const reload = `kill -HUP "$(cat ${join(includeHost.dir, 'sshd.pid')})"`
    const result = await fleetctl(['enroll', 'host', includeHost.target, ...access, '--sshd-config', includeHost.configPath, '--reload-command', reload, '--json'], {home, env})
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).hosts[0].reloadedWith).toBe(reload)
    expect(readFileSync(includeHost.configPath, 'utf8')).toBe(mainBefore)
    const dropIn = readFileSync(join(includeHost.dir, 'sshd_config.d', '50-fleetctl.conf'), 'utf8')
    expect(dropIn).toMatch(/^# BEGIN fleetctl managed\nTrustedUserCAKeys /)
    const settings = await effective(includeHost.configPath)
    expect(settings).toContain(`trustedusercakeys ${join(includeHost.dir, 'fleet_user_ca.pub')}`)
    expect(settings).toContain(`hostcertificate ${join(includeHost.dir, 'ssh_host_ed25519_key-cert.pub')}`)
    expect(settings).toContain('x11forwarding no')
    expect((await loginWithCertificates(includeHost)).stdout.trim()).toBe('ok')
  })

  it('unenroll restores the original bytes of every file', async () => {
    for (const host of [matchHost, includeHost]) {
      const enrolled = host.snapshot()
      const dry = await fleetctl(['unenroll', 'host', host.target, ...access, '--sshd-config', host.configPath, '--dry-run'], {home, env})
      expect(dry.stdout).toContain('-# BEGIN fleetctl managed')
      expect(host.snapshot()).toEqual(enrolled)

      const result = await fleetctl(['unenroll', 'host', host.target, ...access, '--sshd-config', host.configPath, '--json'], {home, env})
      expect(result.exitCode, result.stdout + result.stderr).toBe(0)
      expect(JSON.parse(result.stdout).hosts[0].status).toBe('unenrolled')
      expect((await loginWithCertificates(host)).exitCode).not.toBe(0)
    }
    // No file fleetctl wrote is left (backups included), and every other byte and mode is as before.
    expect(matchHost.snapshot()).toEqual(originals.get(matchHost))
    expect(includeHost.snapshot()).toEqual(originals.get(includeHost))
    expect(existsSync(join(includeHost.dir, 'sshd_config.d', '10-local.conf'))).toBe(true)
    const listed = JSON.parse((await fleetctl(['hosts', 'ls', '--json'], {home})).stdout) as {hosts: unknown[]}
    expect(listed.hosts).toEqual([])
  })

  it('--local enrolls the machine it runs on, verifies through the local sshd, and unenrolls', async () => {
    const before = localHost.snapshot()
    const enroll = await fleetctl(['enroll', 'host', '--local', '--sshd-config', localHost.configPath, '--ttl', '20d', '--json'], {home, env})
    expect(enroll.exitCode, enroll.stdout + enroll.stderr).toBe(0)
    expect(JSON.parse(enroll.stdout).hosts[0]).toMatchObject({host: 'localhost', status: 'enrolled'})
    // A local enrollment names the host by its own names, not by the loopback address.
    expect((await loginWithCertificates(localHost, hostname())).stdout.trim()).toBe('ok')
    expect((await loginWithCertificates(localHost)).exitCode).not.toBe(0)
    // Enroll again with the same lifetime: the certificate is far from its end, so nothing changes.
    const again = await fleetctl(['enroll', 'host', '--local', '--sshd-config', localHost.configPath, '--ttl', '20d', '--json'], {home, env})
    expect(JSON.parse(again.stdout).hosts[0].status).toBe('unchanged')
    // Twenty days is within the default renewal window of thirty: renew picks it, and nothing else changes.
    const configBefore = readFileSync(localHost.configPath, 'utf8')
    const renew = await fleetctl(['hosts', 'renew', '--expiring-within', '30d', '--json'], {home, env})
    expect(renew.exitCode, renew.stdout + renew.stderr).toBe(0)
    const renewed = JSON.parse(renew.stdout).hosts[0] as {host: string; status: string; certificate: {serial: string; validBefore: string}}
    expect(renewed).toMatchObject({host: 'localhost', status: 'renewed'})
    expect(renewed.certificate.serial).not.toBe(JSON.parse(enroll.stdout).hosts[0].certificate.serial)
    expect(Date.parse(renewed.certificate.validBefore)).toBeGreaterThan(Date.now() + 300 * 86_400_000)
    expect(readFileSync(localHost.configPath, 'utf8')).toBe(configBefore)
    expect((await loginWithCertificates(localHost, hostname())).stdout.trim()).toBe('ok')

    const unenroll = await fleetctl(['unenroll', 'host', '--local', '--sshd-config', localHost.configPath, '--json'], {home, env})
    expect(unenroll.exitCode, unenroll.stdout + unenroll.stderr).toBe(0)
    expect(localHost.snapshot()).toEqual(before)
  })
})
