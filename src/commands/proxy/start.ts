import {Flags} from '@oclif/core'

import {FleetCommand} from '../../base/command.js'
import {proxyKeysSummary} from '../../config/reference.js'
import {jsonLogger, ProxyServer, resolveProxyConfig, runUntilSignalled, tuneProcessForProxy} from '../../proxy/index.js'
import {readConfig, readConfigFile} from '../../state/config.js'

export default class ProxyStart extends FleetCommand<typeof ProxyStart> {
  static override summary = 'Run the recording SSH proxy in the foreground.'
  static override description = `Users reach fleet hosts through it with plain \`ssh -J <proxy> <host>\` (agent forwarded to the proxy or the host). It authenticates them with user certificates from the fleet user CA, presents host certificates it mints from the host CA, logs in to the host with the user's own certificate, and records every session: PTY sessions as asciicast v2 in <home>/recordings, every session, command, subsystem, forward and refusal in <home>/audit.log. Hosts must present a host certificate from the fleet host CA unless --no-checks-host-keys (or proxy_checks_host_keys: no in the config).

On first start with an empty state directory it creates the CAs there. Logs one JSON line per event on stdout. SIGTERM stops accepting and lets sessions finish (proxy.shutdown_grace_seconds); a second signal exits at once.

Config keys (config.yaml or --config, under "proxy:"; docs/config.md has each with its default): ${proxyKeysSummary()}. A key the proxy does not know is refused with its line.`

  static override enableJsonFlag = false

  // Examples marked "# runs until stopped" are run by the --help example test until the proxy logs proxy.listening.
  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> --public-addr proxy.example.com  # runs until stopped',
      description: 'Serve SSH on 0.0.0.0:3023 and HTTPS on 0.0.0.0:3080, reachable as proxy.example.com',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --no-checks-host-keys --web-listen off  # runs until stopped',
      description: 'Also accept hosts without a fleet host certificate (a warning is logged for each), without the web endpoint',
    },
    {
      command: 'printf \'proxy:\\n  limits:\\n    max_sessions_per_user: 5\\n\' > proxy.yaml && <%= config.bin %> <%= command.id %> --config proxy.yaml  # runs until stopped',
      description: 'Read the proxy settings from a file',
    },
  ]

  static override flags = {
    config: Flags.string({env: 'FLEETCTL_PROXY_CONFIG', summary: 'YAML file with the proxy settings (default: <home>/config.yaml).'}),
    listen: Flags.string({env: 'FLEETCTL_PROXY_LISTEN', summary: 'SSH address to listen on (default 0.0.0.0:3023).'}),
    'web-listen': Flags.string({env: 'FLEETCTL_PROXY_WEB_LISTEN', summary: 'HTTPS address for the login API, /webapi/auth/export, /healthz, /metrics (default 0.0.0.0:3080; "off" for none).'}),
    'public-addr': Flags.string({env: 'FLEETCTL_PROXY_PUBLIC_ADDR', multiple: true, delimiter: ',', summary: 'Names users reach the proxy by; its host certificate covers them.'}),
    'checks-host-keys': Flags.boolean({
      allowNo: true,
      env: 'FLEETCTL_PROXY_CHECKS_HOST_KEYS',
      summary: 'Require a fleet host certificate from every host (default); --no-checks-host-keys accepts plain keys with a warning.',
    }),
    'tls-cert': Flags.string({dependsOn: ['tls-key'], env: 'FLEETCTL_PROXY_TLS_CERT', summary: 'PEM certificate for the web endpoint (default: self-signed, kept in <home>/proxy).'}),
    'tls-key': Flags.string({dependsOn: ['tls-cert'], env: 'FLEETCTL_PROXY_TLS_KEY', summary: 'PEM private key for --tls-cert.'}),
  }

  async run(): Promise<void> {
    const {flags} = this
    tuneProcessForProxy()
    const log = jsonLogger((line) => process.stdout.write(line))
    const file = flags.config ? await readConfigFile(flags.config) : await readConfig(this.home)
    const config = resolveProxyConfig(this.home, file, {
      listen: flags.listen,
      webListen: flags['web-listen'],
      publicAddr: flags['public-addr'],
      checksHostKeys: flags['checks-host-keys'],
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
    })
    const server = await ProxyServer.create(config, log)
    await server.listen()
    await runUntilSignalled(server, log)
  }
}
