/**
 * /metrics after a real ssh session through the proxy: prom-client's exposition, read strictly,
 * with the process and event-loop metrics and the session setup and authentication histograms.
 */
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parsePrometheusText, sampleValue} from '../helpers/prometheus.js'
import {type ProxyFleet, runClient, startProxyFleet} from '../helpers/proxy.js'
import {tmpDir} from '../helpers/tmp.js'

describe('proxy /metrics', () => {
  const tmp = tmpDir('fleetctl-proxy-metrics-')
  let fleet: ProxyFleet

  beforeAll(async () => {
    fleet = await startProxyFleet(tmp.dir, tmp.dir('home'), 'dana')
  })

  afterAll(async () => {
    await fleet?.stop()
    tmp.remove()
  })

  it('after a session: strict Prometheus text with process, event-loop, setup-time and auth-time metrics', async () => {
    const session = await runClient('ssh', fleet.config, ['web1', 'echo through'], {agent: fleet.agent.socket})
    expect(session, session.stderr).toMatchObject({exitCode: 0, stdout: 'through'})
    await fleet.proxy.waitFor('session.start')

    const {stdout} = await execa('curl', ['-ksS', '-w', '\n%{content_type}', `https://127.0.0.1:${fleet.proxy.webPort}/metrics`])
    const contentType = stdout.slice(stdout.lastIndexOf('\n') + 1)
    const body = stdout.slice(0, stdout.lastIndexOf('\n') + 1)
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/)

    const families = parsePrometheusText(body)
    expect([...families.keys()].filter((name) => name.startsWith('process_')).length).toBeGreaterThan(0)
    expect(families.get('process_cpu_user_seconds_total')?.samples[0]?.value).toBeGreaterThan(0)
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge')
    expect(families.has('nodejs_eventloop_lag_p99_seconds')).toBe(true)
    expect(families.get('nodejs_gc_duration_seconds')?.type).toBe('histogram')

    expect(families.get('fleetctl_proxy_session_setup_seconds')?.type).toBe('histogram')
    expect(sampleValue(families, 'fleetctl_proxy_session_setup_seconds_count', {kind: 'exec'})).toBeGreaterThanOrEqual(1)
    expect(sampleValue(families, 'fleetctl_proxy_session_setup_seconds_sum', {kind: 'exec'})).toBeGreaterThan(0)
    expect(sampleValue(families, 'fleetctl_proxy_session_setup_seconds_bucket', {kind: 'exec', le: '+Inf'})).toBeGreaterThanOrEqual(1)
    expect(sampleValue(families, 'fleetctl_proxy_auth_seconds_count')).toBeGreaterThanOrEqual(1)

    // The names operators and the other tests already use.
    expect(sampleValue(families, 'fleetctl_proxy_sessions_total', {kind: 'exec'})).toBeGreaterThanOrEqual(1)
    expect(sampleValue(families, 'fleetctl_proxy_connections_total')).toBeGreaterThanOrEqual(1)
    expect(sampleValue(families, 'fleetctl_proxy_bytes_total', {direction: 'out'})).toBeGreaterThan(0)
  })
})
