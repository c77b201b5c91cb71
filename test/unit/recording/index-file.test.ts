import {describe, expect, it} from 'vitest'

import {filterRecordings, formatIndexLine, parseIndex} from '../../../src/recording/index-file.js'
import {castPath, isSessionId, pathInside, streamPath} from '../../../src/recording/paths.js'

const start = (session: string, user: string, host: string, startTime: string) =>
  formatIndexLine({client: '192.0.2.1:2222', command: null, file: `${session}.cast`, host, keyId: null, kind: 'pty', login: 'root', session, start: startTime, user})

describe('the recordings index', () => {
  const text = [
    start('a', 'alice', 'web1', '2025-01-31T10:00:00.000Z'),
    start('b', 'bob', 'db1', '2025-01-31T11:00:00.000Z'),
    formatIndexLine({bytes: {stderr: 0, stdin: 5, stdout: 10}, duration: 61.5, end: '2025-01-31T10:01:01.500Z', exitSignal: null, exitStatus: 0, session: 'a'}),
    '{"session":"c","start":"2025-01', // a proxy killed mid-line
    '',
  ].join('')

  it('merges start and end lines into one entry per session, in start order', () => {
    const entries = parseIndex(text)
    expect(entries.map((e) => e.session)).toEqual(['a', 'b'])
    expect(entries[0]).toMatchObject({bytes: {stdout: 10}, duration: 61.5, exitStatus: 0, session: 'a', user: 'alice'})
    expect(entries[1].end).toBeUndefined()
  })

  it('ignores an end without a start and lines that are not entries', () => {
    expect(parseIndex('{"session":"z","end":"2025-01-31T00:00:00Z"}\n[1,2]\nnull\n')).toEqual([])
  })

  it('filters by user, host and start time', () => {
    const entries = parseIndex(text)
    expect(filterRecordings(entries, {user: 'bob'}).map((e) => e.session)).toEqual(['b'])
    expect(filterRecordings(entries, {host: 'web1'}).map((e) => e.session)).toEqual(['a'])
    expect(filterRecordings(entries, {since: new Date('2025-01-31T10:30:00Z')}).map((e) => e.session)).toEqual(['b'])
    expect(filterRecordings(entries, {}).length).toBe(2)
  })
})

describe('recording paths', () => {
  it('accepts ids made of letters, digits and dashes', () => {
    for (const id of ['0195d3c2-7b1e-7a51-9f3e-4c2d8a6b1e07', 'abc', 'A1-b2']) expect(isSessionId(id), id).toBe(true)
    for (const id of ['', '-lead', '../x', 'a/b', 'a\\b', 'a.b', 'a b', 'é', 'a\nb', 'x'.repeat(129)]) expect(isSessionId(id), id).toBe(false)
  })

  it('keeps every file inside the recordings folder', () => {
    expect(castPath('/state/recordings', 'abc')).toBe('/state/recordings/abc.cast')
    expect(streamPath('/state/recordings', 'abc', 'stdout')).toBe('/state/recordings/abc.stdout')
    expect(() => castPath('/state/recordings', '../../etc/passwd')).toThrow(/not a session id/)
    for (const name of ['..', '../x', '/etc/passwd', 'a/b', '', '.']) expect(() => pathInside('/state/recordings', name), name).toThrow()
    expect(pathInside('/state/recordings', 'ok.cast')).toBe('/state/recordings/ok.cast')
  })
})
