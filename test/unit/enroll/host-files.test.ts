import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, describe, expect, it} from 'vitest'

import {LocalExecutor, shellCommand, shellQuote} from '../../../src/enroll/executor.js'
import {HostFiles} from '../../../src/enroll/host-files.js'
import {tmpDir} from '../../helpers/tmp.js'

describe('shellQuote', () => {
  it('keeps every byte of a word through a real sh', async () => {
    const words = ['plain', 'with space', "it's", '$HOME `id` $(id)', 'tab\there', 'new\nline', '', '*']
    const {stdout} = await execa('sh', ['-c', `printf '%s\\0' ${words.map(shellQuote).join(' ')}`])
    expect(stdout.split('\0').slice(0, -1)).toEqual(words)
  })

  it('runs through sudo -n only when asked', () => {
    expect(shellCommand('id', ['a'], false)).toEqual(['sh', '-c', 'id', 'sh', 'a'])
    expect(shellCommand('id', [], true)).toEqual(['sudo', '-n', '--', 'sh', '-c', 'id', 'sh'])
  })
})

describe('HostFiles over the local executor', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.remove())
  const files = new HostFiles(new LocalExecutor())

  it('reads exact bytes, and null for a missing file', async () => {
    const path = join(tmp.path, 'sshd_config')
    writeFileSync(path, 'Port 22\r\n\n# no final newline')
    expect(await files.read(path)).toBe('Port 22\r\n\n# no final newline')
    expect(await files.read(join(tmp.path, 'absent'))).toBeNull()
  })

  it('writes in place keeping the mode of an existing file, and gives a new one the mode asked for', async () => {
    const existing = join(tmp.path, 'kept-mode')
    writeFileSync(existing, 'old', {mode: 0o640})
    await files.write(existing, 'new\n')
    expect(readFileSync(existing, 'utf8')).toBe('new\n')
    expect(statSync(existing).mode & 0o777).toBe(0o640)
    const created = join(tmp.path, 'sub', 'dir', 'key')
    await files.write(created, 'secret\n', '0600')
    expect(statSync(created).mode & 0o777).toBe(0o600)
  })

  it('restores a file to its bytes or its absence', async () => {
    const path = join(tmp.path, 'restored')
    await files.write(path, 'changed')
    await files.restore(path, 'original\n')
    expect(readFileSync(path, 'utf8')).toBe('original\n')
    await files.restore(path, null)
    expect(await files.exists(path)).toBe(false)
  })

  it('lists a directory and finds nothing unwritable for its owner', async () => {
    mkdirSync(join(tmp.path, 'd'))
    writeFileSync(join(tmp.path, 'd', 'a.conf'), '')
    expect(await files.list(join(tmp.path, 'd'))).toEqual(['a.conf'])
    expect(await files.list(join(tmp.path, 'nope'))).toEqual([])
    expect(await files.unwritable([join(tmp.path, 'd', 'a.conf'), join(tmp.path, 'new', 'deep', 'file')])).toEqual([])
  })

  it('fails with the command and the host in one line', async () => {
    await expect(files.write('/proc/version/x', 'x')).rejects.toThrow(/^cannot write \/proc\/version\/x on localhost: .+$/)
  })
})
