import {describe, expect, it} from 'vitest'

import {ProxyMetrics} from '../../../src/proxy/metrics.js'
import {parsePrometheusText, sampleValue} from '../../helpers/prometheus.js'

describe('ProxyMetrics (prom-client)', () => {
  it('keeps the metric names, counts what the data path added, and reads as strict Prometheus text', async () => {
    const metrics = new ProxyMetrics()
    metrics.connections += 3
    metrics.bytes.in += 10
    metrics.bytes.out += 25
    metrics.sessionStarted('exec')
    metrics.sessionStarted('exec')
    metrics.authFailure('expired')
    const families = parsePrometheusText(await metrics.render())
    expect(sampleValue(families, 'fleetctl_proxy_connections_total')).toBe(3)
    expect(sampleValue(families, 'fleetctl_proxy_bytes_total', {direction: 'in'})).toBe(10)
    expect(sampleValue(families, 'fleetctl_proxy_bytes_total', {direction: 'out'})).toBe(25)
    expect(sampleValue(families, 'fleetctl_proxy_sessions_total', {kind: 'exec'})).toBe(2)
    expect(sampleValue(families, 'fleetctl_proxy_sessions_active')).toBe(2)
    expect(sampleValue(families, 'fleetctl_proxy_auth_failures_total')).toBe(1)
    expect(families.get('fleetctl_proxy_connections_total')?.type).toBe('counter')
    expect(families.get('fleetctl_proxy_connections_active')?.type).toBe('gauge')

    // A scrape reads the numbers as they are then: counting on, not from zero or twice.
    metrics.connections++
    expect(sampleValue(parsePrometheusText(await metrics.render()), 'fleetctl_proxy_connections_total')).toBe(4)
  })

  it('times the first session of a client connection only, and authentication', async () => {
    const metrics = new ProxyMetrics()
    const outer = {openedAt: performance.now()}
    metrics.authenticated(outer)
    metrics.sessionStarted('shell', outer)
    metrics.sessionStarted('exec', outer)
    const families = parsePrometheusText(await metrics.render())
    expect(families.get('fleetctl_proxy_session_setup_seconds')?.type).toBe('histogram')
    expect(sampleValue(families, 'fleetctl_proxy_session_setup_seconds_count', {kind: 'shell'})).toBe(1)
    expect(sampleValue(families, 'fleetctl_proxy_session_setup_seconds_count', {kind: 'exec'})).toBeUndefined()
    expect(sampleValue(families, 'fleetctl_proxy_auth_seconds_count')).toBe(1)
  })

  it('escapes label values (a reason can carry what a client sent): quote, backslash, newline', async () => {
    const metrics = new ProxyMetrics()
    const reason = 'odd"method\\name\nnext'
    metrics.authFailure(reason)
    const text = await metrics.render()
    expect(text).toContain('fleetctl_proxy_auth_failures_total{reason="odd\\"method\\\\name\\nnext"} 1\n')
    expect(sampleValue(parsePrometheusText(text), 'fleetctl_proxy_auth_failures_total', {reason})).toBe(1)
  })

  it('has prom-client defaults in a registry of its own: two proxies in one process do not clash', async () => {
    const one = new ProxyMetrics()
    const two = new ProxyMetrics()
    one.connections = 5
    const [a, b] = [parsePrometheusText(await one.render()), parsePrometheusText(await two.render())]
    expect(sampleValue(a, 'fleetctl_proxy_connections_total')).toBe(5)
    expect(sampleValue(b, 'fleetctl_proxy_connections_total')).toBe(0)
    for (const families of [a, b]) {
      expect(families.has('process_cpu_user_seconds_total')).toBe(true)
      expect(families.has('nodejs_eventloop_lag_seconds')).toBe(true)
      expect(families.has('nodejs_gc_duration_seconds')).toBe(true)
    }
  })

  it('the strict reader refuses what the format does not allow', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/before its family's TYPE/)
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="b\nc"} 1\n')).toThrow()
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="b\\tc"} 1\n')).toThrow(/bad escape/)
    expect(() => parsePrometheusText('# TYPE x counter\nx one\n')).toThrow(/not a sample value/)
  })
})
