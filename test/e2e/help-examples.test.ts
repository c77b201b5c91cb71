import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, describe, expect, it} from 'vitest'

import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {tmpDir} from '../helpers/tmp.js'

interface ManifestCommand {
  examples?: (string | {command: string; description?: string})[]
  id: string
}

const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, ManifestCommand>}
const examples = Object.values(manifest.commands).flatMap((command) =>
  (command.examples ?? []).map((example) => {
    const text = typeof example === 'string' ? example : example.command
    return {command, text: text.replaceAll('<%= config.bin %>', 'fleetctl').replaceAll('<%= command.id %>', command.id.replaceAll(':', ' '))}
  }),
)

/**
 * Every example in `--help` runs as written, in a shell with `fleetctl` on the PATH, a fresh
 * HOME and state directory (with CAs, unless the example is the one that creates them).
 */
describe('every --help example runs', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.remove())

  it('has examples for every command', () => {
    for (const command of Object.values(manifest.commands)) expect(command.examples?.length, command.id).toBeGreaterThan(0)
  })

  it.each(examples.map((e) => [e.text, e] as const))('%s', async (_text, {command, text}) => {
    const dir = join(tmp.path, String(examples.findIndex((e) => e.text === text)))
    const bin = join(dir, 'bin')
    const home = join(dir, 'home')
    mkdirSync(join(home, '.ssh'), {recursive: true})
    mkdirSync(bin, {recursive: true})
    writeFileSync(join(bin, 'fleetctl'), `#!/bin/sh\nexec "${process.execPath}" "${FLEETCTL_BIN}" "$@"\n`, {mode: 0o755})
    const state = join(home, '.fleetctl')
    if (command.id !== 'ca:init') expect((await fleetctl(['ca', 'init'], {home: state})).exitCode).toBe(0)
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ssh_host_ed25519_key')])
    // `enroll host --local --sshd-config ./sshd_config --dry-run` and friends read this one: no
    // example may change /etc/ssh, and a dry run still inspects a real file with a real sshd.
    writeFileSync(join(dir, 'sshd_config'), `# an sshd_config for the enrollment examples\nPort 22\nHostKey ${join(dir, 'ssh_host_ed25519_key')}\n\nMatch User backup\n    ForceCommand internal-sftp\n`)

    const result = await execa('bash', ['-euo', 'pipefail', '-c', text], {
      cwd: dir,
      env: {FLEETCTL_HOME: state, HOME: home, PATH: `${bin}:${process.env.PATH}`},
      reject: false,
      stdin: 'ignore',
    })
    expect(result.exitCode, `${text}\n${result.stderr}`).toBe(0)
  })
})
