import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'

type Labels = Record<string, string>

/** Seconds, from a local connection (tens of ms) to a slow host or agent (seconds). */
const SETUP_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** A connection as the timing metrics see it: when the proxy accepted it (`performance.now()`). */
export interface TimedConnection {
  readonly openedAt: number
}

/**
 * The proxy's Prometheus metrics (`/metrics`), with prom-client's process, heap, GC and event-loop
 * metrics. Each proxy has a registry of its own, not prom-client's global one, so proxies in one
 * process keep their numbers apart.
 *
 * The data path adds to the plain numbers below (a relayed chunk costs one addition, not a label
 * lookup); the counters and gauges read them when /metrics is scraped. The timings are
 * histograms observed as they happen.
 */
export class ProxyMetrics {
  readonly registry = new Registry()
  connections = 0
  connectionsActive = 0
  connectionsDropped = 0
  authFailures = new Map<string, number>()
  sessions = new Map<string, number>()
  sessionsActive = 0
  sessionsRefused = 0
  bytes = {in: 0, out: 0}
  hostsRejected = 0
  forwards = 0
  recordingFailures = 0

  private readonly setupSeconds: Histogram<'kind'>
  private readonly authSeconds: Histogram
  /** Outer connections whose first session was timed already. */
  private readonly setupTimed = new WeakSet<TimedConnection>()

  /** Whether prom-client's default metrics run yet (from the first scrape on, see render()). */
  private defaultMetrics = false

  constructor() {
    const count = (name: string, help: string, samples: () => [Labels, number][], labelNames: string[] = []) => {
      // Set at each scrape to the number kept above: reset, then add it.
      const metric: Counter = new Counter({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          metric.reset()
          for (const [labels, value] of samples()) metric.inc(labels, value)
        },
      })
    }
    const gauge = (name: string, help: string, value: () => number) => {
      const metric: Gauge = new Gauge({name, help, registers: [this.registry], collect: () => metric.set(value())})
    }

    count('fleetctl_proxy_connections_total', 'SSH connections accepted.', () => [[{}, this.connections]])
    gauge('fleetctl_proxy_connections_active', 'SSH connections open now.', () => this.connectionsActive)
    count('fleetctl_proxy_connections_dropped_total', 'Unauthenticated connections dropped by the startup limit.', () => [[{}, this.connectionsDropped]])
    count(
      'fleetctl_proxy_auth_failures_total',
      'Refused user authentications: all of them (no label), and by reason.',
      () => [[{}, [...this.authFailures.values()].reduce((a, b) => a + b, 0)], ...[...this.authFailures].map(([reason, n]): [Labels, number] => [{reason}, n])],
      ['reason'],
    )
    count('fleetctl_proxy_sessions_total', 'Sessions started, by kind.', () => [...this.sessions].map(([kind, n]): [Labels, number] => [{kind}, n]), ['kind'])
    gauge('fleetctl_proxy_sessions_active', 'Sessions open now.', () => this.sessionsActive)
    count('fleetctl_proxy_sessions_refused_total', 'Sessions refused (limits, recording, agent).', () => [[{}, this.sessionsRefused]])
    count(
      'fleetctl_proxy_bytes_total',
      'Session bytes relayed, by direction (in: client to host).',
      () => [
        [{direction: 'in'}, this.bytes.in],
        [{direction: 'out'}, this.bytes.out],
      ],
      ['direction'],
    )
    count('fleetctl_proxy_hosts_rejected_total', 'Upstream hosts refused by host key checks.', () => [[{}, this.hostsRejected]])
    count('fleetctl_proxy_recording_failures_total', 'Sessions ended because their recording could no longer be written.', () => [[{}, this.recordingFailures]])
    count('fleetctl_proxy_port_forwards_total', 'Port forwards opened.', () => [[{}, this.forwards]])

    this.setupSeconds = new Histogram({
      name: 'fleetctl_proxy_session_setup_seconds',
      help: "From accepting a client's connection to its first session on the host being ready (the wait before the prompt), by kind.",
      labelNames: ['kind'],
      buckets: SETUP_BUCKETS,
      registers: [this.registry],
    })
    this.authSeconds = new Histogram({
      name: 'fleetctl_proxy_auth_seconds',
      help: "From accepting a client's connection to its user certificate being accepted (key exchange and authentication).",
      buckets: SETUP_BUCKETS,
      registers: [this.registry],
    })
  }

  authFailure(reason: string): void {
    this.authFailures.set(reason, (this.authFailures.get(reason) ?? 0) + 1)
  }

  /** A client's connection to the proxy authenticated. */
  authenticated(connection: TimedConnection): void {
    this.authSeconds.observe(secondsSince(connection.openedAt))
  }

  /** A session is running on the host; the first on `outer` (the client's connection) times the setup. */
  sessionStarted(kind: string, outer?: TimedConnection): void {
    this.sessions.set(kind, (this.sessions.get(kind) ?? 0) + 1)
    this.sessionsActive++
    if (!outer || this.setupTimed.has(outer)) return
    this.setupTimed.add(outer)
    this.setupSeconds.observe({kind}, secondsSince(outer.openedAt))
  }

  /** The Prometheus text exposition; its content type is `contentType`. */
  render(): Promise<string> {
    // prom-client's event-loop lag histogram samples on a timer, which wakes an idle proxy (10 ms
    // by default: ~100 wake-ups a second, where an idle proxy otherwise has none). It starts at the
    // first scrape, so a proxy nobody scrapes stays asleep, and samples every 100 ms.
    if (!this.defaultMetrics) {
      this.defaultMetrics = true
      collectDefaultMetrics({eventLoopMonitoringPrecision: 100, register: this.registry})
    }
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

const secondsSince = (start: number) => (performance.now() - start) / 1000
