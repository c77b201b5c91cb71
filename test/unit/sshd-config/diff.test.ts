import {execa} from 'execa'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {parseSshdConfig, planEnrollment, renderUnifiedDiff} from '../../../src/sshd-config/index.js'
import {loadCorpus} from '../../helpers/sshd-config-corpus.js'

const names = {oldName: 'a/sshd_config', newName: 'b/sshd_config'}
const workDir = mkdtempSync(join(tmpdir(), 'fleetctl-diff-'))
afterAll(() => rmSync(workDir, {recursive: true, force: true}))

let patchRuns = 0
/** What GNU patch makes of `oldText` with our diff applied. */
async function applyWithPatch(oldText: string, newText: string): Promise<string> {
  const run = patchRuns++
  const oldFile = join(workDir, `old-${run}`)
  const patchFile = join(workDir, `diff-${run}`)
  const outFile = join(workDir, `new-${run}`)
  writeFileSync(oldFile, oldText)
  writeFileSync(patchFile, renderUnifiedDiff(oldText, newText, names))
  // --binary: patch must not touch the CRs that are part of our lines.
  await execa('patch', ['--batch', '--silent', '--binary', '-o', outFile, oldFile, patchFile])
  return readFileSync(outFile, 'utf8')
}

/** A small deterministic generator, so failures reproduce. */
function random(seed: number) {
  let state = seed
  return (limit: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state % limit
  }
}

describe('renderUnifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(renderUnifiedDiff('Port 22\n', 'Port 22\n', names)).toBe('')
  })

  it('writes the hunks GNU diff -u writes: three lines of context, close changes merged', () => {
    const old = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', ''].join('\n')
    const changed = old.replace('b\n', 'B\n').replace('d\n', '').replace('n\n', 'n\no\n')
    expect(renderUnifiedDiff(old, changed, names)).toBe(
      [
        '--- a/sshd_config',
        '+++ b/sshd_config',
        '@@ -1,7 +1,6 @@',
        ' a',
        '-b',
        '+B',
        ' c',
        '-d',
        ' e',
        ' f',
        ' g',
        '@@ -12,3 +11,4 @@',
        ' l',
        ' m',
        ' n',
        '+o',
        '',
      ].join('\n'),
    )
  })

  it('marks a missing final newline on either side', () => {
    expect(renderUnifiedDiff('Port 22', 'Port 22\n', names)).toBe(
      '--- a/sshd_config\n+++ b/sshd_config\n@@ -1 +1 @@\n-Port 22\n\\ No newline at end of file\n+Port 22\n',
    )
  })

  it('numbers an empty side as the line before it', () => {
    expect(renderUnifiedDiff('', 'a\nb\n', names)).toBe('--- a/sshd_config\n+++ b/sshd_config\n@@ -0,0 +1,2 @@\n+a\n+b\n')
    expect(renderUnifiedDiff('a\nb\n', '', names)).toBe('--- a/sshd_config\n+++ b/sshd_config\n@@ -1,2 +0,0 @@\n-a\n-b\n')
    expect(renderUnifiedDiff('a\nb\nc\n', 'a\nx\nb\nc\n', names)).toContain('@@ -1,3 +1,4 @@\n a\n+x\n b\n c\n')
  })

  it('keeps CRLF line endings in the lines it writes', () => {
    expect(renderUnifiedDiff('a\r\nb\r\n', 'a\r\nc\r\n', names)).toContain('-b\r\n+c\r\n')
  })
})

describe('GNU patch applies the diff', () => {
  const request = {
    trustedUserCAKeys: '/etc/ssh/fleet ca/user_ca.pub',
    hostKey: '/etc/ssh/fleetctl_host_ed25519_key',
    hostCertificate: '/etc/ssh/fleetctl_host_ed25519_key-cert.pub',
  }

  for (const entry of loadCorpus()) {
    it(`for the enrollment of ${entry.name}, both ways`, async () => {
      const plan = planEnrollment(parseSshdConfig(entry.main), {...request, strategy: 'main-file'})
      const enrolled = plan.files[0].after ?? ''
      expect(await applyWithPatch(entry.main, enrolled)).toBe(enrolled)
      expect(await applyWithPatch(enrolled, entry.main)).toBe(entry.main)
    })
  }

  it('for a new file and a removed one', async () => {
    expect(await applyWithPatch('', 'TrustedUserCAKeys /x\n')).toBe('TrustedUserCAKeys /x\n')
    expect(await applyWithPatch('TrustedUserCAKeys /x\n', '')).toBe('')
  })

  it('for random edits of a corpus file', async () => {
    const next = random(20_240_611)
    const lines = loadCorpus()
      .find((entry) => entry.name === 'debian-12')
      ?.main.split('\n') ?? []
    for (let round = 0; round < 12; round++) {
      const edited = [...lines]
      for (let edit = 0; edit < 1 + next(6); edit++) {
        const at = next(edited.length)
        const choice = next(3)
        if (choice === 0) edited.splice(at, 1 + next(4))
        else if (choice === 1) edited.splice(at, 0, `Added${round}-${edit} yes`, '')
        else edited[at] = `Changed${round}-${edit} no`
      }
      const oldText = lines.join('\n')
      const newText = edited.join('\n') + (round % 2 === 0 ? '' : '\n')
      expect(await applyWithPatch(oldText, newText)).toBe(newText)
    }
  })
})
