import {describe, expect, it} from 'vitest'

import {classifySshFailure} from '../../../src/enroll/ssh.js'
import {parseTarget, formatTarget} from '../../../src/enroll/target.js'

describe('parseTarget', () => {
  it.each([
    ['web-1', {host: 'web-1'}],
    ['root@web-1', {host: 'web-1', user: 'root'}],
    ['admin@web-1.example.com:2222', {host: 'web-1.example.com', user: 'admin', port: 2222}],
    ['10.0.0.7:22', {host: '10.0.0.7', port: 22}],
    ['[2001:db8::7]:2222', {host: '2001:db8::7', port: 2222}],
    ['ops@[2001:db8::7]', {host: '2001:db8::7', user: 'ops'}],
    ['2001:db8::7', {host: '2001:db8::7'}],
  ])('%s', (spec, expected) => {
    expect(parseTarget(spec)).toEqual({spec, ...expected})
  })

  it.each(['', 'web-1:ssh', 'web-1:70000', '-oProxyCommand=x', 'a b', 'web;rm', 'us er@web-1', "o'neil@web"])('rejects %j with a reason and a suggestion', (spec) => {
    expect(() => parseTarget(spec)).toThrow(/is not a host to enroll/)
  })

  it('formats back to the same text', () => {
    for (const spec of ['root@web-1:2222', 'web-1', '[2001:db8::7]:2222']) expect(formatTarget(parseTarget(spec))).toBe(spec)
  })
})

describe('classifySshFailure', () => {
  it.each([
    ['ssh: connect to host 127.0.0.1 port 1: Connection refused', 'unreachable'],
    ['ssh: Could not resolve hostname nope: Name or service not known', 'unreachable'],
    ['root@127.0.0.1: Permission denied (publickey).', 'auth_failed'],
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.', 'host_key_unknown'],
    ['@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.', 'host_key_changed'],
    ['kex_exchange_identification: Connection closed by remote host', 'not_ssh'],
    ['banner exchange: Connection to 127.0.0.1 port 80: invalid format', 'not_ssh'],
  ])('%s', (stderr, kind) => {
    const result = classifySshFailure('web-1', `debug1: noise\n${stderr}\n`)
    expect(result.kind).toBe(kind)
    expect(result.reason).not.toContain('\n')
    expect(result.reason).toContain('web-1')
  })
})
