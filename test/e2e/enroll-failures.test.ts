import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {type FleetHost, startFleetHost} from '../helpers/fleet-host.js'
import {freePort} from '../helpers/processes.js'
import {runSsh} from '../helpers/ssh.js'
import {SSHD} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

interface RunJson {
  counts: Record<string, number>
  hosts: Array<{exit?: number; host: string; status: string; reason?: string; warnings: string[]}>
}

const isRoot = process.getuid?.() === 0
const NO_SUDO_USER = 'fleetctl-e2e-nosudo'
const SUDO_USER = 'fleetctl-e2e-sudo'
const SUDOERS = `/etc/sudoers.d/${SUDO_USER}`

/**
 * What must not leave a host half-changed: a new login that fails after the reload (rolled back),
 * and bad input (unreachable, wrong key, no sudo, a config the login cannot write, a server that
 * is not SSH). Each is one line in the summary; every host keeps every byte.
 */
describe.skipIf(!isRoot)('enroll host: failures change nothing', () => {
  const tmp = tmpDir('fleetctl-enroll-failures-')
  const home = join(tmp.path, 'home')
  const operatorKey = join(tmp.path, 'operator')
  const knownHosts = join(tmp.path, 'known_hosts')
  const env = {CI: '1', SSH_AUTH_SOCK: ''}
  const access = ['-i', operatorKey, '-F', 'none', '-o', `UserKnownHostsFile=${knownHosts}`]
  const hosts: FleetHost[] = []
  let good: FleetHost
  let principalsOnly: FleetHost
  let strangerOnly: FleetHost
  let shared: FleetHost
  let first: FleetHost
  let second: FleetHost
  let banner: Server
  const sockets = new Set<Socket>()
  let bannerPort = 0

  beforeAll(async () => {
    // Non-root logins must be able to read (not write) the host directories.
    chmodSync(tmp.path, 0o755)
    expect((await fleetctl(['ca', 'init', '--cluster', 'failures.test'], {home})).exitCode).toBe(0)
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', operatorKey])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp.path, 'stranger_key')])
    const operator = readFileSync(`${operatorKey}.pub`, 'utf8').trim()
    const stranger = readFileSync(join(tmp.path, 'stranger_key.pub'), 'utf8').trim()
    for (const user of [NO_SUDO_USER, SUDO_USER]) {
      await execa('userdel', [user], {reject: false})
      await execa('useradd', ['-M', '-d', '/tmp', '-s', '/bin/sh', user])
      // A locked password ("!") makes sshd refuse even key logins without PAM.
      await execa('usermod', ['-p', '*', user])
    }
    writeFileSync(SUDOERS, `${SUDO_USER} ALL=(ALL) NOPASSWD: ALL\n`, {mode: 0o440})

    ;[good, principalsOnly, strangerOnly, shared, first, second] = await Promise.all([
      startFleetHost({dir: join(tmp.path, 'good'), authorizedKeys: [operator], started: hosts}),
      // Certificate logins need a principals file that does not exist: the new login fails after the reload.
      startFleetHost({dir: join(tmp.path, 'principals'), authorizedKeys: [operator], started: hosts, config: (base, dir) => [...base, `AuthorizedPrincipalsFile ${dir}/no-such-principals`, ''].join('\n')}),
      startFleetHost({dir: join(tmp.path, 'stranger'), authorizedKeys: [stranger], started: hosts}),
      startFleetHost({dir: join(tmp.path, 'shared'), authorizedKeys: [operator], started: hosts}),
      startFleetHost({dir: join(tmp.path, 'first'), authorizedKeys: [operator], started: hosts}),
      startFleetHost({dir: join(tmp.path, 'second'), authorizedKeys: [operator], started: hosts}),
    ])
    for (const host of hosts) chmodSync(host.dir, 0o755)
    // sshd reads authorized_keys as the user logging in.
    chmodSync(join(shared.dir, 'authorized_keys'), 0o644)

    banner = createServer((socket) => {
      sockets.add(socket.on('close', () => sockets.delete(socket)))
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')
    })
    await new Promise<void>((resolve) => banner.listen(0, '127.0.0.1', resolve))
    bannerPort = (banner.address() as {port: number}).port
  })

  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()))
    // close() waits for every connection: do not let a client that never hung up hold the suite.
    for (const socket of sockets) socket.destroy()
    if (banner) await new Promise((resolve) => banner.close(resolve))
    rmSync(SUDOERS, {force: true})
    for (const user of [NO_SUDO_USER, SUDO_USER]) await execa('userdel', [user], {reject: false, timeout: 10_000})
    tmp.remove()
  })

  const enroll = async (targets: string[], ...extra: string[]) => {
    const result = await fleetctl(['enroll', 'host', ...targets, ...access, '--json', ...extra], {home, env})
    return {...result, report: JSON.parse(result.stdout || '{}') as RunJson}
  }

  it('refuses a first-seen host key without --accept-new-host-key or a terminal, showing its fingerprint', async () => {
    const before = good.snapshot()
    const {exitCode, report} = await enroll([good.target], '--sshd-config', good.configPath)
    // Its one host failed a trust check: exit class 5.
    expect(exitCode).toBe(5)
    expect(report.hosts[0].exit).toBe(5)
    expect(report.hosts[0].reason).toMatch(/not in known_hosts \(ssh-ed25519 SHA256:\S+.*\); pass --accept-new-host-key/)
    expect(good.snapshot()).toEqual(before)
  })

  it('rolls back a change whose new login fails: the config is byte-identical and the old access still works', async () => {
    const before = principalsOnly.snapshot()
    const pid = principalsOnly.pid
    const {exitCode, report} = await enroll([principalsOnly.target], '--sshd-config', principalsOnly.configPath, '--accept-new-host-key')
    expect(exitCode).toBe(1)
    expect(report.hosts[0].status).toBe('failed')
    expect(report.hosts[0].reason).toMatch(/^sshd refuses a fleet user certificate for root: .*; rolled back and reloaded; the old login works$/)
    // The cause was visible beforehand, and said so.
    expect(report.hosts[0].warnings).toContainEqual(expect.stringMatching(/^AuthorizedPrincipalsFile is .*no-such-principals: /))
    expect(principalsOnly.snapshot()).toEqual(before)
    expect(principalsOnly.pid).toBe(pid)
    const {stdout} = await execa(SSHD, ['-T', '-f', principalsOnly.configPath])
    expect(stdout).toContain('trustedusercakeys none')
    mkdirSync(join(tmp.path, 'client'))
    const old = await runSsh({dir: join(tmp.path, 'client'), identity: operatorKey, knownHosts: readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean), port: principalsOnly.port}, 'root@127.0.0.1', ['echo', 'still in'])
    expect(old.stdout.trim(), old.stderr).toBe('still in')
    // The running sshd took the old config back: it no longer presents a host certificate.
    expect(principalsOnly.output()).toMatch(/Received SIGHUP; restarting\.[^]*Received SIGHUP; restarting\./)
  })

  it('gives one line per bad host and changes none, while a good host in the same run enrolls', async () => {
    const targets = [
      good.target,
      `root@127.0.0.1:${await freePort()}`,
      strangerOnly.target,
      `${NO_SUDO_USER}@127.0.0.1:${shared.port}`,
      `root@127.0.0.1:${bannerPort}`,
    ]
    const before = hosts.filter((host) => host !== good).map((host) => host.snapshot())
    const inventory = join(tmp.path, 'hosts.yml')
    writeFileSync(
      inventory,
      `all:\n  hosts:\n${targets.map((target, i) => {
        const [, user, port] = /^(.+)@127\.0\.0\.1:(\d+)$/.exec(target)!
        const config = [good, good, strangerOnly, shared, good][i].configPath
        return `    host-${i}:\n      ansible_host: 127.0.0.1\n      ansible_user: ${user}\n      ansible_port: ${port}\n      fleetctl_sshd_config: ${config}\n`
      }).join('')}`,
    )
    const {exitCode, report, stderr} = await enroll([], '--inventory', inventory, '--accept-new-host-key', '--concurrency', '5')
    expect(exitCode, stderr).toBe(1)
    const byHost = Object.fromEntries(report.hosts.map((host) => [host.host, host]))
    expect(byHost['host-0'].status).toBe('enrolled')
    const reasons = {
      'host-1': /^cannot reach host-1: ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/,
      'host-2': /^login to host-2 refused: root@127\.0\.0\.1: Permission denied \(publickey\)\.?$/,
      'host-3': new RegExp(`^cannot write ${shared.configPath} on host-3 as uid \\d+; pass --sudo or log in as root$`),
      'host-4': /^host-4 does not speak SSH: /,
    }
    for (const [name, reason] of Object.entries(reasons)) {
      expect(byHost[name].status, name).toBe('failed')
      expect(byHost[name].reason, name).toMatch(reason)
      expect(byHost[name].reason, name).not.toContain('\n')
    }
    hosts.filter((host) => host !== good).forEach((host, i) => expect(host.snapshot(), host.dir).toEqual(before[i]))
  })

  it('prints the same outcome as a summary table for people', async () => {
    const result = await fleetctl(['enroll', 'host', `root@127.0.0.1:${bannerPort}`, ...access, '--accept-new-host-key'], {home, env})
    // A host that does not answer as an SSH server is unreachable: exit class 6.
    expect(result.exitCode).toBe(6)
    expect(result.stdout).toMatch(new RegExp(`^HOST\\s+STATUS\\s+DETAIL\\nroot@127\\.0\\.0\\.1:${bannerPort}\\s+failed\\s+root@127\\.0\\.0\\.1:${bannerPort} does not speak SSH: .+\\n\\n1 failed$`))
  })

  it('stops with sshd\'s own message when sshd -t rejects the change, and puts the files back', async () => {
    const before = first.snapshot()
    const {exitCode, report} = await enroll([first.target], '--sshd-config', first.configPath, '--accept-new-host-key', '--max-startups', '10:30:lots')
    expect(exitCode).toBe(1)
    expect(report.hosts[0].reason).toMatch(/^sshd -t rejects the new config: .*MaxStartups.*; rolled back every file; sshd never loaded the change$/i)
    expect(first.snapshot()).toEqual(before)
  })

  it('on Ctrl-C finishes the host being changed and starts no other', async () => {
    const marker = join(tmp.path, 'reloading')
    const inventory = join(tmp.path, 'two.ini')
    writeFileSync(inventory, [first, second].map((host, i) => `h${i} ansible_host=127.0.0.1 ansible_port=${host.port} ansible_user=root fleetctl_sshd_config=${host.configPath}\n`).join(''))
    const before = second.snapshot()
    // The reload of the first host tells the test it is mid-change; then the operator presses Ctrl-C.
    const reload = `touch ${marker}; sleep 1; for pid in ${tmp.path}/*/sshd.pid; do kill -HUP "$(cat "$pid")"; done`
    const run = execa(process.execPath, [FLEETCTL_BIN, 'enroll', 'host', '--inventory', inventory, ...access, '--accept-new-host-key', '--concurrency', '1', '--reload-command', reload, '--json'], {
      env: {...env, FLEETCTL_HOME: home},
      reject: false,
      stdin: 'ignore',
    })
    const deadline = Date.now() + 60_000
    while (!existsSync(marker) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    run.kill('SIGINT')
    const result = await run
    const report = JSON.parse(String(result.stdout)) as RunJson
    expect(report.hosts.map((host) => [host.host, host.status])).toEqual([['h0', 'enrolled'], ['h1', 'skipped']])
    expect(report.hosts[1].reason).toBe('interrupted before it started; nothing changed')
    expect(second.snapshot()).toEqual(before)
  })

  it('runs through sudo for a non-root login, and fails in one line when sudo wants a password', async () => {
    const before = shared.snapshot()
    const refused = await enroll([`${NO_SUDO_USER}@127.0.0.1:${shared.port}`], '--sshd-config', shared.configPath, '--sudo', '--accept-new-host-key')
    // The host refuses what fleetctl needs (sudo without a password): exit class 4.
    expect(refused.exitCode).toBe(4)
    expect(refused.report.hosts[0].reason).toMatch(new RegExp(`^sudo on ${NO_SUDO_USER}@127\\.0\\.0\\.1:\\d+ does not run without a password for this login \\(sudo: .*password.*\\)$`))
    expect(shared.snapshot()).toEqual(before)

    const enrolled = await enroll([`${SUDO_USER}@127.0.0.1:${shared.port}`], '--sshd-config', shared.configPath, '--sudo', '--accept-new-host-key')
    expect(enrolled.exitCode, JSON.stringify(enrolled.report)).toBe(0)
    expect(enrolled.report.hosts[0].status).toBe('enrolled')
    expect(readFileSync(shared.configPath, 'utf8')).toContain('# BEGIN fleetctl managed')
  })
})
