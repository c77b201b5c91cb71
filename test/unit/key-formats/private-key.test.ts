import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fingerprint, KeyFormatError} from '../../../src/certs/index.js'
import {KeyPassphraseError, readForeignPrivateKey} from '../../../src/key-formats/index.js'
import {tmpDir} from '../../helpers/tmp.js'

const PASSPHRASE = 'hunter2 hunter2'

/** Key files made at test time by the tools people make them with: ssh-keygen, openssl, puttygen. */
describe('readForeignPrivateKey', () => {
  const tmp = tmpDir()
  const file = (name: string) => join(tmp.path, name)
  const read = (name: string) => readFileSync(file(name), 'utf8')
  /** ssh-keygen's own SHA256 fingerprint of the public half of a key file. */
  const keygenFingerprint = async (name: string, passphrase = '') => {
    const line = (await execa('ssh-keygen', ['-y', '-P', passphrase, '-f', file(name)])).stdout
    writeFileSync(file(`${name}.derived.pub`), `${line}\n`)
    return (await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', file(`${name}.derived.pub`)])).stdout.split(' ')[1]
  }

  const sshKeygen = (args: string[]) => execa('ssh-keygen', ['-q', ...args])
  const openssl = (args: string[]) => execa('openssl', args)
  const puttygen = (args: string[]) => execa('puttygen', args)

  beforeAll(async () => {
    writeFileSync(file('passphrase'), `${PASSPHRASE}\n`)
    await Promise.all([
      sshKeygen(['-t', 'ed25519', '-N', '', '-C', 'plain comment', '-f', file('openssh_ed25519')]),
      sshKeygen(['-t', 'ed25519', '-N', '', '-f', file('other_ed25519')]),
      sshKeygen(['-t', 'ed25519', '-N', PASSPHRASE, '-C', 'corp ca', '-f', file('openssh_ed25519_enc')]),
      sshKeygen(['-t', 'ecdsa', '-b', '521', '-N', PASSPHRASE, '-f', file('openssh_ecdsa521_enc')]),
      sshKeygen(['-t', 'rsa', '-b', '2048', '-N', PASSPHRASE, '-f', file('openssh_rsa_enc')]),
      sshKeygen(['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', file('pkcs1_rsa')]),
      sshKeygen(['-t', 'ecdsa', '-b', '384', '-m', 'PEM', '-N', '', '-f', file('sec1_ecdsa')]),
      sshKeygen(['-t', 'rsa', '-b', '1024', '-m', 'PEM', '-N', '', '-f', file('pkcs1_rsa1024')]),
      openssl(['genpkey', '-algorithm', 'ed25519', '-out', file('pkcs8_ed25519')]),
      openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file('pkcs8_rsa')]),
      openssl(['genpkey', '-algorithm', 'ed25519', '-aes-256-cbc', '-pass', `pass:${PASSPHRASE}`, '-out', file('pkcs8_ed25519_enc')]),
      openssl(['genrsa', '-aes256', '-traditional', '-passout', `pass:${PASSPHRASE}`, '-out', file('pkcs1_rsa_enc'), '2048']),
      sshKeygen(['-t', 'dsa', '-m', 'PEM', '-N', '', '-f', file('pem_dsa')]),
    ])
    await Promise.all([
      puttygen([file('openssh_ed25519'), '-O', 'private', '--ppk-param', 'version=2', '-o', file('ppk2_ed25519')]),
      puttygen([file('openssh_ed25519'), '-O', 'private', '-o', file('ppk3_ed25519')]),
      puttygen([file('pkcs1_rsa'), '-O', 'private', '--ppk-param', 'version=2', '--new-passphrase', file('passphrase'), '-o', file('ppk2_rsa_enc')]),
      puttygen([file('openssh_ed25519'), '-O', 'private', '--new-passphrase', file('passphrase'), '-o', file('ppk3_ed25519_enc')]),
      puttygen([file('other_ed25519'), '-O', 'private', '--ppk-param', 'version=2', '-o', file('ppk2_other_ed25519')]),
    ])
  })

  afterAll(() => tmp.remove())

  it.each([
    ['openssh_ed25519', undefined, 'openssh', 'ssh-ed25519', false],
    ['openssh_ed25519_enc', PASSPHRASE, 'openssh', 'ssh-ed25519', true],
    ['openssh_ecdsa521_enc', PASSPHRASE, 'openssh', 'ecdsa-sha2-nistp521', true],
    ['openssh_rsa_enc', PASSPHRASE, 'openssh', 'ssh-rsa', true],
    ['pkcs1_rsa', undefined, 'pem', 'ssh-rsa', false],
    ['pkcs1_rsa_enc', PASSPHRASE, 'pem', 'ssh-rsa', true],
    ['sec1_ecdsa', undefined, 'pem', 'ecdsa-sha2-nistp384', false],
    ['pkcs8_rsa', undefined, 'pem', 'ssh-rsa', false],
  ] as const)('reads %s as ssh-keygen sees it', async (name, passphrase, format, algorithm, encrypted) => {
    const result = readForeignPrivateKey(read(name), passphrase)
    expect(result).toMatchObject({encrypted, format})
    expect(result.key.algorithm).toBe(algorithm)
    expect(fingerprint(result.key.publicKey)).toBe(await keygenFingerprint(name, passphrase))
  })

  // ssh-keygen does not read PKCS#8 ed25519 files: openssl says what their public key is.
  it.each([
    ['pkcs8_ed25519', undefined, false],
    ['pkcs8_ed25519_enc', PASSPHRASE, true],
  ] as const)('reads %s as openssl sees it', async (name, passphrase, encrypted) => {
    const result = readForeignPrivateKey(read(name), passphrase)
    expect(result).toMatchObject({encrypted, format: 'pem'})
    expect(result.key.algorithm).toBe('ssh-ed25519')
    const spki = (await execa('openssl', ['pkey', '-in', file(name), '-passin', `pass:${passphrase ?? ''}`, '-pubout', '-outform', 'DER'], {encoding: 'buffer'})).stdout
    expect(result.key.publicKey.blob.subarray(-32)).toEqual(Buffer.from(spki.subarray(-32)))
  })

  it('keeps the OpenSSH key comment', () => {
    expect(readForeignPrivateKey(read('openssh_ed25519_enc'), PASSPHRASE).key.comment).toBe('corp ca')
  })

  it.each([
    ['ppk2_ed25519', undefined, 'openssh_ed25519', false],
    ['ppk3_ed25519', undefined, 'openssh_ed25519', false],
    ['ppk2_rsa_enc', PASSPHRASE, 'pkcs1_rsa', true],
  ] as const)('reads PuTTY %s: the same key as its source', async (name, passphrase, source, encrypted) => {
    const result = readForeignPrivateKey(read(name), passphrase)
    expect(result).toMatchObject({encrypted, format: 'ppk'})
    expect(fingerprint(result.key.publicKey)).toBe(await keygenFingerprint(source))
  })

  it.each([
    ['openssh_ed25519_enc', 'OpenSSH'],
    ['pkcs1_rsa_enc', 'PEM'],
    ['pkcs8_ed25519_enc', 'PEM'],
    ['ppk2_rsa_enc', 'PuTTY PPK'],
  ])('%s without a passphrase: says it needs one', (name, what) => {
    const error = catchError(() => readForeignPrivateKey(read(name)))
    expect(error).toBeInstanceOf(KeyPassphraseError)
    expect(error).toMatchObject({message: `the ${what} private key is passphrase-protected`, reason: 'missing'})
  })

  it.each(['openssh_ed25519_enc', 'openssh_rsa_enc', 'pkcs1_rsa_enc', 'pkcs8_ed25519_enc', 'ppk2_rsa_enc'])('%s with a wrong passphrase: says so', (name) => {
    const error = catchError(() => readForeignPrivateKey(read(name), 'wrong passphrase'))
    expect(error).toBeInstanceOf(KeyPassphraseError)
    expect((error as KeyPassphraseError).reason).toBe('wrong')
    expect((error as Error).message).toMatch(/wrong passphrase/)
  })

  it('an encrypted PPK v3 (Argon2): says sshpk cannot read it', () => {
    const error = catchError(() => readForeignPrivateKey(read('ppk3_ed25519_enc'), PASSPHRASE))
    expect(error).toBeInstanceOf(KeyFormatError)
    expect((error as Error).message).toBe('sshpk cannot read passphrase-protected PuTTY PPK version 3 files (Argon2)')
  })

  it('a PPK whose private half belongs to another key is refused', () => {
    const privateLines = (text: string) => text.slice(text.indexOf('Private-Lines:'))
    const spliced = read('ppk2_ed25519').replace(privateLines(read('ppk2_ed25519')), privateLines(read('ppk2_other_ed25519')))
    expect(() => readForeignPrivateKey(spliced)).toThrow(/private key does not match its public key/)
  })

  it('reads a short RSA key (the CA store refuses it, not the reader)', () => {
    expect(readForeignPrivateKey(read('pkcs1_rsa1024')).key.publicKey.bits).toBe(1024)
  })

  it('refuses DSA, public keys and other text', () => {
    expect(() => readForeignPrivateKey(read('pem_dsa'))).toThrow('DSA keys are not supported')
    expect(() => readForeignPrivateKey(read('openssh_ed25519.pub'))).toThrow('this is a public key')
    expect(() => readForeignPrivateKey('hello')).toThrow(/expected an OpenSSH, PEM .* or PuTTY PPK private key/)
  })
})

function catchError(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }

  throw new Error('expected an error')
}
