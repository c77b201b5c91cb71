import {statSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {hashPassword, verifyPassword} from '../../../src/identity/password.js'
import {FileIdentityStore} from '../../../src/identity/store.js'
import {LoginThrottle} from '../../../src/identity/throttle.js'
import {decodeTicket, encodeTicket, tokenId} from '../../../src/identity/token.js'
import {checkTotp, newTotpSecret, totpCode, totpUri} from '../../../src/identity/totp.js'
import type {User} from '../../../src/identity/types.js'
import {tmpDir} from '../../helpers/tmp.js'

const tmp = tmpDir('fleetctl-identity-')
afterAll(() => tmp.remove())

describe('passwords', () => {
  it('hashes with scrypt, a per-user salt and the parameters recorded, and checks', async () => {
    const a = await hashPassword('correct horse battery')
    const b = await hashPassword('correct horse battery')
    expect(a).toMatchObject({N: 32_768, algorithm: 'scrypt', keyLength: 32, p: 1, r: 8})
    expect(a.salt).not.toBe(b.salt)
    expect(a.hash).not.toBe(b.hash)
    expect(JSON.stringify(a)).not.toContain('horse')
    expect(await verifyPassword(a, 'correct horse battery')).toBe(true)
    expect(await verifyPassword(a, 'correct horse batterY')).toBe(false)
    expect(await verifyPassword(undefined, 'correct horse battery')).toBe(false)
  })
})

describe('TOTP', () => {
  it('accepts the current code once and refuses it (and older ones) after that', async () => {
    const secret = newTotpSecret()
    const now = 1_800_000_000
    const code = await totpCode(secret, now)
    const first = await checkTotp(secret, code, undefined, now)
    expect(first).toEqual({ok: true, step: Math.floor(now / 30)})
    expect(await checkTotp(secret, code, first.ok ? first.step : 0, now + 5)).toEqual({ok: false, reason: 'totp_replayed'})
    const previous = await totpCode(secret, now - 30)
    expect(await checkTotp(secret, previous, first.ok ? first.step : 0, now)).toEqual({ok: false, reason: 'totp_replayed'})
    const next = await totpCode(secret, now + 30)
    expect(await checkTotp(secret, next, first.ok ? first.step : 0, now + 30)).toEqual({ok: true, step: Math.floor(now / 30) + 1})
  })

  it('refuses a wrong or far-off code', async () => {
    const secret = newTotpSecret()
    const now = 1_800_000_000
    expect(await checkTotp(secret, '12345', undefined, now)).toEqual({ok: false, reason: 'totp_invalid'})
    expect(await checkTotp(secret, await totpCode(secret, now - 600), undefined, now)).toEqual({ok: false, reason: 'totp_invalid'})
  })

  it('makes an otpauth URI for apps', () => {
    expect(totpUri({issuer: 'fleetctl prod', secret: 'JBSWY3DPEHPK3PXP', user: 'joe'})).toMatch(/^otpauth:\/\/totp\/.*joe\?.*secret=JBSWY3DPEHPK3PXP/)
  })
})

describe('login throttle', () => {
  it('locks a name out after 20 failures, for the lockout period, and counts unknown names the same', () => {
    let now = 1000
    const throttle = new LoginThrottle({lockoutSeconds: 600, maxFailuresPerAddress: 100, maxFailuresPerUser: 20, windowSeconds: 900}, () => now)
    for (let i = 0; i < 19; i++) throttle.fail('joe', `10.0.0.${i}`)
    expect(throttle.lockedOut('joe', '10.0.0.200')).toBeUndefined()
    throttle.fail('joe', '10.0.0.99')
    expect(throttle.lockedOut('joe', '10.0.0.200')).toEqual({until: 1600})
    expect(throttle.lockedOut('ann', '10.0.0.200')).toBeUndefined()
    now = 1601
    expect(throttle.lockedOut('joe', '10.0.0.200')).toBeUndefined()
  })

  it('locks a source address out across names', () => {
    const throttle = new LoginThrottle({lockoutSeconds: 600, maxFailuresPerAddress: 5, maxFailuresPerUser: 20, windowSeconds: 900}, () => 1000)
    for (let i = 0; i < 5; i++) throttle.fail(`user${i}`, '192.0.2.1')
    expect(throttle.lockedOut('anyone', '192.0.2.1')).toEqual({until: 1600})
    expect(throttle.lockedOut('anyone', '192.0.2.2')).toBeUndefined()
  })

  it('forgets a name\'s failures after a success', () => {
    const throttle = new LoginThrottle({lockoutSeconds: 600, maxFailuresPerAddress: 100, maxFailuresPerUser: 3, windowSeconds: 900}, () => 1000)
    throttle.fail('joe', 'a')
    throttle.fail('joe', 'a')
    throttle.succeed('joe')
    throttle.fail('joe', 'a')
    expect(throttle.lockedOut('joe', 'b')).toBeUndefined()
  })
})

describe('enrolment tickets', () => {
  it('round-trips and pins the web certificate fingerprint', () => {
    const ticket = {fingerprint: 'ab'.repeat(32), proxy: 'proxy.example.com:3080', secret: 's3cret', user: 'joe'}
    const text = encodeTicket(ticket)
    expect(text.startsWith('fleetctl-enrol-v1.')).toBe(true)
    expect(decodeTicket(` ${text}\n`)).toEqual(ticket)
    expect(() => decodeTicket('hello')).toThrow(/not a fleetctl enrolment token/)
    expect(tokenId('s3cret')).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('the file identity store', () => {
  const user = (name: string): User => ({createdAt: '2026-01-01T00:00:00Z', name, roles: ['dev'], sshKeys: [], updatedAt: '2026-01-01T00:00:00Z'})

  it('keeps records 0600 in 0700 folders, refuses duplicate users and path tricks', async () => {
    const store = new FileIdentityStore(join(tmp.dir('store'), 'identity'))
    await store.createUser(user('joe'))
    await expect(store.createUser(user('joe'))).rejects.toThrow(/already exists/)
    await expect(store.createUser(user('../evil'))).rejects.toThrow(/user name/)
    expect(statSync(join(store.dir, 'users', 'joe.json')).mode & 0o777).toBe(0o600)
    expect(statSync(join(store.dir, 'users')).mode & 0o777).toBe(0o700)
    expect(statSync(store.dir).mode & 0o777).toBe(0o700)
    expect(await store.getUser('../joe')).toBeUndefined()
    expect((await store.listUsers()).map((u) => u.name)).toEqual(['joe'])
  })

  it('serializes read-modify-write of one user', async () => {
    const store = new FileIdentityStore(join(tmp.dir('store2'), 'identity'))
    await store.createUser(user('joe'))
    await Promise.all(Array.from({length: 10}, (_, i) => store.updateUser('joe', (u) => ({...u, roles: [...u.roles, `r${i}`]}))))
    expect((await store.getUser('joe'))!.roles).toHaveLength(11)
    expect(await store.updateUser('nobody', (u) => u)).toBeUndefined()
  })

  it('hands a token out once', async () => {
    const store = new FileIdentityStore(join(tmp.dir('store3'), 'identity'))
    const id = tokenId('secret')
    await store.putToken({createdAt: 'x', expiresAt: 'y', id, user: 'joe'})
    const taken = await Promise.all([store.takeToken(id), store.takeToken(id), store.takeToken(id)])
    expect(taken.filter(Boolean)).toHaveLength(1)
    expect(await store.takeToken(id)).toBeUndefined()
  })
})
