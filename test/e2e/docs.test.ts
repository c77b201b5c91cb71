import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** The command reference is generated from the commands (their --help); a stale copy fails here. */
describe('docs/commands.md', () => {
  it('is what `npm run readme` generates from the built commands', async () => {
    const {stdout} = await execa('npx', ['oclif', 'readme', '--no-aliases', '--readme-path', 'docs/commands.md', '--dry-run'], {cwd: root})
    const generated = stdout.replace(/^replacing .*\n/, '').trimEnd()
    const committed = readFileSync(`${root}docs/commands.md`, 'utf8').trimEnd()
    expect(committed, 'docs/commands.md is stale: run `npm run readme`').toBe(generated)
  }, 60_000)
})
