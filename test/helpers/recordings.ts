import {join} from 'node:path'

import {AuditLog} from '../../src/audit/index.js'
import {RecordingStore, type SessionMetadata} from '../../src/recording/index.js'
import {statePaths} from '../../src/state/home.js'

/** The session id that `--help` examples name. */
export const EXAMPLE_SESSION = '7d3f9a2c-4b1e-4f0a-9c8d-2e6b5a1f0c93'

export const EXAMPLE_OUTPUT = [
  'alice@web1:~$ ',
  'uptime\r\n',
  ' 12:00:05 up 3 days,  2:13,  1 user,  load average: 0.00, 0.01, 0.05\r\n',
  'alice@web1:~$ ',
  'printf "caf\\xc3\\xa9 \\xe2\\x9c\\x93\\n"\r\n',
  'café ✓\r\n',
  'alice@web1:~$ ',
  'exit\r\nlogout\r\n',
]

export const EXAMPLE_METADATA: SessionMetadata = {
  client: '192.0.2.10:51234',
  host: 'web1.example.com',
  keyId: 'alice@example.com',
  login: 'alice',
  session: EXAMPLE_SESSION,
  user: 'alice',
}

/**
 * A state directory's recordings and audit log as the proxy would leave them after one terminal
 * session and one scp-like exec, written through the real recorder with a fake clock.
 */
export async function seedRecordings(home: string): Promise<void> {
  const paths = statePaths(home)
  const store = await RecordingStore.open(paths.recordings)
  const audit = await AuditLog.open(paths.auditLog)
  let ms = 0
  const clock = () => ms
  const context = {client: EXAMPLE_METADATA.client, host: EXAMPLE_METADATA.host, login: 'alice', session: EXAMPLE_SESSION, user: 'alice'}
  await audit.record({...context, event: 'session.start', kind: 'shell', pty: {cols: 80, rows: 24, term: 'xterm-256color'}, recording: `${EXAMPLE_SESSION}.cast`})
  const pty = await store.startPty(EXAMPLE_METADATA, {cols: 80, rows: 24, shell: '/bin/bash', term: 'xterm-256color'}, {onError: (error) => {
    throw error
  }}, {clock})
  for (const [i, text] of EXAMPLE_OUTPUT.entries()) {
    ms += i === 1 ? 1500 : 120
    pty.output(Buffer.from(text))
    if (i === 2) pty.resize(100, 30)
  }

  const end = await pty.close({exitStatus: 0})
  await audit.record({...context, event: 'session.end', bytes: end.bytes, duration: end.duration, exitSignal: null, exitStatus: 0})

  const exec = {...EXAMPLE_METADATA, command: 'scp -t /tmp/report.csv', session: '0b8e4d21-5c3a-4e7f-8a90-1d2c3b4a5e6f'}
  const execContext = {...context, session: exec.session}
  await audit.record({...execContext, event: 'exec', command: exec.command, pty: false})
  const streams = await store.startStreams(exec, {onError: (error) => {
    throw error
  }}, {raw: true})
  streams.write('stdin', Buffer.from('C0644 6 report.csv\nq,1,2\n\0'))
  streams.write('stdout', Buffer.from('\0\0\0'))
  const summary = await streams.close({exitStatus: 0})
  await audit.record({...execContext, event: 'session.end', bytes: summary.bytes, duration: summary.duration, exitSignal: null, exitStatus: 0, sha256: summary.sha256})
  await audit.record({client: '198.51.100.7:40022', event: 'auth.failure', host: null, login: 'root', reason: 'certificate expired', session: 'conn-5f1e', user: 'mallory', fingerprint: 'SHA256:3k0Jt1yq5b6Jm7m4S2nV0x9oPq2rT8uW1yZ4aB6cD8e'})
  await audit.close()
  await store.close()
}

export function castFile(home: string, session = EXAMPLE_SESSION): string {
  return join(statePaths(home).recordings, `${session}.cast`)
}
