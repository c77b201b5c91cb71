import {describe, expect, it} from 'vitest'

import {closestCommand} from '../../../src/base/closest-command.js'

const IDS = ['agent:check', 'audit', 'auth:sign', 'ca:export', 'ca:init', 'doctor', 'enroll:host', 'help', 'hosts:ls', 'hosts:renew', 'login', 'recordings:export', 'recordings:ls', 'recordings:play']

describe('closestCommand', () => {
  it('corrects a word of a command', () => {
    expect(closestCommand('enrol:host', IDS)).toBe('enroll:host')
    expect(closestCommand('ca:exprot', IDS)).toBe('ca:export')
    expect(closestCommand('recording:ls', IDS)).toBe('recordings:ls')
    expect(closestCommand('hlep', IDS)).toBe('help')
  })

  it('compares a lone word with topics, and completes a topic of one command', () => {
    // `fleetctl enrol --yes host`: only "enrol" reaches the hook.
    expect(closestCommand('enrol', IDS)).toBe('enroll:host')
    expect(closestCommand('hots', IDS)).toBe('hosts')
    expect(closestCommand('recordigns', IDS)).toBe('recordings')
  })

  it('finds the command when arguments were taken for words of the id', () => {
    expect(closestCommand('enrol:host:web-1', IDS)).toBe('enroll:host')
  })

  it('has nothing to suggest without commands', () => {
    expect(closestCommand('anything', [])).toBeUndefined()
  })
})
