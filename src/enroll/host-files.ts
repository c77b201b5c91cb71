import {FleetError} from '../base/errors.js'
import {type CommandOutcome, firstLine, type HostExecutor} from './executor.js'

const MISSING = 44

/** Files on a host, through its executor: what enrollment reads, writes, backs up and restores. */
export class HostFiles {
  constructor(readonly executor: HostExecutor) {}

  /** The exact bytes of a file, or null when it does not exist. */
  async read(path: string): Promise<string | null> {
    const result = await this.executor.run(`[ -e "$1" ] || exit ${MISSING}; cat -- "$1"`, [path])
    if (result.exitCode === MISSING) return null
    this.check(result, `cannot read ${path}`)
    return result.stdout
  }

  async exists(path: string): Promise<boolean> {
    return (await this.executor.run('[ -e "$1" ]', [path])).exitCode === 0
  }

  async isDirectory(path: string): Promise<boolean> {
    return (await this.executor.run('[ -d "$1" ]', [path])).exitCode === 0
  }

  /** Names in a directory (none when it does not exist). */
  async list(directory: string): Promise<string[]> {
    const result = await this.executor.run('[ -d "$1" ] || exit 0; ls -1a -- "$1"', [directory])
    this.check(result, `cannot list ${directory}`)
    return result.stdout.split('\n').filter((name) => name && name !== '.' && name !== '..')
  }

  /** The paths this login cannot write (or create, for files that do not exist yet). */
  async unwritable(paths: string[]): Promise<string[]> {
    const script = `for p in "$@"; do
  if [ -e "$p" ]; then [ -w "$p" ] || echo "$p"; continue; fi
  d=$(dirname -- "$p"); while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done
  [ -w "$d" ] || echo "$p"
done`
    const result = await this.executor.run(script, paths)
    this.check(result, 'cannot check which files are writable')
    return result.stdout.split('\n').filter(Boolean)
  }

  /**
   * Writes a file in place, so an existing file keeps its owner, mode and security label; a new
   * one gets `mode`, and its directory is made when missing.
   */
  async write(path: string, text: string, mode = '0644'): Promise<void> {
    const script = 'umask 077; new=0; [ -e "$1" ] || new=1; mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && { [ $new = 0 ] || chmod "$2" "$1"; }'
    this.check(await this.executor.run(script, [path, mode], {input: text}), `cannot write ${path}`)
  }

  async remove(path: string): Promise<void> {
    this.check(await this.executor.run('rm -f -- "$1"', [path]), `cannot remove ${path}`)
  }

  /** Removes a directory only when it is empty (one fleetctl made for its drop-in). */
  async removeEmptyDirectory(path: string): Promise<void> {
    await this.executor.run('rmdir -- "$1" 2>/dev/null || true', [path])
  }

  async copy(from: string, to: string): Promise<void> {
    this.check(await this.executor.run('cp -p -- "$1" "$2"', [from, to]), `cannot back up ${from} to ${to}`)
  }

  /** Puts a file back exactly as it was: its bytes, or its absence. */
  async restore(path: string, before: string | null, mode?: string): Promise<void> {
    if (before === null) await this.remove(path)
    else await this.write(path, before, mode)
  }

  private check(result: CommandOutcome, what: string): void {
    if (result.exitCode !== 0) {
      throw new FleetError(`${what} on ${this.executor.name}: ${firstLine(result.stderr) || `exit status ${result.exitCode}`}`, {code: 'host_file', exit: 'failure'})
    }
  }
}
