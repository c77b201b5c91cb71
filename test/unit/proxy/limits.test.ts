import {describe, expect, it} from 'vitest'

import {parseListenAddress, parseMaxStartups, resolveProxyConfig} from '../../../src/proxy/config.js'
import {sourceAddressAllows} from '../../../src/proxy/context.js'
import {SessionCounter, StartupLimiter} from '../../../src/proxy/limits.js'

describe('StartupLimiter (MaxStartups start:rate:full)', () => {
  it('admits up to start, drops with rising probability, and always at full', () => {
    const limiter = new StartupLimiter({start: 2, rate: 50, full: 4}, () => 0.6)
    const admitted = [limiter.admit(), limiter.admit()]
    expect(admitted.every(Boolean)).toBe(true)
    // 2 pending: chance 50% < 60 -> admitted; 3 pending: chance 75% > 60 -> dropped.
    const third = limiter.admit()
    expect(third).toBeDefined()
    expect(limiter.admit()).toBeUndefined()
    third!()
    third!()
    expect(limiter.unauthenticated).toBe(2)
    const always = new StartupLimiter({start: 1, rate: 0, full: 1}, () => 0.99)
    expect(always.admit()).toBeDefined()
    expect(always.admit()).toBeUndefined()
  })

  it('caps sessions per key and releases once', () => {
    const counter = new SessionCounter(1)
    const release = counter.acquire('alice')
    expect(counter.acquire('alice')).toBeUndefined()
    expect(counter.acquire('bob')).toBeDefined()
    release!()
    release!()
    expect(counter.count('alice')).toBe(0)
  })
})

describe('proxy config', () => {
  it('parses listen addresses and max_startups, and refuses bad ones', () => {
    expect(parseListenAddress('0.0.0.0:3023', 'x')).toEqual({host: '0.0.0.0', port: 3023})
    expect(parseListenAddress('[::1]:22', 'x')).toEqual({host: '::1', port: 22})
    expect(parseListenAddress(':3080', 'x')).toEqual({host: '0.0.0.0', port: 3080})
    expect(() => parseListenAddress('3023', '--listen')).toThrow(/--listen: "3023" is not host:port/)
    expect(parseMaxStartups('10:30:100')).toEqual({start: 10, rate: 30, full: 100})
    expect(parseMaxStartups('5')).toEqual({start: 5, rate: 100, full: 5})
    expect(() => parseMaxStartups('10:30')).toThrow(/max_startups/)
  })

  it('reads proxy_checks_host_keys: no (a YAML string) and lets flags win', () => {
    expect(resolveProxyConfig('/h', {proxy_checks_host_keys: 'no'}, {}).checksHostKeys).toBe(false)
    expect(resolveProxyConfig('/h', {proxy_checks_host_keys: 'no'}, {checksHostKeys: true}).checksHostKeys).toBe(true)
    expect(resolveProxyConfig('/h', {}, {}).checksHostKeys).toBe(true)
    expect(resolveProxyConfig('/h', {proxy: {web_listen: 'off', limits: {max_sessions_per_user: 5}}}, {}).webListen).toBeUndefined()
    expect(resolveProxyConfig('/h', {proxy: {limits: {max_sessions_per_user: 5}}}, {}).limits.maxSessionsPerUser).toBe(5)
    expect(() => resolveProxyConfig('/h', {proxy: {checks_host_keys: 'maybe'}}, {})).toThrow(/proxy.checks_host_keys is "maybe"; expected yes or no/)
  })
})

describe('source-address', () => {
  it('matches addresses and CIDRs, IPv4-mapped IPv6 included', () => {
    expect(sourceAddressAllows('10.0.0.0/8,192.168.1.7', '10.1.2.3')).toBe(true)
    expect(sourceAddressAllows('10.0.0.0/8,192.168.1.7', '::ffff:192.168.1.7')).toBe(true)
    expect(sourceAddressAllows('10.0.0.0/8', '11.0.0.1')).toBe(false)
    expect(sourceAddressAllows('::1', '::1')).toBe(true)
    expect(sourceAddressAllows('garbage', '10.0.0.1')).toBe(false)
  })
})
