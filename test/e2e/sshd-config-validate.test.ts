import {execa} from 'execa'
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseSshdConfig, planEnrollment} from '../../src/sshd-config/index.js'
import {loadCorpus} from '../helpers/sshd-config-corpus.js'

const SSHD = '/usr/sbin/sshd'
const root = mkdtempSync(join(tmpdir(), 'fleetctl-sshd-config-'))
const keys = join(root, 'keys')
const ROOT_CONNECTION = 'user=root,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=22'
const MAX_STARTUPS = '20:40:200'
const PLACEHOLDER_PATHS = {trustedUserCAKeys: '/ca.pub', hostKey: '/key', hostCertificate: '/key-cert.pub'}
/** Fixtures that name no HostKey, so sshd falls back to its default keys. */
const WITHOUT_HOST_KEYS = new Set(['alpine-3.18', 'debian-12', 'rhel-9', 'ubuntu-22.04'])

async function keygen(...args: string[]): Promise<void> {
  await execa('ssh-keygen', ['-q', ...args])
}

function copyKey(from: string, to: string): void {
  mkdirSync(dirname(to), {recursive: true})
  copyFileSync(from, to)
  chmodSync(to, 0o600)
}

beforeAll(async () => {
  // sshd -t checks its privilege separation directory even when it only validates.
  mkdirSync('/run/sshd', {recursive: true})
  mkdirSync(keys)
  await Promise.all([
    keygen('-t', 'ed25519', '-N', '', '-C', 'user CA', '-f', join(keys, 'user_ca')),
    keygen('-t', 'ed25519', '-N', '', '-C', 'host CA', '-f', join(keys, 'host_ca')),
    keygen('-t', 'ed25519', '-N', '', '-f', join(keys, 'fleet_host_key')),
    keygen('-t', 'rsa', '-b', '2048', '-N', '', '-f', join(keys, 'ssh_host_rsa_key')),
    keygen('-t', 'ecdsa', '-N', '', '-f', join(keys, 'ssh_host_ecdsa_key')),
    keygen('-t', 'ed25519', '-N', '', '-f', join(keys, 'ssh_host_ed25519_key')),
  ])
  await keygen('-s', join(keys, 'host_ca'), '-h', '-I', 'web-1', '-n', 'localhost,web-1', join(keys, 'fleet_host_key.pub'))
})

afterAll(() => rmSync(root, {recursive: true, force: true}))

/**
 * A copy of the fixture's /etc/ssh in `sshDir`, with every /etc/ssh path pointing there so that
 * Include and host key paths resolve, and the keys sshd will load.
 */
function installFixture(sshDir: string, entry: ReturnType<typeof loadCorpus>[number]) {
  const relocate = (text: string) => text.split('/etc/ssh').join(sshDir)
  mkdirSync(join(sshDir, 'sshd_config.d'), {recursive: true})
  const main = relocate(entry.main)
  writeFileSync(join(sshDir, 'sshd_config'), main)
  const includedFiles = entry.included.map((file) => ({path: relocate(file.path), text: relocate(file.text)}))
  for (const file of includedFiles) writeFileSync(file.path, file.text)
  for (const type of ['rsa', 'ecdsa', 'ed25519']) copyKey(join(keys, `ssh_host_${type}_key`), join(sshDir, `ssh_host_${type}_key`))

  // Spaces on purpose: the plan must quote these for sshd to read them whole.
  const paths = {
    trustedUserCAKeys: join(sshDir, 'fleet ca', 'user_ca.pub'),
    hostKey: join(sshDir, 'fleet keys', 'host_ed25519_key'),
    hostCertificate: join(sshDir, 'fleet keys', 'host_ed25519_key-cert.pub'),
  }
  copyKey(join(keys, 'user_ca.pub'), paths.trustedUserCAKeys)
  copyKey(join(keys, 'fleet_host_key'), paths.hostKey)
  copyKey(join(keys, 'fleet_host_key-cert.pub'), paths.hostCertificate)
  return {main, includedFiles, paths}
}

async function sshd(...args: string[]) {
  return execa(SSHD, args, {reject: false})
}

describe.skipIf(!existsSync(SSHD))('planned sshd_config passes the real sshd', () => {
  const corpus = loadCorpus()

  for (const entry of corpus) {
    // Which strategies a fixture allows does not depend on where it is installed.
    const {strategies} = planEnrollment(parseSshdConfig(entry.main), {...PLACEHOLDER_PATHS, includedFiles: entry.included})
    for (const strategy of strategies) {
      it(`${entry.name} (${strategy})`, async () => {
        const sshDir = join(root, `${entry.name}-${strategy}`)
        const {main, includedFiles, paths} = installFixture(sshDir, entry)
        const configPath = join(sshDir, 'sshd_config')

        // The unmodified fixture is valid for this sshd, so any failure below is the plan's.
        const before = await sshd('-t', '-f', configPath)
        expect(before.stderr).toBe('')
        expect(before.exitCode).toBe(0)

        const chosen = planEnrollment(parseSshdConfig(main), {...paths, maxStartups: MAX_STARTUPS, sshDir, configPath, includedFiles, strategy})
        expect(chosen.status).toBe(chosen.conflicts.length > 0 ? 'conflict' : 'change')
        // The only conflict the corpus holds: CIS's MaxStartups read after a drop-in.
        expect(chosen.conflicts.map((found) => found.keyword)).toEqual(
          entry.name === 'cis-hardened' && strategy === 'drop-in' ? ['MaxStartups'] : [],
        )
        for (const file of chosen.files) {
          if (file.after === null) rmSync(file.path)
          else writeFileSync(file.path, file.after)
        }

        const check = await sshd('-t', '-f', configPath)
        expect(check.stderr).toBe('')
        expect(check.exitCode).toBe(0)

        // Also as a user a Match block catches (match-blocks forces a command on deploy), to show
        // the settings are global.
        for (const connection of [ROOT_CONNECTION, 'user=deploy,host=ci,addr=10.20.1.1,laddr=127.0.0.1,lport=22']) {
          const effective = await sshd('-T', '-f', configPath, '-C', connection)
          expect(effective.exitCode).toBe(0)
          const lines = effective.stdout.split('\n')
          expect(lines).toContain(`trustedusercakeys ${paths.trustedUserCAKeys}`)
          expect(lines).toContain(`hostcertificate ${paths.hostCertificate}`)
          expect(lines).toContain(`hostkey ${paths.hostKey}`)
          // sshd agrees with the plan about who wins.
          if (chosen.status === 'conflict') expect(lines).not.toContain(`maxstartups ${MAX_STARTUPS}`)
          else expect(lines).toContain(`maxstartups ${MAX_STARTUPS}`)
        }
        // A first HostKey line turns off sshd's default keys; the plan must have kept them.
        if (WITHOUT_HOST_KEYS.has(entry.name)) {
          const effective = (await sshd('-T', '-f', configPath, '-C', ROOT_CONNECTION)).stdout.split('\n')
          for (const type of ['rsa', 'ecdsa', 'ed25519']) expect(effective).toContain(`hostkey ${join(sshDir, `ssh_host_${type}_key`)}`)
        }
      })
    }
  }

  // Each case is a claim the planner makes about sshd; sshd itself settles it.
  it.each([
    ['a CA before the Include wins over the drop-in', 'TrustedUserCAKeys CORP\nInclude DIR/sshd_config.d/*.conf\n', 'corp'],
    ['a CA after the Include loses to the drop-in', 'Include DIR/sshd_config.d/*.conf\nTrustedUserCAKeys CORP\n', 'ours'],
    ['a CA after "Match all" wins everywhere', 'Include DIR/sshd_config.d/*.conf\nMatch User nobody\n  PermitTTY no\nMatch all\nTrustedUserCAKeys CORP\n', 'corp'],
  ])('%s, and the plan reports it as a conflict', async (_name, template, winner) => {
    const sshDir = join(root, `conflict-${winner}-${template.length}`)
    const {paths} = installFixture(sshDir, {name: 'inline', main: '', included: []})
    const corp = join(sshDir, 'corp_ca.pub')
    copyKey(join(keys, 'host_ca.pub'), corp)
    const main = `HostKey ${join(sshDir, 'ssh_host_ed25519_key')}\n${template.replaceAll('CORP', corp).replaceAll('DIR', sshDir)}`
    const configPath = join(sshDir, 'sshd_config')
    writeFileSync(configPath, main)

    const plan = planEnrollment(parseSshdConfig(main), {...paths, sshDir, configPath})
    expect(plan).toMatchObject({status: 'conflict', strategy: 'drop-in', conflicts: [{keyword: 'TrustedUserCAKeys', value: corp}]})
    for (const file of plan.files) writeFileSync(file.path, file.after ?? '')
    const effective = await sshd('-T', '-f', configPath, '-C', ROOT_CONNECTION)
    expect(effective.stdout.split('\n')).toContain(`trustedusercakeys ${winner === 'corp' ? corp : paths.trustedUserCAKeys}`)
  })
})
