import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, describe, expect, it} from 'vitest'

import {fleetctl, FLEETCTL_BIN} from '../helpers/fleetctl.js'
import {seedRecordings} from '../helpers/recordings.js'
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

/** Examples of servers carry this comment: they run until stopped (see below). */
const RUNS_UNTIL_STOPPED = '# runs until stopped'

/** The keys `ca import`'s examples name: an organisation's CAs as ssh-keygen made them. */
async function writeExistingCAs(dir: string): Promise<void> {
  writeFileSync(join(dir, 'corp_user_ca.passphrase'), 'an example passphrase\n')
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'an example passphrase', '-f', join(dir, 'corp_user_ca')])
  await execa('ssh-keygen', ['-q', '-t', 'ecdsa', '-m', 'PEM', '-N', '', '-f', join(dir, 'corp_host_ca.pem')])
}

/**
 * Every example in `--help` runs as written, in a shell with `fleetctl` on the PATH, a fresh
 * HOME and state directory (with CAs, unless the example creates or imports them; with a
 * recorded session and its audit events for the commands that read them).
 * An example marked `# runs until stopped` (`proxy start`) passes when it logs proxy.listening
 * within 20 s and exits 0 on SIGTERM; it listens on kernel-chosen loopback ports
 * (FLEETCTL_PROXY_LISTEN / FLEETCTL_PROXY_WEB_LISTEN) unless the example names its own.
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
    if (command.id !== 'ca:init' && command.id !== 'ca:import') expect((await fleetctl(['ca', 'init'], {home: state})).exitCode).toBe(0)
    if (command.id === 'ca:import') await writeExistingCAs(dir)
    if (command.id.startsWith('recordings:') || command.id === 'audit') await seedRecordings(state)
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ssh_host_ed25519_key')])
    // `enroll host --local --sshd-config ./sshd_config --dry-run` and friends read this one: no
    // example may change /etc/ssh, and a dry run still inspects a real file with a real sshd.
    writeFileSync(join(dir, 'sshd_config'), `# an sshd_config for the enrollment examples\nPort 22\nHostKey ${join(dir, 'ssh_host_ed25519_key')}\n\nMatch User backup\n    ForceCommand internal-sftp\n`)

    const env = {FLEETCTL_HOME: state, HOME: home, PATH: `${bin}:${process.env.PATH}`}
    if (text.includes(RUNS_UNTIL_STOPPED)) {
      const server = execa('bash', ['-euo', 'pipefail', '-c', text], {
        cwd: dir,
        env: {...env, FLEETCTL_PROXY_LISTEN: '127.0.0.1:0', FLEETCTL_PROXY_WEB_LISTEN: '127.0.0.1:0'},
        reject: false,
        stdin: 'ignore',
      })
      let output = ''
      server.stdout?.on('data', (chunk) => (output += chunk))
      const deadline = Date.now() + 20_000
      try {
        while (!output.includes('"event":"proxy.listening"') && server.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
        expect(output, `${text}\n${output}`).toContain('"event":"proxy.listening"')
      } finally {
        // bash execs the last command, so its PID is the server's.
        server.kill('SIGTERM')
      }
      const result = await server
      expect(result.exitCode, `${text}\n${result.stderr}`).toBe(0)
      return
    }

    const result = await execa('bash', ['-euo', 'pipefail', '-c', text], {cwd: dir, env, reject: false, stdin: 'ignore'})
    expect(result.exitCode, `${text}\n${result.stderr}`).toBe(0)
  })
})
