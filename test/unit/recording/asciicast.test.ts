import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {AsciicastEncoder, buildHeader, CastFormatError, encodeEvent, encodeHeader, parseCast, type SessionMetadata} from '../../../src/recording/asciicast.js'

const session: SessionMetadata = {
  client: '192.0.2.10:51234',
  command: null,
  host: 'web1.example.com',
  keyId: 'alice@example.com',
  login: 'deploy',
  session: '0195d3c2-7b1e-7a51-9f3e-4c2d8a6b1e07',
  user: 'alice',
}
const startedAt = new Date('2025-01-31T12:00:00.750Z')
const golden = (name: string) => readFileSync(new URL(`golden/${name}`, import.meta.url), 'utf8')

describe('asciicast v2 header', () => {
  it('has the required fields, env and the fleetctl block', () => {
    const header = buildHeader(session, {cols: 120, rows: 40, shell: '/bin/bash', term: 'xterm-256color'}, startedAt)
    expect(header).toEqual({
      env: {SHELL: '/bin/bash', TERM: 'xterm-256color'},
      fleetctl: {client: '192.0.2.10:51234', command: null, host: 'web1.example.com', keyId: 'alice@example.com', login: 'deploy', session: session.session, user: 'alice'},
      height: 40,
      timestamp: 1_738_324_800,
      title: 'deploy@web1.example.com',
      version: 2,
      width: 120,
    })
  })

  it('names the command of an exec session with a terminal, and leaves SHELL out when unknown', () => {
    const header = buildHeader({...session, command: 'top'}, {cols: 80, rows: 24, term: 'vt100'}, startedAt)
    expect(header.command).toBe('top')
    expect(header.fleetctl?.command).toBe('top')
    expect(header.env).toEqual({TERM: 'vt100'})
  })

  it('is one line of JSON', () => {
    const line = encodeHeader(buildHeader(session, {cols: 80, rows: 24, term: 'xterm'}, startedAt))
    expect(line.endsWith('\n')).toBe(true)
    expect(line.indexOf('\n')).toBe(line.length - 1)
    expect(JSON.parse(line).version).toBe(2)
  })
})

describe('asciicast v2 events', () => {
  it('encodes time with microseconds and escapes control characters', () => {
    expect(encodeEvent(1.5, 'o', '\u001b[1mhi\u0007\r\n"\\')).toBe('[1.500000, "o", "\\u001b[1mhi\\u0007\\r\\n\\"\\\\"]\n')
    expect(encodeEvent(0.000_000_4, 'r', '80x24')).toBe('[0.000000, "r", "80x24"]\n')
  })

  it('produces the golden recording for a small session', () => {
    const encoder = new AsciicastEncoder({coalesceMs: 5})
    let text = encodeHeader(buildHeader(session, {cols: 80, rows: 24, shell: '/bin/bash', term: 'xterm-256color'}, startedAt))
    encoder.output(Buffer.from('deploy@web1:~$ '), 248.848)
    encoder.output(Buffer.from('\u001b[1;31mHello'), 1001.376)
    encoder.output(Buffer.from(' World\u001b[0m\r\n'), 1003) // within 5 ms: the same event
    encoder.output(Buffer.from('caf\xc3', 'latin1'), 1200) // é cut in two
    encoder.output(Buffer.from('\xa9 \xff\r\n', 'latin1'), 2143.733) // its second half, then a bad byte
    encoder.resize(100, 30, 4050)
    text += encoder.take().toString()
    encoder.output(Buffer.from('Bye!'), 6541.828)
    encoder.output(Buffer.from([0xe2, 0x9c]), 6600) // cut short by the end of the session
    text += encoder.take(true).toString()
    expect(text).toBe(golden('session.cast'))
  })

  it('coalesces chunks only within the window and up to the event size limit', () => {
    const encoder = new AsciicastEncoder({coalesceMs: 5, maxEventBytes: 8})
    encoder.output(Buffer.from('ab'), 0)
    encoder.output(Buffer.from('cd'), 4)
    encoder.output(Buffer.from('ef'), 6) // 6 ms after the event began: a new event
    encoder.output(Buffer.from('0123456789'), 7) // over the size limit: closed at once
    encoder.output(Buffer.from('x'), 8)
    expect(parseCast(`{"version":2,"width":1,"height":1}\n${encoder.take().toString()}`).events).toEqual([
      [0, 'o', 'abcd'],
      [0.006, 'o', 'ef0123456789'],
      [0.008, 'o', 'x'],
    ])
  })

  it('closes the open event before a resize, so output and resize stay in order', () => {
    const encoder = new AsciicastEncoder()
    encoder.output(Buffer.from('before'), 10)
    encoder.resize(132, 43, 11)
    encoder.output(Buffer.from('after'), 12)
    expect(encoder.take().toString()).toBe('[0.010000, "o", "before"]\n[0.011000, "r", "132x43"]\n[0.012000, "o", "after"]\n')
  })

  it('keeps what it has not been asked for yet', () => {
    const encoder = new AsciicastEncoder()
    expect(encoder.take().length).toBe(0)
    encoder.output(Buffer.from('x'), 0)
    expect(encoder.bufferedBytes).toBe(1)
    expect(encoder.take().toString()).toBe('[0.000000, "o", "x"]\n')
    expect(encoder.bufferedBytes).toBe(0)
  })
})

describe('reading asciicast', () => {
  it('reads the golden recording back', () => {
    const cast = parseCast(golden('session.cast'))
    expect(cast.header.fleetctl?.session).toBe(session.session)
    expect(cast.truncated).toBe(false)
    expect(cast.events.filter((e) => e[1] === 'o').map((e) => e[2]).join('')).toBe('deploy@web1:~$ \u001b[1;31mHello World\u001b[0m\r\ncafé \uFFFD\r\nBye!\uFFFD')
    expect(cast.events.find((e) => e[1] === 'r')).toEqual([4.05, 'r', '100x30'])
  })

  it('drops a last line cut short by a crash, and says so', () => {
    const text = golden('session.cast')
    const cut = text.slice(0, text.lastIndexOf('\n', text.length - 2) + 6)
    const cast = parseCast(cut)
    expect(cast.truncated).toBe(true)
    expect(cast.events.length).toBe(parseCast(text).events.length - 1)
  })

  it('rejects a damaged line that is not the last, and a file that is not asciicast v2', () => {
    const lines = golden('session.cast').split('\n')
    lines[2] = lines[2].slice(0, 5)
    expect(() => parseCast(lines.join('\n'))).toThrow(/line 3/)
    expect(() => parseCast('{"version": 1, "width": 80, "height": 24}\n')).toThrow(CastFormatError)
    expect(() => parseCast('')).toThrow(/empty/)
  })
})
