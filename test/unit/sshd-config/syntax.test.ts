import {describe, expect, it} from 'vitest'

import {
  type Directive,
  firstGlobalDirective,
  formatArgument,
  formatDirective,
  globalDirectives,
  globalValue,
  globMatches,
  includeReferences,
  parseSshdConfig,
  renderSshdConfig,
} from '../../../src/sshd-config/index.js'
import {parseLine, splitArguments} from '../../../src/sshd-config/syntax.js'
import {loadCorpus} from '../../helpers/sshd-config-corpus.js'

const corpus = loadCorpus()
const fixture = (name: string) => {
  const entry = corpus.find((candidate) => candidate.name === name)
  if (!entry) throw new Error(`no fixture ${name}`)
  return entry
}
const directive = (text: string) => parseLine(text, '\n', 1) as Directive

describe('parse and render', () => {
  it('has the whole golden corpus', () => {
    expect(corpus.map((entry) => entry.name)).toEqual([
      'alpine-3.18',
      'cis-hardened',
      'crlf-no-eol',
      'debian-12',
      'match-blocks',
      'rhel-9',
      'tabs-equals-quotes',
      'ubuntu-22.04',
    ])
  })

  for (const entry of corpus) {
    it(`renders ${entry.name} back byte for byte`, () => {
      for (const text of [entry.main, ...entry.included.map((file) => file.text)]) {
        expect(renderSshdConfig(parseSshdConfig(text))).toBe(text)
      }
    })
  }

  it('kept the CRLF fixture as CRLF without a final newline (git must not normalise it)', () => {
    const {main} = fixture('crlf-no-eol')
    expect(main.split('\r\n').length).toBeGreaterThan(10)
    expect(main.replace(/\r\n/g, '')).not.toContain('\n')
    expect(main.endsWith('backup-receive')).toBe(true)
  })

  it.each([
    ['empty', ''],
    ['one newline', '\n'],
    ['no final newline', 'Port 22'],
    ['blank CRLF lines', '\r\n\r\n'],
    ['mixed endings', 'Port 22\r\nUsePAM yes\n#c\r\n'],
    ['lone CR inside a line', 'Banner /a\rb\n'],
    ['final CR without LF', 'Port 22\r'],
    ['form feed and trailing blanks', 'Port 22 \t\f\n\f\n'],
    ['byte order mark', '\ufeffPort 22\n'],
    ['unterminated quote', 'Banner "/etc/issue\n'],
  ])('round-trips %s', (_name, text) => {
    expect(renderSshdConfig(parseSshdConfig(text))).toBe(text)
  })
})

describe('lines', () => {
  it('tells blanks, comments and directives apart like sshd', () => {
    expect(parseLine(' \t', '\n', 1).kind).toBe('blank')
    expect(parseLine('  # Port 2222', '\n', 1).kind).toBe('comment')
    expect(parseLine('#Match User anoncvs', '\n', 1).kind).toBe('comment')
    expect(directive('\tPort 22').kind).toBe('directive')
  })

  it.each([
    ['Port 22', 'Port', ['22']],
    ['Port=22', 'Port', ['22']],
    ['Port = 22', 'Port', ['22']],
    ['Port =22   ', 'Port', ['22']],
    ['  HostKey\t\t/etc/ssh/key\t', 'HostKey', ['/etc/ssh/key']],
    ['LOGLEVEL VERBOSE # why', 'LOGLEVEL', ['VERBOSE']],
    ['AcceptEnv="LANG" LC_*', 'AcceptEnv', ['LANG', 'LC_*']],
    ['Banner "/etc/ssh/banner text.txt"', 'Banner', ['/etc/ssh/banner text.txt']],
    ['Banner /etc/a\\ b', 'Banner', ['/etc/a b']],
    ['ForceCommand echo \'only "quoted" output\'', 'ForceCommand', ['echo', 'only "quoted" output']],
    ['TrustedUserCAKeys "a\\"b\\\\c"', 'TrustedUserCAKeys', ['a"b\\c']],
    ['AuthorizedKeysFile .ssh/keys#1', 'AuthorizedKeysFile', ['.ssh/keys#1']],
    ['Match User "ci runner"', 'Match', ['User', 'ci runner']],
  ])('reads %j', (text, keyword, args) => {
    const line = directive(text)
    expect(line.keyword).toBe(keyword)
    expect(line.args).toEqual(args)
  })

  it.each(['/etc/ssh/ca.pub', '/etc/ssh/fleet ca/user ca.pub', 'a"b', 'back\\slash', '#hash', '', "it's", 'tab\there'])(
    'quotes %j so sshd reads it back unchanged',
    (value) => {
      expect(splitArguments(formatArgument(value))).toEqual([value])
    },
  )

  it('leaves plain values unquoted and refuses line breaks', () => {
    expect(formatDirective('TrustedUserCAKeys', ['/etc/ssh/ca.pub'])).toBe('TrustedUserCAKeys /etc/ssh/ca.pub')
    expect(formatDirective('HostKey', ['/etc/ssh/my key'])).toBe('HostKey "/etc/ssh/my key"')
    expect(() => formatArgument('a\nb')).toThrow(/line break/)
  })
})

describe('the tree', () => {
  it('starts a Match block at each Match line and runs it to the next one', () => {
    const config = parseSshdConfig(fixture('match-blocks').main)
    expect(config.matches.map((block) => block.header.args.join(' '))).toEqual([
      'User deploy Address 10.20.0.0/16',
      'Group sftponly',
      'Address 192.168.0.0/16,172.16.0.0/12 User !root',
      'LocalPort 2222',
      'all',
    ])
    expect(config.matches[0].header.line).toBe(14)
    expect(config.matches[1].body.filter((line) => line.kind === 'directive').map((line) => (line as Directive).keyword)).toEqual([
      'ChrootDirectory',
      'ForceCommand',
      'AllowTcpForwarding',
      'X11Forwarding',
    ])
    expect(config.matches[4].body).toEqual([])
    // The comment that introduces the first Match is still part of the global section.
    expect(config.global.at(-1)).toMatchObject({kind: 'comment', line: 13})
  })

  it('treats keywords case-insensitively, Match included', () => {
    const config = parseSshdConfig('hostkey /a\nHOSTKEY /b\nmatch user x\nHostKey /c\n')
    expect(globalDirectives(config, 'HostKey').map((line) => line.args[0])).toEqual(['/a', '/b'])
    expect(config.matches).toHaveLength(1)
  })

  it('looks up the first global value and ignores Match bodies', () => {
    const config = parseSshdConfig(fixture('match-blocks').main)
    expect(globalValue(config, 'passwordauthentication')).toEqual(['no'])
    expect(globalValue(config, 'ForceCommand')).toBeUndefined()
    expect(globalValue(config, 'Subsystem')).toEqual(['sftp', 'internal-sftp'])
    expect(firstGlobalDirective(parseSshdConfig(fixture('tabs-equals-quotes').main), 'hostkey')).toMatchObject({
      line: 5,
      args: ['/etc/ssh/ssh_host_ed25519_key'],
    })
    expect(globalValue(parseSshdConfig(fixture('debian-12').main), 'MaxStartups')).toBeUndefined()
  })

  it('lists Include patterns with their line and Match', () => {
    expect(includeReferences(parseSshdConfig(fixture('debian-12').main))).toMatchObject([
      {patterns: ['/etc/ssh/sshd_config.d/*.conf'], line: 12},
    ])
    expect(includeReferences(parseSshdConfig(fixture('rhel-9').main))[0].line).toBe(15)
    expect(includeReferences(parseSshdConfig(fixture('alpine-3.18').main))).toEqual([])
    const nested = includeReferences(parseSshdConfig('Include a.conf b/*.conf\nMatch User x\n  Include x.conf\n'))
    expect(nested.map((reference) => [reference.patterns, reference.line, reference.match?.args])).toEqual([
      [['a.conf', 'b/*.conf'], 1, undefined],
      [['x.conf'], 3, ['User', 'x']],
    ])
  })
})

describe('glob matching for Include', () => {
  it.each([
    ['/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/sshd_config.d/50-fleetctl.conf', true],
    ['/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/sshd_config.d/50-fleetctl.conf.bak', false],
    ['/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/sshd_config.d/sub/x.conf', false],
    ['/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/sshd_config.d/.hidden.conf', false],
    ['/etc/ssh/sshd_config.d/*', '/etc/ssh/sshd_config.d/50-fleetctl.conf', true],
    ['/etc/ssh/conf.d/[0-4]?-*.conf', '/etc/ssh/conf.d/50-fleetctl.conf', false],
    ['/etc/ssh/conf.d/[!0-4]?-*.conf', '/etc/ssh/conf.d/50-fleetctl.conf', true],
    ['/etc/ssh/extra.conf', '/etc/ssh/extra.conf', true],
    ['/etc/ssh/extra.conf', '/etc/ssh/extraXconf', false],
  ])('%s against %s is %s', (pattern, path, expected) => {
    expect(globMatches(pattern, path)).toBe(expected)
  })
})
