import {describe, expect, it} from 'vitest'

import {type HostReport, runExitCode, type RunReport} from '../../../src/enroll/run.js'

const run = (...hosts: Array<Pick<HostReport, 'exit' | 'status'>>): RunReport => ({
  counts: {enrolled: 0, failed: 0, renewed: 0, skipped: 0, unchanged: 0, unenrolled: 0, 'would-change': 0},
  hosts: hosts.map((host, i) => ({host: `h${i}`, warnings: [], ...host})),
})

describe('runExitCode', () => {
  it('is 0 when no host failed, skipped hosts included', () => {
    expect(runExitCode(run({status: 'enrolled'}, {status: 'unchanged'}, {status: 'skipped'}))).toBe(0)
  })

  it("is the failed hosts' exit class when they share one", () => {
    expect(runExitCode(run({status: 'enrolled'}, {exit: 6, status: 'failed'}, {exit: 6, status: 'failed'}))).toBe(6)
    expect(runExitCode(run({exit: 5, status: 'failed'}))).toBe(5)
  })

  it('is 1 when the failed hosts failed for different reasons, or for one without a class', () => {
    expect(runExitCode(run({exit: 6, status: 'failed'}, {exit: 4, status: 'failed'}))).toBe(1)
    expect(runExitCode(run({status: 'failed'}))).toBe(1)
  })
})
