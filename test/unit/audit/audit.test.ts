import {spawn} from 'node:child_process'
import {appendFileSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, describe, expect, it} from 'vitest'

import {AUDIT_EVENT_NAMES, type AuditEvent, AuditLog, formatAuditLine, formatAuditRecord, parseSince, queryAudit} from '../../../src/audit/index.js'
import {tmpDir} from '../../helpers/tmp.js'

const tmp = tmpDir()
afterAll(() => tmp.remove())

const who = {client: '192.0.2.10:51234', host: 'web1.example.com', login: 'deploy', session: 's1', user: 'alice'}
const at = new Date('2025-01-31T12:00:00.000Z')

/** One event of every kind, as the proxy sends them. */
const samples: AuditEvent[] = [
  {...who, event: 'session.start', kind: 'shell', pty: {cols: 80, rows: 24, term: 'xterm'}, recording: 's1.cast'},
  {...who, event: 'exec', command: 'uname -a', pty: false},
  {...who, event: 'subsystem', name: 'sftp'},
  {...who, allowed: true, destHost: 'db1', destPort: 5432, direction: 'local', event: 'port.forward', origHost: '127.0.0.1', origPort: 40_000},
  {...who, bytes: {stderr: 0, stdin: 3, stdout: 9}, duration: 1.25, event: 'session.end', exitSignal: null, exitStatus: 0, sha256: {stderr: 'e3', stdin: 'a1', stdout: 'b2'}},
  {client: '198.51.100.7:40022', event: 'auth.failure', fingerprint: 'SHA256:abc', host: null, keyId: 'mallory', login: 'root', method: 'publickey', reason: 'certificate expired', session: 'c9', user: null},
  {...who, event: 'host.rejected', fingerprint: 'SHA256:def', reason: 'the host presented a plain key, expected a host certificate'},
  {...who, event: 'agent.missing', hint: 'Add "ForwardAgent yes" under "Host proxy" in ~/.ssh/config'},
  {client: null, connectionsClosed: 2, event: 'proxy.stopped', host: null, login: null, session: null, sessionsCut: 1, user: null},
]

/** The login API's events (src/identity): no login or host yet; a request id as the session. */
const loginSamples: AuditEvent[] = [
  {client: '192.0.2.10:51234', event: 'login.success', fingerprint: 'SHA256:ghi', host: null, login: null, method: 'password+totp', principals: ['alice'], roles: ['dev'], serial: '42', session: 'r1', ttlCapped: true, ttlSeconds: 28_800, user: 'alice'},
  {client: '192.0.2.10:51234', event: 'login.failure', host: null, login: null, method: 'password+totp', reason: 'totp_replayed', session: 'r2', user: 'alice'},
  {client: '192.0.2.10:51234', event: 'user.enrolled', host: null, login: null, session: 'r3', user: 'alice'},
]

describe('audit event lines', () => {
  it('has a sample of every event', () => {
    expect([...samples, ...loginSamples].map((s) => s.event).sort()).toEqual([...AUDIT_EVENT_NAMES].sort())
  })

  it('writes time, event, the context, then the event\'s fields, as one line', () => {
    expect(formatAuditLine(samples[1], at)).toBe(
      '{"time":"2025-01-31T12:00:00.000Z","event":"exec","session":"s1","user":"alice","login":"deploy","host":"web1.example.com","client":"192.0.2.10:51234","command":"uname -a","pty":false}\n',
    )
    expect(formatAuditLine(samples[5], at)).toBe(
      '{"time":"2025-01-31T12:00:00.000Z","event":"auth.failure","session":"c9","user":null,"login":"root","host":null,"client":"198.51.100.7:40022","reason":"certificate expired","method":"publickey","keyId":"mallory","fingerprint":"SHA256:abc"}\n',
    )
    for (const sample of [...samples, ...loginSamples]) {
      const line = formatAuditLine(sample, at)
      expect(line.indexOf('\n')).toBe(line.length - 1)
      expect(Object.keys(JSON.parse(line)).slice(0, 7)).toEqual(['time', 'event', 'session', 'user', 'login', 'host', 'client'])
      expect(JSON.parse(line)).toEqual({time: at.toISOString(), ...sample})
    }
  })

  it('writes only the declared fields, whatever else an object carries', () => {
    const leaky = {...samples[5], agentReply: Buffer.from('sign-response').toString('base64'), privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----'} as unknown as AuditEvent
    const line = formatAuditLine(leaky, at)
    expect(line).not.toContain('PRIVATE KEY')
    expect(line).not.toContain('agentReply')
    expect(() => formatAuditLine({...who, event: 'nope'} as unknown as AuditEvent)).toThrow(/unknown audit event/)
  })

  it('reads well for people', () => {
    expect(formatAuditRecord({...samples[4], time: at.toISOString()} as never)).toBe(
      '2025-01-31T12:00:00.000Z session.end   alice deploy@web1.example.com session=s1 client=192.0.2.10:51234 duration=1.25 exitStatus=0 bytes.stderr=0 bytes.stdin=3 bytes.stdout=9 sha256.stderr=e3 sha256.stdin=a1 sha256.stdout=b2',
    )
  })
})

describe('the audit log', () => {
  it('appends lines to a private file and reads them back with filters', async () => {
    const path = join(tmp.path, 'state', 'audit.log')
    const log = await AuditLog.open(path)
    for (const [i, sample] of samples.entries()) await log.record(sample, new Date(at.getTime() + i * 60_000))
    await log.close()
    expect(statSync(path).mode & 0o777).toBe(0o600)

    expect((await queryAudit(path)).events).toHaveLength(samples.length)
    expect((await queryAudit(path, {events: ['session']})).events.map((e) => e.event)).toEqual(['session.start', 'session.end'])
    expect((await queryAudit(path, {events: ['exec', 'subsystem']})).events.map((e) => e.event)).toEqual(['exec', 'subsystem'])
    expect((await queryAudit(path, {user: 'alice', session: 's1'})).events).toHaveLength(samples.filter((s) => s.user === 'alice').length)
    expect((await queryAudit(path, {since: new Date(at.getTime() + 5 * 60_000)})).events.map((e) => e.event)).toEqual(['auth.failure', 'host.rejected', 'agent.missing', 'proxy.stopped'])
    expect((await queryAudit(path, {limit: 2})).events.map((e) => e.event)).toEqual(['agent.missing', 'proxy.stopped'])
  })

  it('skips a line cut short by a crash, and reads a missing log as empty', async () => {
    const path = join(tmp.path, 'cut.log')
    writeFileSync(path, formatAuditLine(samples[0], at))
    appendFileSync(path, '{"time":"2025-01-31T12:0')
    expect(await queryAudit(path)).toMatchObject({events: [{event: 'session.start'}], skipped: 1})
    expect(await queryAudit(join(tmp.path, 'none.log'))).toEqual({events: [], skipped: 0})
  })

  it('fails to open where it cannot be written', async () => {
    const file = join(tmp.path, 'a-file')
    writeFileSync(file, '')
    await expect(AuditLog.open(join(file, 'audit.log'))).rejects.toMatchObject({code: 'audit_unavailable'})
  })

  it('keeps whole lines when several processes append at once', async () => {
    const path = join(tmp.path, 'shared.log')
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    const writer = fileURLToPath(new URL('../../fixtures/audit-writer.ts', import.meta.url))
    const run = (id: number) =>
      new Promise<number | null>((resolve) => spawn(process.execPath, ['--import', 'tsx', writer, path, String(id), '200'], {cwd: root, stdio: 'inherit'}).on('exit', resolve))
    expect(await Promise.all([1, 2, 3, 4].map(run))).toEqual([0, 0, 0, 0])
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean)
    expect(lines).toHaveLength(800)
    for (const line of lines) {
      const record = JSON.parse(line)
      expect(record.command).toMatch(new RegExp(`^\\d+ (${record.session.slice(1)}){20000}$`))
    }
  })
})

describe('--since', () => {
  const now = new Date('2025-01-31T12:00:00Z')
  it('takes a duration back from now or a date', () => {
    expect(parseSince('1h', now).toISOString()).toBe('2025-01-31T11:00:00.000Z')
    expect(parseSince('7d', now).toISOString()).toBe('2025-01-24T12:00:00.000Z')
    expect(parseSince('2025-01-30T00:00:00Z', now).toISOString()).toBe('2025-01-30T00:00:00.000Z')
    expect(() => parseSince('yesterday', now)).toThrow(/neither a duration nor a date/)
  })
})
