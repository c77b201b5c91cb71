import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, describe, expect, it} from 'vitest'

import {formatPublicKey, generateKey, parseCertificateLine, parsePublicKey} from '../../../src/certs/index.js'
import {hashPassword} from '../../../src/identity/password.js'
import {PROOF_NAMESPACE, proofPayload} from '../../../src/identity/proof.js'
import {GENERIC_REFUSAL, type LoginAuditEvent, LoginService} from '../../../src/identity/service.js'
import {verifySshSignature} from '../../../src/identity/sshsig.js'
import {FileIdentityStore} from '../../../src/identity/store.js'
import {totpCode} from '../../../src/identity/totp.js'
import {tmpDir} from '../../helpers/tmp.js'

const tmp = tmpDir('fleetctl-login-service-')
afterAll(() => tmp.remove())

const NOW = 1_800_000_000
const PASSWORD = 'a long enough password'
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'

async function setup() {
  const store = new FileIdentityStore(join(tmp.dir(`s${Math.random()}`), 'identity'))
  const ca = generateKey({type: 'ed25519'})
  const events: LoginAuditEvent[] = []
  await store.putRole({agentForwarding: true, groups: [], hosts: ['web-*'], logins: ['{{user}}'], maxTtlSeconds: 8 * 3600, name: 'dev', permitPty: true, portForwarding: false})
  await store.createUser({createdAt: '', name: 'joe', password: await hashPassword(PASSWORD), roles: ['dev'], sshKeys: [], totp: {secret: SECRET}, updatedAt: ''})
  await store.createUser({createdAt: '', name: 'ann', password: await hashPassword(PASSWORD), roles: ['auditor'], sshKeys: [], totp: {secret: SECRET}, updatedAt: ''})
  const service = new LoginService({audit: (e) => events.push(e), now: () => NOW, publicInfo: () => ({cluster: 'test', hostCA: 'x', userCA: 'y'}), store, userCA: async () => ca})
  const publicKey = formatPublicKey(generateKey({type: 'ed25519'}).publicKey)
  return {ca, events, publicKey, service, store}
}

describe('the login service', () => {
  it('signs a certificate from the roles, capping the TTL, and refuses the same code twice', async () => {
    const {ca, events, publicKey, service} = await setup()
    const totp = await totpCode(SECRET, NOW)
    const answer = await service.login({password: PASSWORD, publicKey, totp, ttlSeconds: 72 * 3600, user: 'joe'}, '10.0.0.1', '10.0.0.1:5000')
    expect(answer).toMatchObject({principals: ['joe'], roles: ['dev'], ttlCapped: true, ttlRole: 'dev', ttlSeconds: 8 * 3600})
    const {certificate} = parseCertificateLine(answer.certificate)
    expect(certificate.keyId).toBe('joe')
    expect(certificate.signatureKey.blob.equals(ca.publicKey.blob)).toBe(true)
    expect(certificate.publicKey.blob.equals(parsePublicKey(publicKey).key.blob)).toBe(true)
    expect(Object.keys(certificate.extensions)).toEqual(['permit-agent-forwarding', 'permit-pty'])
    await expect(service.login({password: PASSWORD, publicKey, totp, user: 'joe'}, '10.0.0.1', 'c')).rejects.toThrow(GENERIC_REFUSAL)
    expect(events.map((e) => `${e.event} ${e.reason ?? ''}`.trim())).toEqual(['login.success', 'login.failure totp_replayed'])
  })

  it('answers unknown users, wrong passwords and wrong codes alike', async () => {
    const {events, publicKey, service} = await setup()
    const totp = await totpCode(SECRET, NOW)
    for (const request of [
      {password: PASSWORD, publicKey, totp, user: 'nobody'},
      {password: 'wrong password here', publicKey, totp, user: 'joe'},
      {password: PASSWORD, publicKey, totp: '000000', user: 'joe'},
    ]) {
      await expect(service.login(request, '10.0.0.1', 'c')).rejects.toMatchObject({message: GENERIC_REFUSAL, status: 401})
    }
    expect(events.map((e) => e.reason)).toEqual(['unknown_user', 'bad_password', 'totp_invalid'])
  })

  it('issues nothing to a role set without logins', async () => {
    const {events, publicKey, service} = await setup()
    await expect(service.login({password: PASSWORD, publicKey, totp: await totpCode(SECRET, NOW), user: 'ann'}, '10.0.0.1', 'c')).rejects.toMatchObject({status: 403})
    expect(events.at(-1)?.reason).toBe('no_logins')
  })

  it('refuses a locked user after the right credentials', async () => {
    const {publicKey, service, store} = await setup()
    await store.putLock({createdAt: '', id: 'l1', reason: 'laptop stolen', user: 'joe'})
    await expect(service.login({password: PASSWORD, publicKey, totp: await totpCode(SECRET, NOW), user: 'joe'}, '10.0.0.1', 'c')).rejects.toThrow(/joe is locked \(laptop stolen\)/)
  })

  it('takes an enrolment token once', async () => {
    const {service, store} = await setup()
    const {tokenId} = await import('../../../src/identity/token.js')
    await store.putToken({createdAt: '', expiresAt: new Date((NOW + 3600) * 1000).toISOString(), id: tokenId('tok'), user: 'joe'})
    const answer = await service.enrol({password: 'another long password', token: 'tok', user: 'joe'}, 'c')
    expect(answer.otpauthUri).toContain(answer.totpSecret)
    await expect(service.enrol({password: 'another long password', token: 'tok', user: 'joe'}, 'c')).rejects.toThrow(/enrolment refused/)
    await expect(service.enrol({password: 'short', token: 'x', user: 'joe'}, 'c')).rejects.toThrow(/at least 12/)
  })
})

describe('SSHSIG proofs', () => {
  it('verifies ssh-keygen -Y sign signatures only for the key, namespace and message signed', async () => {
    const dir = tmp.dir('sshsig')
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'bot')])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')])
    const key = parsePublicKey(readFileSync(join(dir, 'bot.pub'), 'utf8')).key
    const other = parsePublicKey(readFileSync(join(dir, 'other.pub'), 'utf8')).key
    const message = proofPayload('ci-bot', 'nonce-1', Buffer.from('certified key'))
    const signature = (await execa('ssh-keygen', ['-Y', 'sign', '-q', '-f', join(dir, 'bot'), '-n', PROOF_NAMESPACE], {input: message})).stdout
    expect(verifySshSignature(key, PROOF_NAMESPACE, message, signature)).toBe(true)
    expect(verifySshSignature(other, PROOF_NAMESPACE, message, signature)).toBe(false)
    expect(verifySshSignature(key, 'file', message, signature)).toBe(false)
    expect(verifySshSignature(key, PROOF_NAMESPACE, proofPayload('ci-bot', 'nonce-2', Buffer.from('certified key')), signature)).toBe(false)
    expect(verifySshSignature(key, PROOF_NAMESPACE, message, 'garbage')).toBe(false)
  })
})
