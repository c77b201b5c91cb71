import {checkAgent} from '../agent/check.js'
import {FleetError} from '../base/errors.js'
import {loadCAPublicKey} from '../ca/store.js'
import {
  type Certificate,
  DEFAULT_CLOCK_SKEW_SECONDS,
  type PublicKey,
  verifyCertificate,
} from '../certs/index.js'
import {maxStartupsAdvice} from '../enroll/inspect.js'
import {readInventory} from '../inventory/store.js'
import {certificateSupportProblem, NATIVE_CRYPTO_HINTS, nativeCrypto} from '../ssh/index.js'
import {readConfig} from '../state/config.js'
import {parseProxyAddress, type ProxyAddress} from '../ssh-config/render.js'
import {effectiveSshConfig, scanHostKeys, serverDate} from './probes.js'

export type FindingStatus = 'fail' | 'ok' | 'skip' | 'warn'

export interface Finding {
  check: 'agent' | 'clock' | 'host' | 'proxy' | 'ssh-config' | 'ssh2' | 'sshd'
  /** The exact thing to do about it, when something is wrong. */
  fix?: string
  message: string
  status: FindingStatus
}

export interface DoctorOptions {
  agentSocket?: string
  home: string
  /** The fleet host to diagnose; without one only the agent, the proxy and the clock are checked. */
  host?: string
  proxy?: string
  sshConfigPath?: string
  timeoutSeconds: number
  /** The proxy's web address (host:port) for the clock check. */
  web?: string
}

export interface DoctorReport {
  findings: Finding[]
  host?: string
  ok: boolean
  proxy?: ProxyAddress
}

function hostCertificateStatus(certificates: Buffer[], hostCA: PublicKey, name: string): {certificate?: Certificate; reason?: string} {
  let reason = 'it presents no certificate from the fleet host CA'
  for (const blob of certificates) {
    const result = verifyCertificate(blob, {caKeys: [hostCA], principal: name, skewSeconds: 0, type: 'host'})
    if (result.ok) return {certificate: result.certificate}
    if (result.reason !== 'wrong-ca') reason = result.message
  }

  return {reason}
}

async function agentFinding(options: DoctorOptions, userCA: PublicKey): Promise<Finding> {
  try {
    const report = await checkAgent({minSeconds: 300, socket: options.agentSocket, userCA})
    return {check: 'agent', message: `fleet certificate ${report.certificate.keyId} in the agent, ${report.certificate.timeLeft} left`, status: 'ok'}
  } catch (error) {
    if (!(error instanceof FleetError)) throw error
    return {check: 'agent', fix: error.suggestions.join(' '), message: error.message, status: 'fail'}
  }
}

/**
 * Says why `ssh host` would not connect or not be recorded, one finding per piece (agent, client
 * config, proxy, host, clock), each failure with its fix. Probes run the real ssh tools.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const findings: Finding[] = [ssh2Finding()]
  const userCA = await loadCAPublicKey(options.home, 'user')
  const hostCA = await loadCAPublicKey(options.home, 'host')
  const config = await readConfig(options.home)
  findings.push(await agentFinding(options, userCA.key))

  let proxyText = options.proxy ?? (config.proxy_addr as string | undefined)
  let target: {host: string; port: number} | undefined
  if (options.host) {
    let effective: Record<string, string> | undefined
    try {
      effective = await effectiveSshConfig(options.host, options.sshConfigPath)
    } catch (error) {
      findings.push({check: 'ssh-config', fix: 'Fix the ssh_config error ssh reports.', message: `ssh cannot read its config: ${(error as Error).message}`, status: 'fail'})
    }

    if (effective) {
      target = {host: effective.hostname ?? options.host, port: Number(effective.port ?? 22)}
      const jump = effective.proxyjump && effective.proxyjump !== 'none' ? effective.proxyjump : undefined
      if (!jump) {
        findings.push({
          check: 'ssh-config',
          fix: `Run \`fleetctl gen-ssh-config --write --hosts '<pattern matching ${options.host}>'\`.`,
          message: `ssh ${options.host} would not go through the proxy: no ProxyJump in the effective config (ssh -G), so it would not be recorded`,
          status: 'fail',
        })
      } else {
        // ssh -G prints the jump as [user@]host[:port], addresses in brackets; the proxy is the last hop.
        const hop = jump.split(',').at(-1)!.replace(/^[^@]*@/, '')
        const [, jumpHost, explicitPort] = /^\[([^\]]+)\](?::(\d+))?$/.exec(hop) ?? /^([^:]+)(?::(\d+))?$/.exec(hop) ?? [hop, hop]
        const proxyConfig = await effectiveSshConfig(jumpHost, options.sshConfigPath).catch(() => undefined)
        const problems = [
          effective.forwardagent === 'yes' ? undefined : `ForwardAgent is not on for ${options.host}`,
          proxyConfig?.forwardagent === 'yes' ? undefined : `ForwardAgent is not on for the proxy ${jumpHost}`,
        ].filter(Boolean)
        findings.push(
          problems.length === 0
            ? {check: 'ssh-config', message: `ssh ${options.host} goes through ${jump} with ForwardAgent`, status: 'ok'}
            : {
                check: 'ssh-config',
                fix: 'Run `fleetctl gen-ssh-config --write`, or add "ForwardAgent yes" to the Host blocks of the proxy and the fleet hosts.',
                message: `${problems.join('; ')}: the proxy cannot log in to the host as you`,
                status: 'fail',
              },
        )
        proxyText ??= `${jumpHost.includes(':') ? `[${jumpHost}]` : jumpHost}:${explicitPort ?? proxyConfig?.port ?? 22}`
      }
    }
  }

  let proxy: ProxyAddress | undefined
  if (proxyText) {
    proxy = parseProxyAddress(proxyText)
    const scan = await scanHostKeys(proxy.host, proxy.port, options.timeoutSeconds)
    if (scan.kind === 'unreachable') {
      findings.push({check: 'proxy', fix: 'Start it with `fleetctl proxy start` on the proxy machine, or check the address (--proxy).', message: `the proxy at ${proxy.host}:${proxy.port} is not reachable`, status: 'fail'})
    } else {
      const status = scan.kind === 'certificates' ? hostCertificateStatus(scan.certificates, hostCA.key, proxy.host) : {reason: 'it presents only plain host keys'}
      findings.push(
        status.certificate
          ? {check: 'proxy', message: `the proxy at ${proxy.host}:${proxy.port} presents a fleet host certificate (${status.certificate.keyId})`, status: 'ok'}
          : {check: 'proxy', fix: `Restart the proxy with --public-addr ${proxy.host} so its host certificate names it, and check that it uses this fleet's state directory.`, message: `the server at ${proxy.host}:${proxy.port} is not this fleet's proxy: ${status.reason}`, status: 'fail'},
      )
    }
  } else {
    findings.push({check: 'proxy', message: 'no proxy address known (pass --proxy or a host whose ssh config has ProxyJump)', status: 'skip'})
  }

  if (target) findings.push(await hostFinding(options.host!, target, hostCA.key, options.timeoutSeconds))
  if (options.host) findings.push(await sshdFinding(options.home, options.host))
  findings.push(await clockFinding(options.web ?? (proxy ? `${proxy.host}:3080` : undefined)))

  return {findings, host: options.host, ok: !findings.some((f) => f.status === 'fail'), proxy}
}

/**
 * This installation's ssh2, which `fleetctl proxy start` runs on: certificate support (the proxy
 * refuses to start without it) and the native crypto binding (without it ciphers run in
 * JavaScript and bulk transfers are slower).
 */
export function ssh2Finding(): Finding {
  const problem = certificateSupportProblem()
  if (problem) {
    return {check: 'ssh2', fix: 'Reinstall fleetctl from its package: it carries its own ssh2 under vendor/ssh2.', message: `this fleetctl's ssh2 lacks OpenSSH certificate support (${problem}): \`fleetctl proxy start\` refuses to start`, status: 'fail'}
  }
  const native = nativeCrypto()
  if (native.loaded) return {check: 'ssh2', message: "OpenSSH certificates supported; ssh2's native crypto binding loaded (native_crypto: true)", status: 'ok'}
  return {
    check: 'ssh2',
    fix: `${NATIVE_CRYPTO_HINTS.join('. ')}.`,
    message: `ssh2's native crypto binding did not load (${native.problem}): a proxy started here runs its ciphers in JavaScript, slower for bulk transfers (native_crypto: false)`,
    status: 'warn',
  }
}

async function hostFinding(name: string, target: {host: string; port: number}, hostCA: PublicKey, timeoutSeconds: number): Promise<Finding> {
  const scan = await scanHostKeys(target.host, target.port, timeoutSeconds)
  if (scan.kind === 'unreachable') {
    return {check: 'host', message: `${target.host}:${target.port} is not reachable from here, so its certificate was not checked (the proxy may still reach it)`, status: 'skip'}
  }

  if (scan.kind === 'plain-keys') {
    return {check: 'host', fix: `Enroll it: \`fleetctl enroll host ${name}\`.`, message: `${name} presents only plain host keys: it is not enrolled, so the proxy will refuse it`, status: 'fail'}
  }

  const status = hostCertificateStatus(scan.certificates, hostCA, name)
  if (status.certificate) return {check: 'host', message: `${name} presents a valid fleet host certificate (${status.certificate.keyId})`, status: 'ok'}
  const expired = status.reason?.includes('expired')
  return {
    check: 'host',
    fix: expired ? `Renew it: \`fleetctl hosts renew ${name}\`.` : `Re-enroll it so its certificate names ${name}: \`fleetctl enroll host ${name} --principals ${name}\`.`,
    message: `${name}'s host certificate is not acceptable: ${status.reason}`,
    status: 'fail',
  }
}

async function clockFinding(web: string | undefined): Promise<Finding> {
  if (!web) return {check: 'clock', message: 'no proxy web address to compare clocks with', status: 'skip'}
  const remote = await serverDate(`https://${web}/healthz`)
  if (!remote) return {check: 'clock', message: `the proxy's web endpoint https://${web} did not answer; clock not compared`, status: 'skip'}
  const skew = Math.round((Date.now() - remote.getTime()) / 1000)
  if (Math.abs(skew) <= DEFAULT_CLOCK_SKEW_SECONDS / 2) return {check: 'clock', message: `clock within ${Math.abs(skew)} s of the proxy`, status: 'ok'}
  return {
    check: 'clock',
    fix: 'Synchronise this machine\'s clock (e.g. systemd-timesyncd or chrony); certificates are checked against it.',
    message: `this clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the proxy's`,
    status: Math.abs(skew) > DEFAULT_CLOCK_SKEW_SECONDS ? 'fail' : 'warn',
  }
}

/** sshd's MaxStartups as enrollment recorded it: the proxy opens many connections at once. */
async function sshdFinding(home: string, name: string): Promise<Finding> {
  const {hosts} = await readInventory(home)
  const entry = hosts.find((h) => h.name === name || h.hostname === name || h.principals.includes(name))
  if (!entry) return {check: 'sshd', message: `${name} is not in this machine's inventory, so its sshd settings are unknown here`, status: 'skip'}
  if (!entry.maxStartups) return {check: 'sshd', message: `the inventory has no MaxStartups for ${name} (enrolled by an older fleetctl)`, status: 'skip'}
  const advice = maxStartupsAdvice(entry.maxStartups)
  return advice
    ? {check: 'sshd', fix: `Raise it: \`fleetctl enroll host ${entry.name} --max-startups 100:30:200\`.`, message: advice.replace(/; consider.*$/, ''), status: 'warn'}
    : {check: 'sshd', message: `sshd on ${name} has MaxStartups ${entry.maxStartups}`, status: 'ok'}
}
