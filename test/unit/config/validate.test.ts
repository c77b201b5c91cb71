import {describe, expect, it} from 'vitest'

import {FleetError} from '../../../src/base/errors.js'
import {checkConfigText, closestKey, parseConfigText} from '../../../src/config/validate.js'

const text = (...lines: string[]) => `${lines.join('\n')}\n`

describe('config.yaml against its schema', () => {
  it('names an unknown key with its line and column, and the key that was meant', () => {
    const {config, problems} = checkConfigText(text('cluster: prod', 'proxy:', '  listen: 127.0.0.1:3023', '  listen_adress: 0.0.0.0:3023'))
    expect(config).toBeUndefined()
    expect(problems).toMatchObject([
      {key: 'proxy.listen_adress', line: 4, column: 3, message: 'unknown key proxy.listen_adress; did you mean proxy.listen?', suggestion: 'proxy.listen'},
    ])
  })

  it('suggests a key from another section when the name exists there', () => {
    const {problems} = checkConfigText(text('proxy:', '  max_sessions_per_user: 5', 'listen: ":22"'))
    expect(problems.map((p) => [p.line, p.column, p.suggestion])).toEqual([
      [2, 3, 'proxy.limits.max_sessions_per_user'],
      [3, 1, 'proxy.listen'],
    ])
  })

  it('finds a key with a dot in its name at its own line', () => {
    const {problems} = checkConfigText(text('proxy:', '  limits: {}', '  "limits.max_startups": 5'))
    expect(problems).toMatchObject([{key: 'proxy."limits.max_startups"', path: ['proxy', 'limits.max_startups'], line: 3, column: 3}])
  })

  it('offers no suggestion for a key close to nothing', () => {
    const {problems} = checkConfigText(text('proxy:', '  limits:', '    colour: blue'))
    expect(problems).toEqual([{key: 'proxy.limits.colour', path: ['proxy', 'limits', 'colour'], unknownKey: true, line: 3, column: 5, message: 'unknown key proxy.limits.colour'}])
  })

  it('says what a wrongly typed value should be, at the value', () => {
    const {problems} = checkConfigText(
      text('proxy:', '  shutdown_grace_seconds: soon', '  checks_host_keys: maybe', '  ciphers: slow', '  limits:', '    max_startups: "10:30"', '    max_sessions_per_user: 2.5'),
    )
    expect(problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual([
      '2:27: proxy.shutdown_grace_seconds is "soon"; expected a positive number of seconds',
      '3:21: proxy.checks_host_keys is "maybe"; expected yes or no',
      '4:12: proxy.ciphers is "slow"; expected fast or compatible',
      '6:19: proxy.limits.max_startups is "10:30"; expected start:rate:full (e.g. 10:30:100: rate a percentage, full at least start) or one number',
      '7:28: proxy.limits.max_sessions_per_user is 2.5; expected a positive whole number',
    ])
  })

  it('refuses a section that is not a mapping, and a file that is not one', () => {
    expect(checkConfigText('proxy: [1]\n').problems).toMatchObject([{key: 'proxy', line: 1, column: 8, message: 'proxy is a list; expected a mapping'}])
    expect(checkConfigText('- a\n').problems).toMatchObject([{key: '', line: 1, column: 1, message: 'the file is a list; expected a mapping'}])
  })

  it('reports YAML errors with their line', () => {
    expect(checkConfigText(text('cluster: a', 'cluster: b')).problems).toMatchObject([{key: '', line: 2, column: 1, message: 'not valid YAML: Map keys must be unique'}])
  })

  it('accepts every key people write, YAML words for booleans, and a key left empty (its default)', () => {
    const {config, problems} = checkConfigText(
      text(
        'cluster: prod',
        'proxy_addr: proxy.example.com:3023',
        'ssh_hosts: "*.prod"',
        'proxy_checks_host_keys: no',
        'proxy:',
        '  listen: "[::1]:3023"',
        '  web_listen: off',
        '  public_addr: [proxy.example.com, bastion]',
        '  checks_host_keys: yes',
        '  record_non_pty_bytes: on',
        '  ciphers: compatible',
        '  shutdown_grace_seconds: 1.5',
        '  host_certificate_ttl_seconds: 600',
        '  tls_cert:',
        '  max_startups: 5',
        '  limits:',
        '    max_startups: "10:30:100"',
        '    login_grace_seconds: 10',
        '    max_sessions_per_connection: 3',
        '    max_sessions_per_user: 4',
      ),
    )
    expect(problems).toEqual([])
    expect(config?.proxy?.ciphers).toBe('compatible')
    expect(config?.proxy).not.toHaveProperty('tls_cert')
  })

  it('throws one usage error listing file:line:column for each problem, with the renames to make', () => {
    let error: unknown
    try {
      parseConfigText(text('proxy:', '  listen_adress: x', '  ciphers: slow'), '/etc/fleet/config.yaml')
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(FleetError)
    const fleetError = error as FleetError
    expect(fleetError).toMatchObject({code: 'config_invalid', exitCode: 2})
    expect(fleetError.message).toBe(
      [
        '/etc/fleet/config.yaml has 2 problems:',
        '/etc/fleet/config.yaml:2:3: unknown key proxy.listen_adress; did you mean proxy.listen?',
        '/etc/fleet/config.yaml:3:12: proxy.ciphers is "slow"; expected fast or compatible',
      ].join('\n'),
    )
    expect(fleetError.suggestions[0]).toBe('Replace proxy.listen_adress with proxy.listen (line 2).')
    expect(fleetError.suggestions.at(-1)).toContain('fleetctl proxy start --help')
  })

  it('finds the closest key by spelling, case and dashes included', () => {
    expect(closestKey('Listen', ['proxy'])).toBe('proxy.listen')
    expect(closestKey('web-listen', ['proxy'])).toBe('proxy.web_listen')
    expect(closestKey('shutdown_grace', ['proxy'])).toBe('proxy.shutdown_grace_seconds')
    expect(closestKey('clustr', [])).toBe('cluster')
    expect(closestKey('zzz', [])).toBeUndefined()
  })
})
