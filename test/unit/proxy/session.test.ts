import {describe, expect, it} from 'vitest'

import {terminalSize} from '../../../src/proxy/session.js'

describe('terminalSize', () => {
  it('keeps the size the client asked for', () => {
    const info = {cols: 132, rows: 50, width: 0, height: 0, term: 'xterm'}
    expect(terminalSize(info)).toBe(info)
  })

  it('gives a PTY requested without a size (ssh -tt with no terminal: 0x0) 80x24, keeping the rest', () => {
    expect(terminalSize({cols: 0, rows: 0, width: 0, height: 0, term: 'xterm'})).toEqual({cols: 80, rows: 24, width: 0, height: 0, term: 'xterm'})
  })

  it('fills in only the missing dimension', () => {
    expect(terminalSize({cols: 100, rows: 0})).toEqual({cols: 100, rows: 24})
    expect(terminalSize({cols: 0, rows: 40})).toEqual({cols: 80, rows: 40})
  })
})
