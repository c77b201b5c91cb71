/**
 * Where people, roles, locks and enrolment tokens are kept: one narrow, async interface so that
 * a shared database can stand in for the files later without touching its callers.
 */
import {randomBytes} from 'node:crypto'
import {chmod, mkdir, readdir, readFile, rename, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {FleetError} from '../base/errors.js'
import {writeFileSafely} from '../state/files.js'
import type {EnrolmentToken, Lock, Role, User} from './types.js'

export interface IdentityStore {
  getUser(name: string): Promise<undefined | User>
  listUsers(): Promise<User[]>
  /** Creates a user; refuses an existing name. */
  createUser(user: User): Promise<void>
  /** Read, change and write one user; undefined when there is no such user. */
  updateUser(name: string, change: (user: User) => User): Promise<undefined | User>
  deleteUser(name: string): Promise<boolean>

  getRole(name: string): Promise<Role | undefined>
  listRoles(): Promise<Role[]>
  putRole(role: Role): Promise<void>
  deleteRole(name: string): Promise<boolean>

  listLocks(): Promise<Lock[]>
  putLock(lock: Lock): Promise<void>
  deleteLock(id: string): Promise<boolean>

  putToken(token: EnrolmentToken): Promise<void>
  /** Removes and returns a token: of two concurrent takers, one gets it. */
  takeToken(id: string): Promise<EnrolmentToken | undefined>
  /** Removes every token of a user (a new token replaces the old, removing the user removes them). */
  deleteTokensOf(user: string): Promise<void>
}

/** Names of users and roles: they become file names and certificate key ids. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/

export function checkName(kind: 'role' | 'user', name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new FleetError(`${kind} name "${name}" may only hold letters, digits, ".", "_" and "-" (at most 64, not starting with "." or "-")`, {code: `bad_${kind}_name`, exit: 'usage'})
  }
}

type Kind = 'locks' | 'roles' | 'tokens' | 'users'

/**
 * The file backend: `<home>/identity/{users,roles,locks,tokens}/<name>.json`, folders 0700 and
 * files 0600 (they hold password hashes and TOTP seeds), each written whole to a temp file and
 * renamed over the old one. One file per record keeps the proxy's write of one user's TOTP step
 * from racing an admin's change to another user.
 */
export class FileIdentityStore implements IdentityStore {
  /** Read-modify-write of one record is serialized within this process. */
  private readonly queues = new Map<string, Promise<unknown>>()

  constructor(readonly dir: string) {}

  static forHome(home: string): FileIdentityStore {
    return new FileIdentityStore(join(home, 'identity'))
  }

  getUser(name: string): Promise<undefined | User> {
    return this.read<User>('users', name)
  }

  listUsers(): Promise<User[]> {
    return this.list<User>('users')
  }

  async createUser(user: User): Promise<void> {
    checkName('user', user.name)
    await this.ensure('users')
    await writeFileSafely(this.path('users', user.name), json(user), {mode: 0o600}).catch((error: unknown) => {
      if (error instanceof FleetError && error.code === 'file_exists') {
        throw new FleetError(`user ${user.name} already exists`, {code: 'user_exists', exit: 'refused', suggestions: [`Change it with \`fleetctl users update ${user.name}\`, or remove it first with \`fleetctl users rm ${user.name}\`.`]})
      }
      throw error
    })
  }

  updateUser(name: string, change: (user: User) => User): Promise<undefined | User> {
    return this.serialize(`users/${name}`, async () => {
      const user = await this.getUser(name)
      if (!user) return undefined
      const next = change(structuredClone(user))
      await this.write('users', name, next)
      return next
    })
  }

  deleteUser(name: string): Promise<boolean> {
    return this.remove('users', name)
  }

  async getRole(name: string): Promise<Role | undefined> {
    return this.read<Role>('roles', name)
  }

  listRoles(): Promise<Role[]> {
    return this.list<Role>('roles')
  }

  async putRole(role: Role): Promise<void> {
    checkName('role', role.name)
    await this.write('roles', role.name, role)
  }

  deleteRole(name: string): Promise<boolean> {
    return this.remove('roles', name)
  }

  listLocks(): Promise<Lock[]> {
    return this.list<Lock>('locks')
  }

  putLock(lock: Lock): Promise<void> {
    return this.write('locks', lock.id, lock)
  }

  deleteLock(id: string): Promise<boolean> {
    return this.remove('locks', id)
  }

  putToken(token: EnrolmentToken): Promise<void> {
    return this.write('tokens', token.id, token)
  }

  async takeToken(id: string): Promise<EnrolmentToken | undefined> {
    if (!/^[0-9a-f]{64}$/.test(id)) return undefined
    // rename is atomic: of two takers only one moves the file.
    const taken = join(this.dir, 'tokens', `.${id}.${randomBytes(6).toString('hex')}.taken`)
    try {
      await rename(this.path('tokens', id), taken)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    try {
      return JSON.parse(await readFile(taken, 'utf8')) as EnrolmentToken
    } finally {
      await unlink(taken).catch(() => {})
    }
  }

  async deleteTokensOf(user: string): Promise<void> {
    for (const token of await this.list<EnrolmentToken>('tokens')) if (token.user === user) await this.remove('tokens', token.id)
  }

  private path(kind: Kind, name: string): string {
    if (!NAME_PATTERN.test(name)) throw new FleetError(`"${name}" is not a valid name`, {code: 'bad_name', exit: 'usage'})
    return join(this.dir, kind, `${name}.json`)
  }

  private async ensure(kind: Kind): Promise<void> {
    await mkdir(join(this.dir, kind), {mode: 0o700, recursive: true})
    // mkdir's mode is masked by the umask; the folders must not be readable by others.
    await chmod(this.dir, 0o700)
    await chmod(join(this.dir, kind), 0o700)
  }

  private async read<T>(kind: Kind, name: string): Promise<T | undefined> {
    if (!NAME_PATTERN.test(name)) return undefined
    try {
      return JSON.parse(await readFile(this.path(kind, name), 'utf8')) as T
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  private async write(kind: Kind, name: string, value: unknown): Promise<void> {
    await this.ensure(kind)
    await writeFileSafely(this.path(kind, name), json(value), {mode: 0o600, overwrite: true})
  }

  private async remove(kind: Kind, name: string): Promise<boolean> {
    if (!NAME_PATTERN.test(name)) return false
    try {
      await unlink(this.path(kind, name))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
  }

  private async list<T>(kind: Kind): Promise<T[]> {
    const names = await readdir(join(this.dir, kind)).catch(() => [] as string[])
    const records = await Promise.all(names.filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => this.read<T>(kind, f.slice(0, -5))))
    return records.filter((r): r is Awaited<T> => r !== undefined) as T[]
  }

  private serialize<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve()
    const next = previous.then(work, work)
    const settled = next.catch(() => {})
    this.queues.set(key, settled)
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key)
    })
    return next
  }
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`
