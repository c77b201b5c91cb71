import {describe, expect, it} from 'vitest'

import {FleetError} from '../../../src/base/errors.js'
import {
  type Directive,
  type EnrollmentRequest,
  type EnrollmentStrategy,
  type IncludedFile,
  MANAGED_BEGIN,
  MANAGED_END,
  globalDirectives,
  parseSshdConfig,
  planEnrollment,
  planUnenrollment,
  renderPlanDiff,
} from '../../../src/sshd-config/index.js'
import {applyPlannedFiles, loadCorpus} from '../../helpers/sshd-config-corpus.js'

const MAIN = '/etc/ssh/sshd_config'
const DROP_IN = '/etc/ssh/sshd_config.d/50-fleetctl.conf'
const request: EnrollmentRequest = {
  trustedUserCAKeys: '/etc/ssh/fleetctl_user_ca.pub',
  hostKey: '/etc/ssh/fleetctl_host_ed25519_key',
  hostCertificate: '/etc/ssh/fleetctl_host_ed25519_key-cert.pub',
}
const corpus = loadCorpus()
const fixture = (name: string) => {
  const entry = corpus.find((candidate) => candidate.name === name)
  if (!entry) throw new Error(`no fixture ${name}`)
  return entry
}

/** The pretend host: main file plus drop-ins, path -> text. */
function hostFiles(main: string, included: readonly IncludedFile[] = []): Map<string, string> {
  return new Map([[MAIN, main], ...included.map((file): [string, string] => [file.path, file.text])])
}

function includedOn(files: Map<string, string>): IncludedFile[] {
  return [...files].filter(([path]) => path !== MAIN).map(([path, text]) => ({path, text}))
}

function enroll(files: Map<string, string>, extra: Partial<EnrollmentRequest> = {}) {
  const plan = planEnrollment(parseSshdConfig(files.get(MAIN) ?? ''), {...request, includedFiles: includedOn(files), ...extra})
  return {plan, after: applyPlannedFiles(files, plan.files)}
}

function unenroll(files: Map<string, string>) {
  const plan = planUnenrollment(parseSshdConfig(files.get(MAIN) ?? ''), {includedFiles: includedOn(files)})
  return {plan, after: applyPlannedFiles(files, plan.files)}
}

/** Global directives of a file as "Keyword args" strings. */
function globalSettings(text: string): string[] {
  const config = parseSshdConfig(text)
  return config.global.filter((line): line is Directive => line.kind === 'directive').map((line) => `${line.keyword} ${line.args.join(' ')}`)
}

describe('strategy', () => {
  it.each([
    ['debian-12', 'drop-in'],
    ['ubuntu-22.04', 'drop-in'],
    ['rhel-9', 'drop-in'],
    ['cis-hardened', 'drop-in'],
    ['alpine-3.18', 'main-file'],
    ['match-blocks', 'main-file'],
    ['crlf-no-eol', 'main-file'],
    ['tabs-equals-quotes', 'main-file'],
  ])('%s defaults to %s', (name, strategy) => {
    const entry = fixture(name)
    const {plan} = enroll(hostFiles(entry.main, entry.included))
    expect(plan.status).toBe('change')
    expect(plan.strategy).toBe(strategy)
    expect(plan.strategies).toEqual(strategy === 'drop-in' ? ['main-file', 'drop-in'] : ['main-file'])
  })

  it('writes a drop-in holding only the managed block when the main file includes sshd_config.d', () => {
    const entry = fixture('debian-12')
    const {plan} = enroll(hostFiles(entry.main))
    expect(plan.dropInPath).toBe(DROP_IN)
    expect(plan.files).toEqual([
      {
        path: DROP_IN,
        before: null,
        after: [
          MANAGED_BEGIN,
          'TrustedUserCAKeys /etc/ssh/fleetctl_user_ca.pub',
          'HostKey /etc/ssh/fleetctl_host_ed25519_key',
          'HostKey /etc/ssh/ssh_host_rsa_key',
          'HostKey /etc/ssh/ssh_host_ecdsa_key',
          'HostKey /etc/ssh/ssh_host_ed25519_key',
          'HostCertificate /etc/ssh/fleetctl_host_ed25519_key-cert.pub',
          MANAGED_END,
          '',
        ].join('\n'),
      },
    ])
  })

  it('resolves a relative Include against sshDir and honours the drop-in file name', () => {
    const main = 'Include conf.d/*.conf\nUsePAM yes\n'
    const plan = planEnrollment(parseSshdConfig(main), {...request, sshDir: '/srv/etc/ssh/', dropIn: {fileName: '10-fleet.conf'}})
    expect(plan.dropInPath).toBe('/srv/etc/ssh/conf.d/10-fleet.conf')
    expect(plan.files.map((file) => file.path)).toEqual(['/srv/etc/ssh/conf.d/10-fleet.conf'])
  })

  it('does not use an Include that sits inside a Match block or cannot match the drop-in name', () => {
    for (const main of ['Match User x\n  Include /etc/ssh/sshd_config.d/*.conf\n', 'Include /etc/ssh/sshd_config.d/*.cfg\n', 'Include /etc/ssh/extra.conf\n']) {
      const plan = planEnrollment(parseSshdConfig(main), request)
      expect(plan.strategy).toBe('main-file')
      expect(plan.dropInPath).toBeUndefined()
    }
  })

  it('refuses the drop-in strategy with a next step when nothing would read the file', () => {
    const config = parseSshdConfig(fixture('alpine-3.18').main)
    expect(() => planEnrollment(config, {...request, strategy: 'drop-in'})).toThrow(FleetError)
    try {
      planEnrollment(config, {...request, strategy: 'drop-in'})
    } catch (error) {
      expect((error as FleetError).suggestions.join(' ')).toMatch(/Include \/etc\/ssh\/sshd_config\.d\/\*\.conf/)
    }
  })

  it('can be told to use the main file even when a drop-in is possible', () => {
    const entry = fixture('ubuntu-22.04')
    const {plan, after} = enroll(hostFiles(entry.main, entry.included), {strategy: 'main-file'})
    expect(plan.strategy).toBe('main-file')
    expect(plan.files.map((file) => file.path)).toEqual([MAIN])
    expect(after.get(MAIN)?.endsWith(`${MANAGED_END}\n`)).toBe(true)
  })

  it('moves the block when the strategy changes, leaving no copy behind', () => {
    const entry = fixture('debian-12')
    const inMain = enroll(hostFiles(entry.main), {strategy: 'main-file'}).after
    const {plan, after} = enroll(inMain, {strategy: 'drop-in'})
    expect(plan.files.map((file) => file.path)).toEqual([MAIN, DROP_IN])
    expect(after.get(MAIN)).toBe(entry.main)
    expect(after.get(DROP_IN)).toContain(MANAGED_BEGIN)
    // Auto keeps a block where it already is.
    expect(enroll(inMain).plan).toMatchObject({status: 'unchanged', strategy: 'main-file'})
    expect(enroll(after).plan).toMatchObject({status: 'unchanged', strategy: 'drop-in'})
  })
})

describe('placement in the main file', () => {
  it('goes above the first Match and the comment that introduces it', () => {
    const {main} = fixture('match-blocks')
    const {after} = enroll(hostFiles(main))
    const lines = after.get(MAIN)?.split('\n') ?? []
    const begin = lines.indexOf(MANAGED_BEGIN)
    expect(lines[begin - 1]).toBe('')
    expect(lines[lines.indexOf(MANAGED_END) + 1]).toBe('# Deploy robot: commands only, from the CI network.')
    expect(lines[lines.indexOf(MANAGED_END) + 2]).toMatch(/^Match User deploy/)
  })

  for (const entry of corpus) {
    it(`leaves every fleetctl directive in the global section of ${entry.name}`, () => {
      for (const strategy of enroll(hostFiles(entry.main, entry.included)).plan.strategies) {
        const {after} = enroll(hostFiles(entry.main, entry.included), {strategy})
        const target = after.get(strategy === 'drop-in' ? DROP_IN : MAIN) ?? ''
        expect(globalSettings(target)).toEqual(expect.arrayContaining(['TrustedUserCAKeys /etc/ssh/fleetctl_user_ca.pub']))
        expect(globalSettings(target)).toContain('HostCertificate /etc/ssh/fleetctl_host_ed25519_key-cert.pub')
        expect(parseSshdConfig(target).matches.flatMap((block) => block.body).map((line) => line.text)).not.toContain(MANAGED_BEGIN)
      }
    })
  }

  it('appends at the end when there is no Match, giving a newline-less last line its newline', () => {
    const {after} = enroll(hostFiles('Port 22\nUsePAM yes'))
    expect(after.get(MAIN)).toMatch(/^Port 22\nUsePAM yes\n# BEGIN fleetctl managed\n[^]*\n# END fleetctl managed$/)
  })

  it('writes CRLF lines into a CRLF file', () => {
    const {main} = fixture('crlf-no-eol')
    const text = enroll(hostFiles(main)).after.get(MAIN) ?? ''
    expect(text).toContain(`\r\n${MANAGED_BEGIN}\r\nTrustedUserCAKeys /etc/ssh/fleetctl_user_ca.pub\r\n`)
    expect(text.replace(/\r\n/g, '')).not.toContain('\n')
  })

  it('enrolls an empty file', () => {
    const {plan, after} = enroll(hostFiles(''))
    expect(plan.strategy).toBe('main-file')
    expect(after.get(MAIN)?.startsWith(`${MANAGED_BEGIN}\n`)).toBe(true)
    expect(after.get(MAIN)?.endsWith(`${MANAGED_END}\n`)).toBe(true)
  })
})

describe('idempotence and unenrollment', () => {
  for (const entry of corpus) {
    for (const strategy of ['main-file', 'drop-in'] as EnrollmentStrategy[]) {
      const original = hostFiles(entry.main, entry.included)
      if (!enroll(original).plan.strategies.includes(strategy)) continue
      it(`${entry.name} (${strategy}): enrolling twice changes nothing, unenrolling restores every byte`, () => {
        const first = enroll(original, {strategy})
        expect(first.plan.status).toBe('change')
        const second = enroll(first.after, {strategy})
        expect(second.plan).toMatchObject({status: 'unchanged', files: [], conflicts: []})
        expect(enroll(first.after).plan.status).toBe('unchanged')

        const removed = unenroll(first.after)
        expect(removed.plan.status).toBe('change')
        expect(removed.after).toEqual(original)
        expect(unenroll(removed.after).plan).toEqual({status: 'unchanged', files: []})
      })
    }
  }

  it.each([
    ['empty', ''],
    ['a single line without newline', 'Port 22'],
    ['CRLF without final newline', 'Port 22\r\nUsePAM yes'],
    ['only a Match block', 'Match User x\n  X11Forwarding no'],
    ['a final blank line without newline', 'Port 22\n  '],
    ['mixed line endings', 'Port 22\r\nUsePAM yes\nX11Forwarding no\r\n'],
  ])('round-trips %s', (_name, main) => {
    const enrolled = enroll(hostFiles(main)).after
    expect(enrolled.get(MAIN)).not.toBe(main)
    expect(enroll(enrolled).plan.status).toBe('unchanged')
    expect(unenroll(enrolled).after.get(MAIN)).toBe(main)
  })

  it('replaces the block in place when the request changes, never adding a second one', () => {
    const {main} = fixture('match-blocks')
    const enrolled = enroll(hostFiles(main)).after
    const {plan, after} = enroll(enrolled, {trustedUserCAKeys: '/etc/ssh/new_ca.pub'})
    expect(plan.status).toBe('change')
    const text = after.get(MAIN) ?? ''
    expect(text.split(MANAGED_BEGIN)).toHaveLength(2)
    expect(globalSettings(text)).toContain('TrustedUserCAKeys /etc/ssh/new_ca.pub')
    expect(globalSettings(text)).not.toContain('TrustedUserCAKeys /etc/ssh/fleetctl_user_ca.pub')
    expect(unenroll(after).after.get(MAIN)).toBe(main)
  })

  it('keeps administrator lines added inside a drop-in and deletes a drop-in that is only ours', () => {
    const entry = fixture('debian-12')
    const enrolled = enroll(hostFiles(entry.main)).after
    expect(unenroll(enrolled).plan.files).toEqual([{path: DROP_IN, before: enrolled.get(DROP_IN), after: null}])
    enrolled.set(DROP_IN, `# local note\n${enrolled.get(DROP_IN)}`)
    expect(unenroll(enrolled).after.get(DROP_IN)).toBe('# local note\n')
  })

  it('refuses damaged markers and says how to repair them', () => {
    for (const main of [`${MANAGED_BEGIN}\nPort 22\n`, `Port 22\n${MANAGED_END}\n`, `${MANAGED_BEGIN}\n${MANAGED_BEGIN}\n${MANAGED_END}\n`]) {
      expect(() => planEnrollment(parseSshdConfig(main), request)).toThrow(/managed block is damaged/)
      expect(() => planUnenrollment(parseSshdConfig(main))).toThrow(FleetError)
    }
  })
})

describe('conflicts', () => {
  it('reports an earlier TrustedUserCAKeys in the main file with its line and what to do', () => {
    const main = 'Port 22\nTrustedUserCAKeys /etc/ssh/corp_ca.pub\nMatch User x\n  X11Forwarding no\n'
    const plan = planEnrollment(parseSshdConfig(main), request)
    expect(plan.status).toBe('conflict')
    expect(plan.conflicts).toEqual([
      {
        keyword: 'TrustedUserCAKeys',
        path: MAIN,
        line: 2,
        value: '/etc/ssh/corp_ca.pub',
        message: expect.stringMatching(/sshd uses the first value.*Append the fleet user CA public key to \/etc\/ssh\/corp_ca\.pub/),
      },
    ])
  })

  it('reports TrustedUserCAKeys none before ours as something to remove', () => {
    const plan = planEnrollment(parseSshdConfig('TrustedUserCAKeys none\n'), request)
    expect(plan.conflicts).toMatchObject([{line: 1, value: 'none', message: expect.stringMatching(/Remove or comment out that line/)}])
  })

  it('reports a TrustedUserCAKeys in a drop-in read before ours', () => {
    const entry = fixture('ubuntu-22.04')
    const files = hostFiles(entry.main, [...entry.included, {path: '/etc/ssh/sshd_config.d/10-corp.conf', text: '# corp CA\nTrustedUserCAKeys /etc/ssh/corp_ca.pub\n'}])
    const {plan} = enroll(files)
    expect(plan.strategy).toBe('drop-in')
    expect(plan.conflicts).toMatchObject([{keyword: 'TrustedUserCAKeys', path: '/etc/ssh/sshd_config.d/10-corp.conf', line: 2, value: '/etc/ssh/corp_ca.pub'}])
  })

  it('reports a TrustedUserCAKeys that ours would override, since that cuts off its users', () => {
    const entry = fixture('debian-12')
    const main = entry.main.replace('UsePAM yes\n', 'UsePAM yes\nTrustedUserCAKeys /etc/ssh/corp_ca.pub\n')
    const {plan} = enroll(hostFiles(main))
    expect(plan.strategy).toBe('drop-in')
    expect(plan.conflicts).toMatchObject([{path: MAIN, line: 86, value: '/etc/ssh/corp_ca.pub', message: expect.stringMatching(/would override/)}])
    // Same file in the main file strategy: that line now comes first.
    expect(enroll(hostFiles(main), {strategy: 'main-file'}).plan.conflicts).toMatchObject([{line: 86, message: expect.stringMatching(/would be ignored/)}])
  })

  it('is satisfied by an administrator line that already names our CA', () => {
    const plan = planEnrollment(parseSshdConfig('TrustedUserCAKeys "/etc/ssh/fleetctl_user_ca.pub"\nHostKey /etc/ssh/fleetctl_host_ed25519_key\n'), request)
    expect(plan.status).toBe('change')
    expect(plan.conflicts).toEqual([])
    const text = plan.files[0].after ?? ''
    expect(globalDirectives(parseSshdConfig(text), 'TrustedUserCAKeys')).toHaveLength(1)
    expect(globalDirectives(parseSshdConfig(text), 'HostKey')).toHaveLength(1)
  })

  it('warns about a TrustedUserCAKeys inside a Match block without blocking', () => {
    const main = 'Port 22\nMatch Group legacy\n  TrustedUserCAKeys /etc/ssh/legacy_ca.pub\n'
    const plan = planEnrollment(parseSshdConfig(main), request)
    expect(plan.status).toBe('change')
    expect(plan.warnings).toEqual([expect.stringMatching(/sshd_config:3 .*inside a Match block/)])
  })

  it('treats a MaxStartups after ours as a conflict and one before as a warning, since the last one wins', () => {
    const entry = fixture('cis-hardened')
    const files = hostFiles(entry.main, entry.included)
    const dropIn = enroll(files, {maxStartups: '20:30:100'}).plan
    expect(dropIn.strategy).toBe('drop-in')
    expect(dropIn.conflicts).toMatchObject([
      {keyword: 'MaxStartups', path: MAIN, line: 32, value: '10:30:60', message: expect.stringMatching(/sshd uses the last MaxStartups/)},
    ])
    const inMain = enroll(files, {maxStartups: '20:30:100', strategy: 'main-file'}).plan
    expect(inMain.status).toBe('change')
    expect(inMain.warnings).toEqual([expect.stringMatching(/sshd_config:32 sets MaxStartups 10:30:60; sshd uses the last MaxStartups it reads/)])
    expect(inMain.files[0].after).toContain('\nMaxStartups 20:30:100\n')
    // Already the last value: nothing to add.
    const same = enroll(files, {maxStartups: '10:30:60', strategy: 'main-file'}).plan
    expect(same.files[0].after?.match(/MaxStartups/g)).toHaveLength(1)
  })

  it('treats lines after "Match all" as global, and a CA there as replacing ours everywhere', () => {
    const main = 'Port 22\nMatch User x\n  PermitTTY no\nMatch all\nTrustedUserCAKeys /etc/ssh/corp_ca.pub\nMaxStartups 5:30:10\nHostKey /etc/ssh/ssh_host_rsa_key\n'
    const plan = planEnrollment(parseSshdConfig(main), {...request, maxStartups: '20:30:100'})
    expect(plan.conflicts.map((found) => [found.keyword, found.line, found.message.includes('for every connection') || found.message.includes('last')])).toEqual([
      ['TrustedUserCAKeys', 5, true],
      ['MaxStartups', 6, true],
    ])
    // The HostKey after Match all counts, so the default keys are not spelled out.
    expect(globalDirectives(parseSshdConfig(plan.files[0].after ?? ''), 'HostKey').map((line) => line.args[0])).toEqual([request.hostKey])
  })

  it('ends a Match inside a drop-in at the end of that drop-in, as sshd does', () => {
    const entry = fixture('debian-12')
    const main = entry.main.replace('UsePAM yes\n', 'UsePAM yes\nTrustedUserCAKeys /etc/ssh/corp_ca.pub\n')
    const files = hostFiles(main, [{path: '/etc/ssh/sshd_config.d/10-legacy.conf', text: 'Match Group legacy\n  TrustedUserCAKeys /etc/ssh/legacy_ca.pub\n'}])
    const {plan} = enroll(files)
    expect(plan.warnings).toEqual([expect.stringMatching(/^\/etc\/ssh\/sshd_config\.d\/10-legacy\.conf:2 .*inside a Match block/)])
    // The main file's line after the Include is global again, so it is a conflict.
    expect(plan.conflicts).toMatchObject([{path: MAIN, line: 86}])
  })

  it('follows an Include inside a drop-in', () => {
    const entry = fixture('rhel-9')
    const crypto = {path: '/etc/crypto-policies/back-ends/opensshserver.config', text: 'TrustedUserCAKeys /etc/pki/ca.pub\n'}
    const {plan} = enroll(hostFiles(entry.main, [...entry.included, crypto]))
    // 50-redhat.conf sorts after 50-fleetctl.conf, so the policy file is read after ours.
    expect(plan.conflicts).toMatchObject([{path: crypto.path, line: 1, message: expect.stringMatching(/would override/)}])
    const named = enroll(hostFiles(entry.main, [...entry.included, crypto]), {dropIn: {fileName: '90-fleetctl.conf'}}).plan
    expect(named.conflicts).toMatchObject([{path: crypto.path, line: 1, message: expect.stringMatching(/sshd uses the first value/)}])
  })

  it('ignores its own earlier block when checking for conflicts', () => {
    const enrolled = enroll(hostFiles('Port 22\n')).after
    expect(enroll(enrolled, {trustedUserCAKeys: '/etc/ssh/other.pub'}).plan.conflicts).toEqual([])
  })
})

describe('host keys', () => {
  it('keeps existing HostKey lines and adds ours alongside', () => {
    const {main} = fixture('match-blocks')
    const text = enroll(hostFiles(main)).after.get(MAIN) ?? ''
    expect(globalDirectives(parseSshdConfig(text), 'HostKey').map((line) => line.args[0])).toEqual([
      '/etc/ssh/ssh_host_ed25519_key',
      '/etc/ssh/ssh_host_rsa_key',
      '/etc/ssh/fleetctl_host_ed25519_key',
    ])
  })

  it('does not repeat a HostKey or HostCertificate that is already configured', () => {
    const main = 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub\n'
    const plan = planEnrollment(parseSshdConfig(main), {
      ...request,
      hostKey: '/etc/ssh/ssh_host_ed25519_key',
      hostCertificate: '/etc/ssh/ssh_host_ed25519_key-cert.pub',
    })
    expect(plan.files[0].after).toBe(`${main}${MANAGED_BEGIN}\nTrustedUserCAKeys /etc/ssh/fleetctl_user_ca.pub\n${MANAGED_END}\n`)
  })

  it('spells out the default host keys it would otherwise switch off, as the caller lists them', () => {
    const plan = planEnrollment(parseSshdConfig('UsePAM yes\n'), {...request, defaultHostKeys: ['/etc/ssh/ssh_host_ed25519_key', request.hostKey]})
    expect(globalDirectives(parseSshdConfig(plan.files[0].after ?? ''), 'HostKey').map((line) => line.args[0])).toEqual([
      request.hostKey,
      '/etc/ssh/ssh_host_ed25519_key',
    ])
  })

  it('counts HostKey lines in drop-ins', () => {
    const entry = fixture('debian-12')
    const files = hostFiles(entry.main, [{path: '/etc/ssh/sshd_config.d/20-keys.conf', text: 'HostKey /etc/ssh/ssh_host_ed25519_key\n'}])
    const text = enroll(files).after.get(DROP_IN) ?? ''
    expect(globalDirectives(parseSshdConfig(text), 'HostKey').map((line) => line.args[0])).toEqual([request.hostKey])
  })
})

describe('values', () => {
  it('quotes paths with spaces so sshd reads them back whole', () => {
    const spaced = {trustedUserCAKeys: '/etc/ssh/fleet ca/user_ca.pub', hostKey: '/etc/ssh/fleet keys/host', hostCertificate: '/etc/ssh/fleet keys/host-cert.pub'}
    const plan = planEnrollment(parseSshdConfig('Port 22\n'), {...request, ...spaced})
    const text = plan.files[0].after ?? ''
    expect(text).toContain('TrustedUserCAKeys "/etc/ssh/fleet ca/user_ca.pub"\n')
    expect(globalSettings(text)).toEqual(
      expect.arrayContaining([
        'TrustedUserCAKeys /etc/ssh/fleet ca/user_ca.pub',
        'HostKey /etc/ssh/fleet keys/host',
        'HostCertificate /etc/ssh/fleet keys/host-cert.pub',
      ]),
    )
    expect(planEnrollment(parseSshdConfig(text), {...request, ...spaced}).status).toBe('unchanged')
  })

  it('rejects values sshd_config cannot hold', () => {
    expect(() => planEnrollment(parseSshdConfig(''), {...request, trustedUserCAKeys: '/etc/ssh/a\nPermitRootLogin yes'})).toThrow(FleetError)
    expect(() => planEnrollment(parseSshdConfig(''), {...request, hostKey: ''})).toThrow(/non-empty/)
    expect(() => planEnrollment(parseSshdConfig(''), {...request, dropIn: {fileName: '../x.conf'}})).toThrow(/plain file name/)
  })

  it('renders a dry-run diff of every planned file', () => {
    const entry = fixture('match-blocks')
    const enrolled = enroll(hostFiles(entry.main)).after
    const moved = enroll(enrolled, {strategy: 'main-file', trustedUserCAKeys: '/etc/ssh/new.pub'}).plan
    expect(renderPlanDiff(moved)).toContain('-TrustedUserCAKeys /etc/ssh/fleetctl_user_ca.pub\n+TrustedUserCAKeys /etc/ssh/new.pub\n')
    const created = enroll(hostFiles(fixture('debian-12').main)).plan
    expect(renderPlanDiff(created)).toMatch(/^--- \/dev\/null\n\+\+\+ \/etc\/ssh\/sshd_config\.d\/50-fleetctl\.conf\n@@ -0,0 \+1,8 @@\n/)
  })
})
