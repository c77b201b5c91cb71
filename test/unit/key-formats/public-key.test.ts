import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fingerprint, formatPublicKey} from '../../../src/certs/index.js'
import {readForeignPublicKey} from '../../../src/key-formats/index.js'
import {tmpDir} from '../../helpers/tmp.js'

/** Public key files made at test time by ssh-keygen -e, puttygen and openssl. */
describe('readForeignPublicKey', () => {
  const tmp = tmpDir()
  const file = (name: string) => join(tmp.path, name)
  const read = (name: string) => readFileSync(file(name), 'utf8')
  const write = async (name: string, output: Promise<{stdout: string}>) => writeFileSync(file(name), `${(await output).stdout}\n`)
  const keygenFingerprint = async (name: string) => (await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', file(name)])).stdout.split(' ')[1]

  beforeAll(async () => {
    await Promise.all(
      (['ed25519', 'ecdsa', 'rsa'] as const).map((type) => execa('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${type} key`, '-f', file(type)])),
    )
    for (const type of ['ed25519', 'ecdsa', 'rsa']) {
      await write(`${type}.rfc4716`, execa('ssh-keygen', ['-e', '-f', file(`${type}.pub`)]))
      await write(`${type}.putty`, execa('puttygen', [file(type), '-O', 'public']))
    }

    await write('rsa.spki', execa('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', file('rsa.pub')]))
    await write('ecdsa.spki', execa('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', file('ecdsa.pub')]))
    await write('rsa.pkcs1', execa('ssh-keygen', ['-e', '-m', 'PEM', '-f', file('rsa.pub')]))
    await execa('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', file('openssl_ed25519')])
    await write('openssl_ed25519.spki', execa('openssl', ['pkey', '-in', file('openssl_ed25519'), '-pubout']))
  })

  afterAll(() => tmp.remove())

  it.each([
    ['ed25519.pub', 'ed25519.pub', 'openssh', 'ed25519 key'],
    ['ed25519.rfc4716', 'ed25519.pub', 'rfc4716', /^256-bit ED25519, converted by /],
    ['ecdsa.rfc4716', 'ecdsa.pub', 'rfc4716', /converted by/],
    ['rsa.rfc4716', 'rsa.pub', 'rfc4716', /converted by/],
    ['ed25519.putty', 'ed25519.pub', 'rfc4716', 'ed25519 key'],
    ['ecdsa.putty', 'ecdsa.pub', 'rfc4716', 'ecdsa key'],
    ['rsa.putty', 'rsa.pub', 'rfc4716', 'rsa key'],
    ['rsa.spki', 'rsa.pub', 'pem', ''],
    ['ecdsa.spki', 'ecdsa.pub', 'pem', ''],
    ['rsa.pkcs1', 'rsa.pub', 'pem', ''],
  ] as const)('reads %s as the key of %s, fingerprinted as ssh-keygen does', async (name, openssh, format, comment) => {
    const result = readForeignPublicKey(read(name))
    expect(result.format).toBe(format)
    expect(result.comment).toMatch(typeof comment === 'string' ? new RegExp(`^${comment}$`) : comment)
    expect(formatPublicKey(result.key)).toBe(read(openssh).split(' ').slice(0, 2).join(' '))
    expect(fingerprint(result.key)).toBe(await keygenFingerprint(openssh))
  })

  it('reads an ed25519 SubjectPublicKeyInfo from openssl', async () => {
    const result = readForeignPublicKey(read('openssl_ed25519.spki'))
    expect(result.key.algorithm).toBe('ssh-ed25519')
    const der = (await execa('openssl', ['pkey', '-in', file('openssl_ed25519'), '-pubout', '-outform', 'DER'], {encoding: 'buffer'})).stdout
    expect(result.key.blob.subarray(-32)).toEqual(Buffer.from(der.subarray(-32)))
  })

  it('joins a quoted RFC 4716 comment continued over lines', () => {
    const body = read('ed25519.rfc4716').split('\n').filter((line) => !line.startsWith('----') && !line.startsWith('Comment:') && line)
    const text = ['---- BEGIN SSH2 PUBLIC KEY ----', 'Comment: "a comment that goes on \\', 'and on"', ...body, '---- END SSH2 PUBLIC KEY ----', ''].join('\n')
    expect(readForeignPublicKey(text).comment).toBe('a comment that goes on and on')
  })

  it('refuses private keys, certificates and garbage, saying what to give instead', async () => {
    expect(() => readForeignPublicKey(read('rsa'))).toThrow(/this is a private key; give its public key \(ssh-keygen -y -f KEY/)
    await execa('puttygen', [file('ed25519'), '-O', 'private', '-o', file('ed25519.ppk')])
    expect(() => readForeignPublicKey(read('ed25519.ppk'))).toThrow(/puttygen KEY.ppk -O public-openssh/)
    await execa('ssh-keygen', ['-q', '-s', file('ed25519'), '-I', 'id', file('rsa.pub')])
    expect(() => readForeignPublicKey(read('rsa-cert.pub'))).toThrow('is a certificate, not a plain public key')
    expect(() => readForeignPublicKey('---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n')).toThrow(/malformed public key/)
  })
})
