/** Counters and gauges for Prometheus' text format (no client library: a handful of numbers). */
export class ProxyMetrics {
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

  authFailure(reason: string): void {
    this.authFailures.set(reason, (this.authFailures.get(reason) ?? 0) + 1)
  }

  sessionStarted(kind: string): void {
    this.sessions.set(kind, (this.sessions.get(kind) ?? 0) + 1)
    this.sessionsActive++
  }

  render(): string {
    const lines: string[] = []
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`)
    }
    metric('fleetctl_proxy_connections_total', 'counter', 'SSH connections accepted.', [['', this.connections]])
    metric('fleetctl_proxy_connections_active', 'gauge', 'SSH connections open now.', [['', this.connectionsActive]])
    metric('fleetctl_proxy_connections_dropped_total', 'counter', 'Unauthenticated connections dropped by the startup limit.', [['', this.connectionsDropped]])
    metric('fleetctl_proxy_auth_failures_total', 'counter', 'Refused user authentications, by reason.', [
      ['', [...this.authFailures.values()].reduce((a, b) => a + b, 0)],
      ...[...this.authFailures].map(([reason, n]): [string, number] => [`{reason="${reason}"}`, n]),
    ])
    metric('fleetctl_proxy_sessions_total', 'counter', 'Sessions started, by kind.', [...this.sessions].map(([kind, n]): [string, number] => [`{kind="${kind}"}`, n]))
    metric('fleetctl_proxy_sessions_active', 'gauge', 'Sessions open now.', [['', this.sessionsActive]])
    metric('fleetctl_proxy_sessions_refused_total', 'counter', 'Sessions refused (limits, recording, agent).', [['', this.sessionsRefused]])
    metric('fleetctl_proxy_bytes_total', 'counter', 'Session bytes relayed, by direction (in: client to host).', [
      ['{direction="in"}', this.bytes.in],
      ['{direction="out"}', this.bytes.out],
    ])
    metric('fleetctl_proxy_hosts_rejected_total', 'counter', 'Upstream hosts refused by host key checks.', [['', this.hostsRejected]])
    metric('fleetctl_proxy_recording_failures_total', 'counter', 'Sessions ended because their recording could no longer be written.', [['', this.recordingFailures]])
    metric('fleetctl_proxy_port_forwards_total', 'counter', 'Port forwards opened.', [['', this.forwards]])
    return `${lines.join('\n')}\n`
  }
}
