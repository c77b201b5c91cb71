/**
 * The package as users get it: `npm pack`, then the tarball installed (a) globally into a fresh
 * prefix and (b) as a dependency of a fresh project, each with an empty npm cache and no dev
 * dependencies (real npm, real registry). From each installed copy: `fleetctl --help`,
 * `fleetctl ca init`, and `fleetctl proxy start` carrying a real `ssh -J` session with
 * certificates to a real sshd, recorded, with ssh2's native crypto binding loaded.
 * Nothing is patched at install time: the installed copy runs vendor/ssh2 from the tarball.
 */
import {cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync} from 'node:fs'
import {createRequire} from 'node:module'
import {delimiter, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Agent, startAgent} from '../helpers/agent.js'
import {commandResult} from '../helpers/processes.js'
import {fleetUser, type RunningProxy, runClient, startFleetHost, startProxy, writeClientConfig} from '../helpers/proxy.js'
import type {Sshd} from '../helpers/sshd.js'
import {tmpDir} from '../helpers/tmp.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const INSTALL_TIMEOUT = 900_000
/** Each step starts several processes from the installed copy; generous for a loaded machine. */
const STEP_TIMEOUT = 240_000

/**
 * The environment of a user's shell: no npm_* variables from the `npm test` running this, and no
 * node_modules/.bin of this checkout on PATH (nothing of the checkout may leak into the install).
 */
function userEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(name) && !name.startsWith('FLEETCTL_')) env[name] = value
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter((entry) => entry && !entry.includes('node_modules'))
  env.PATH = [dirname(process.execPath), ...path].join(delimiter)
  return env
}

async function npm(args: string[], cwd: string) {
  const result = await execa('npm', [...args, '--no-audit', '--no-fund', '--loglevel=warn'], {cwd, env: userEnv(), extendEnv: false, reject: false, stdin: 'ignore', timeout: INSTALL_TIMEOUT})
  const out = commandResult(result)
  expect(out.exitCode, `npm ${args.join(' ')}\n${out.stdout}\n${out.stderr}`).toBe(0)
  return out
}

describe('the packed package, installed the ways users install it', () => {
  const tmp = tmpDir('fleetctl-package-')
  let tarball = ''
  let packed: string[] = []

  const installs = [
    {
      how: 'globally into a fresh prefix',
      async install(dir: string): Promise<string> {
        await npm(['install', '--global', '--prefix', join(dir, 'prefix'), '--cache', join(dir, 'npm-cache'), '--omit=dev', tarball], dir)
        return join(dir, 'prefix', 'bin', 'fleetctl')
      },
    },
    {
      how: 'as a dependency of a fresh project',
      async install(dir: string): Promise<string> {
        const project = join(dir, 'project')
        mkdirSync(project, {recursive: true})
        await npm(['init', '-y'], project)
        await npm(['install', '--cache', join(dir, 'npm-cache'), '--omit=dev', tarball], project)
        return join(project, 'node_modules', '.bin', 'fleetctl')
      },
    },
  ]

  const installed = new Map<string, Promise<string>>()

  beforeAll(async () => {
    // `npm test` builds first. Packing with --ignore-scripts skips prepack's rebuild, which would
    // delete dist/ under the suites running beside this one; what is packed is that build.
    expect(existsSync(join(ROOT, 'dist', 'commands')) && existsSync(join(ROOT, 'oclif.manifest.json')), 'run `npm run build` first').toBe(true)
    const {stdout} = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir('pack')], ROOT)
    const [info] = JSON.parse(stdout) as {filename: string; files: {path: string}[]}[]
    tarball = join(tmp.path, 'pack', info!.filename)
    packed = info!.files.map((file) => file.path)
    // Both installs at once (mostly waiting on the registry); each suite below awaits its own.
    for (const {how, install} of installs) {
      const done = install(tmp.dir(`${how.split(' ')[0]}-install`))
      done.catch(() => {})
      installed.set(how, done)
    }
  }, INSTALL_TIMEOUT)

  afterAll(() => tmp.remove())

  it('ships bin/run.js, dist, the manifest, LICENSE and vendor/ssh2; not bin/dev.js, the sources or tests', () => {
    expect(packed).toEqual(expect.arrayContaining(['bin/run.js', 'dist/commands/proxy/start.js', 'oclif.manifest.json', 'LICENSE', 'vendor/ssh2/lib/index.js', 'vendor/ssh2/LICENSE', 'vendor/ssh2/FLEETCTL.md']))
    expect(packed).not.toContain('bin/dev.js')
    expect(packed.filter((path) => /^(src|test|patches|scripts)\//.test(path))).toEqual([])
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>}
    expect(manifest.scripts.postinstall).toBeUndefined()
  })

  describe.each(installs)('installed $how', ({how}) => {
    const dir = (name: string) => tmp.dir(`${how.split(' ')[0]}-${name}`)
    let bin = ''
    let proxy: RunningProxy | undefined
    let sshd: Sshd | undefined
    let agent: Agent | undefined

    const run = async (args: string[], env: Record<string, string> = {}) =>
      commandResult(await execa(bin, args, {cwd: dir('cwd'), env: {...userEnv(), NO_COLOR: '1', ...env}, extendEnv: false, reject: false, stdin: 'ignore', timeout: 60_000}))

    beforeAll(async () => {
      bin = await installed.get(how)!
    }, INSTALL_TIMEOUT)

    afterAll(async () => {
      await Promise.all([proxy?.stop(), sshd?.stop(), agent?.stop()])
    })

    it('runs fleetctl --help from the installed copy', async () => {
      const help = await run(['--help'])
      expect(help.exitCode, help.stderr).toBe(0)
      expect(help.stdout).toMatch(/proxy\s+Run the recording SSH proxy/)
    })

    it('ca init, proxy start with native crypto, and a recorded ssh -J session with certificates', async () => {
      const home = dir('home')
      const init = await run(['ca', 'init', '--cluster', 'package-test'], {FLEETCTL_HOME: home})
      expect(init.exitCode, init.stderr).toBe(0)
      expect(existsSync(join(home, 'ca', 'user_ca.pub')) && existsSync(join(home, 'ca', 'host_ca.pub'))).toBe(true)

      proxy = await startProxy(home, ['--public-addr', '127.0.0.1'], userEnv(), [], bin)
      const listening = proxy.events().find((e) => e.event === 'proxy.listening')
      // The binding was built by the installed ssh2's own install script and loaded by vendor/ssh2.
      expect(listening, proxy.output()).toMatchObject({native_crypto: true})
      expect(proxy.events().some((e) => e.event === 'proxy.native_crypto_missing')).toBe(false)

      sshd = await startFleetHost(dir('host'), home)
      agent = await startAgent(dir('agent'))
      await agent.add(await fleetUser(dir('user'), home, 'pat'))
      const config = writeClientConfig(dir('client'), home, {hostPort: sshd.port, proxyPort: proxy.port})
      const before = new Set(await proxy.recordings())

      const ssh = await runClient('ssh', config, ['-tt', '-J', 'proxy', 'web1', 'echo package-$((40+2))'], {agent: agent.socket})
      expect(ssh.stderr).not.toMatch(/Permission denied|Host key verification failed/)
      expect(ssh.stdout, ssh.stderr).toContain('package-42')
      expect(ssh.exitCode, ssh.stderr).toBe(0)

      // Certificate auth on both legs: the proxy took pat's certificate, the host the proxy's login with it.
      const audit = await proxy.auditUntil((lines) => lines.some((e) => e.event === 'session.end'))
      expect(audit.find((e) => e.event === 'session.start'), JSON.stringify(audit)).toMatchObject({user: 'pat', login: 'root'})
      expect(audit.some((e) => e.event === 'session.end')).toBe(true)
      const recordings = (await proxy.recordings()).filter((path) => !before.has(path))
      expect(recordings).toHaveLength(1)
      expect(readFileSync(recordings[0]!, 'utf8')).toContain('package-42')
    }, STEP_TIMEOUT)

    // Last, since they break the installed copy on purpose.
    it('without the native binding: proxy start and doctor say so and what to install', async () => {
      await proxy?.stop()
      proxy = undefined
      const packageDir = dirname(dirname(realpathSync(bin)))
      const ssh2Dir = dirname(createRequire(join(packageDir, 'package.json')).resolve('ssh2/package.json'))
      rmSync(join(ssh2Dir, 'lib', 'protocol', 'crypto', 'build'), {force: true, recursive: true})
      const home = dir('home')

      proxy = await startProxy(home, ['--public-addr', '127.0.0.1'], userEnv(), [], bin)
      expect(proxy.events().find((e) => e.event === 'proxy.listening')).toMatchObject({native_crypto: false})
      const missing = proxy.events().find((e) => e.event === 'proxy.native_crypto_missing')
      expect(missing?.reason).toMatch(/^not built/)
      expect(JSON.stringify(missing?.fix)).toContain('apt-get install -y python3 make g++')
      expect(JSON.stringify(missing?.fix)).toContain('npm rebuild ssh2')
      await proxy.stop()
      proxy = undefined

      const doctor = await run(['doctor', '--json', '--timeout', '1'], {FLEETCTL_HOME: home})
      const finding = (JSON.parse(doctor.stdout) as {findings: {check: string; status: string; fix?: string}[]}).findings.find((f) => f.check === 'ssh2')
      expect(finding, doctor.stdout).toMatchObject({status: 'warn'})
      expect(finding?.fix).toContain('apt-get install -y python3 make g++')
    }, STEP_TIMEOUT)

    it('with an ssh2 lacking certificate support, proxy start refuses and names the cause', async () => {
      const packageDir = dirname(dirname(realpathSync(bin)))
      const ssh2Dir = dirname(createRequire(join(packageDir, 'package.json')).resolve('ssh2/package.json'))
      // The npm package's own lib/ is upstream ssh2, as an install-time patch that did not run leaves it.
      cpSync(join(ssh2Dir, 'lib'), join(packageDir, 'vendor', 'ssh2', 'lib'), {recursive: true})
      const start = await run(['proxy', 'start', '--listen', '127.0.0.1:0', '--public-addr', '127.0.0.1'], {FLEETCTL_HOME: dir('home')})
      expect(start.exitCode).toBe(1)
      expect(start.stderr.replaceAll(/\s*›\s*/g, ' ')).toMatch(/lacks OpenSSH certificate support: it parses an OpenSSH certificate as a plain key/)
      expect(start.stderr).not.toMatch(/Unsupported key format/)
    }, STEP_TIMEOUT)
  })
})
