import {describe, expect, it} from 'vitest'

import {roleFromDocument, formatTtl} from '../../../src/identity/role-file.js'
import {BUILTIN_ROLES, capTtl, checkHostAccess, evaluateAccess, globMatch, resolveRoles, roleLogins} from '../../../src/identity/roles.js'
import type {Role} from '../../../src/identity/types.js'

const role = (fields: Partial<Role> & {name: string}): Role => ({agentForwarding: false, groups: [], hosts: [], logins: [], maxTtlSeconds: 8 * 3600, permitPty: true, portForwarding: false, ...fields})

const dev = role({agentForwarding: true, hosts: ['web-*', '*.stage.example.com'], logins: ['{{user}}', 'deploy'], name: 'dev'})
const dba = role({groups: ['db'], logins: ['postgres'], maxTtlSeconds: 3600, name: 'dba', permitPty: false, portForwarding: true})

describe('role evaluation', () => {
  it('expands {{user}} and drops logins that are not valid account names', () => {
    expect(roleLogins(dev, 'joe')).toEqual(['joe', 'deploy'])
    expect(roleLogins(role({logins: ['{{user}}'], name: 'x'}), 'bad name')).toEqual([])
  })

  it('unions logins and permissions, and caps the lifetime at the smallest cap of the roles that grant logins', () => {
    const access = evaluateAccess({name: 'joe'}, [dev, dba, BUILTIN_ROLES.find((r) => r.name === 'auditor')!])
    expect(access.principals).toEqual(['deploy', 'joe', 'postgres'])
    expect(access.maxTtlSeconds).toBe(3600)
    expect(access.ttlRole).toBe('dba')
    expect(access.extensions).toEqual({'permit-agent-forwarding': '', 'permit-port-forwarding': '', 'permit-pty': ''})
    expect(access.roles).toEqual(['dev', 'dba', 'auditor'])
  })

  it('gives an auditor no principals (a certificate without principals would be valid for every login)', () => {
    const access = evaluateAccess({name: 'ann'}, [BUILTIN_ROLES.find((r) => r.name === 'auditor')!])
    expect(access.principals).toEqual([])
    expect(access.extensions).toEqual({})
  })

  it('caps a requested TTL and says so', () => {
    expect(capTtl(72 * 3600, 8 * 3600)).toEqual({capped: true, ttlSeconds: 8 * 3600})
    expect(capTtl(3600, 8 * 3600)).toEqual({capped: false, ttlSeconds: 3600})
    expect(capTtl(undefined, 8 * 3600)).toEqual({capped: false, ttlSeconds: 8 * 3600})
  })

  it('matches host globs on whole, case-insensitive names', () => {
    expect(globMatch('web-*', 'web-1')).toBe(true)
    expect(globMatch('web-*', 'WEB-12')).toBe(true)
    expect(globMatch('web-?', 'web-12')).toBe(false)
    expect(globMatch('*.stage.example.com', 'a.stage.example.com')).toBe(true)
    expect(globMatch('*.stage.example.com', 'stage.example.com.evil')).toBe(false)
    expect(globMatch('db.1', 'dbx1')).toBe(false)
  })

  it('allows a host and login when one role grants both, and names the roles when it refuses', () => {
    expect(checkHostAccess({name: 'joe'}, [dev, dba], 'web-1', 'joe')).toEqual({allowed: true, role: 'dev'})
    expect(checkHostAccess({name: 'joe'}, [dev, dba], 'db-1', 'postgres', ['db'])).toEqual({allowed: true, role: 'dba'})
    const host = checkHostAccess({name: 'joe'}, [dev, dba], 'mail-1', 'joe')
    expect(host).toEqual({allowed: false, reason: 'host mail-1 is not in any of your roles (dev, dba)'})
    const login = checkHostAccess({name: 'joe'}, [dev, dba], 'web-1', 'postgres')
    expect(login.allowed).toBe(false)
    expect(!login.allowed && login.reason).toMatch(/login postgres on web-1 is not allowed by your roles \(dev reach the host with joe, deploy\)/)
  })

  it('resolves built-in and stored roles and reports missing ones', () => {
    expect(resolveRoles(['admin', 'dev', 'nope'], [dev])).toEqual({missing: ['nope'], roles: [BUILTIN_ROLES[0], dev]})
  })
})

describe('role documents', () => {
  it('reads the YAML shape with defaults', () => {
    expect(roleFromDocument({hosts: ['web-*'], logins: ['{{user}}'], max_ttl: '8h', name: 'dev'})).toEqual({
      agentForwarding: true,
      description: undefined,
      groups: [],
      hosts: ['web-*'],
      logins: ['{{user}}'],
      maxTtlSeconds: 8 * 3600,
      name: 'dev',
      permitPty: true,
      portForwarding: false,
    })
  })

  it('names the field that is wrong', () => {
    expect(() => roleFromDocument({logins: 'root', name: 'x'})).toThrow(/`logins` must be a list/)
    expect(() => roleFromDocument({max_ttl: 'soon', name: 'x'})).toThrow(/`max_ttl`/)
    expect(() => roleFromDocument({name: 'x', ttl: '8h'})).toThrow(/unknown key "ttl"/)
    expect(() => roleFromDocument({logins: ['root;rm'], name: 'x'})).toThrow(/login "root;rm"/)
    expect(() => roleFromDocument({name: '../x'})).toThrow(/`name`/)
  })

  it('formats TTLs exactly', () => {
    expect(formatTtl(8 * 3600)).toBe('8h')
    expect(formatTtl(5400)).toBe('1h30m')
  })
})
