import {describe, expect, it} from 'vitest'

import {parseProxyAddress, renderClientBlock, sampleHostFor, spliceManagedBlock} from '../../../src/ssh-config/render.js'

const block = renderClientBlock({
  cluster: 'example.com',
  hostPatterns: ['*.example.com'],
  knownHostsFile: '/home/joe/.fleetctl/known_hosts',
  proxy: {host: 'proxy.example.com', port: 3023},
})

describe('the ssh_config block', () => {
  it('gives the proxy ForwardAgent and sends fleet hosts through it', () => {
    expect(block).toContain('Host proxy.example.com\n    Port 3023\n    ForwardAgent yes\n')
    expect(block).toContain('Host *.example.com !proxy.example.com\n    ProxyJump proxy.example.com\n    ForwardAgent yes\n')
    expect(block.match(/StrictHostKeyChecking yes/g)).toHaveLength(2)
    expect(block.trimEnd().split('\n').at(-2)).toBe('Host *')
  })

  it('quotes a known_hosts path with spaces', () => {
    const spaced = renderClientBlock({cluster: 'c', hostPatterns: ['web-*'], knownHostsFile: '/a b/known_hosts', proxy: {host: 'p', port: 22}})
    expect(spaced).toContain('UserKnownHostsFile "/a b/known_hosts"')
  })

  it('parses proxy addresses', () => {
    expect(parseProxyAddress('proxy.example.com')).toEqual({host: 'proxy.example.com', port: 3023})
    expect(parseProxyAddress('10.0.0.1:2222')).toEqual({host: '10.0.0.1', port: 2222})
    expect(parseProxyAddress('[::1]:3023')).toEqual({host: '::1', port: 3023})
    expect(() => parseProxyAddress('a:99999')).toThrow(/not a proxy address/)
  })

  it('derives a host that a pattern matches', () => {
    expect(sampleHostFor('*.example.com')).toBe('fleetctl-check.example.com')
  })
})

describe('splicing the block into a config', () => {
  const existing = 'Host *\n    ServerAliveInterval 30\n'

  it('goes on top of a file without a block, keeping every byte after it', () => {
    const out = spliceManagedBlock(existing, block)
    expect(out.startsWith(block)).toBe(true)
    expect(out.endsWith(`\n${existing}`)).toBe(true)
  })

  it('replaces an earlier block in place and is idempotent', () => {
    const before = `# mine\n${block}Host old\n  User x`
    const changed = block.replace('3023', '4000')
    const out = spliceManagedBlock(before, changed)
    expect(out).toBe(`# mine\n${changed}Host old\n  User x`)
    expect(spliceManagedBlock(out, changed)).toBe(out)
  })

  it('refuses unbalanced markers', () => {
    expect(() => spliceManagedBlock('# BEGIN fleetctl x\nHost a\n', block)).toThrow(/without/)
    expect(() => spliceManagedBlock('# END fleetctl\n', block)).toThrow(/without/)
  })
})
