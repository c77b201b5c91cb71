import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'

import {userCertificateRequest} from '../ca/issue.js'
import {encodePrivateKey, formatCertificate, formatPublicKey, generateKey, type PrivateKey, type PublicKey, signCertificate} from '../certs/index.js'
import {writeFileSafely} from '../state/files.js'
import {CERT_HOST_KEY_ALGORITHMS} from '../ssh/algorithms.js'
import {lastLine} from './executor.js'

export interface NewLoginCheck {
  /** How to reach the host: [-F file] [-o ...] [-l user] [-p port] host, without identities. */
  destination: string[]
  /** The login the short-lived user certificate is issued for. */
  login: string
  hostCA: PublicKey
  userCA: PrivateKey
  /** The serial of the host certificate sshd must now present. */
  hostCertificateSerial: bigint
  /** How long to keep trying while sshd re-executes after the reload. */
  retryForMs?: number
}

/**
 * Opens a brand-new connection the way a fleet user will: known_hosts holds only the host CA,
 * only certificate host keys are acceptable, and the only identity is a five-minute user
 * certificate for the login. Returns why it failed, or undefined when it worked.
 */
export async function checkNewLogin(check: NewLoginCheck): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetctl-verify-'))
  try {
    const key = generateKey({type: 'ed25519'}, 'fleetctl-enroll-check')
    const certificate = signCertificate(userCertificateRequest({keyId: 'fleetctl-enroll-check', publicKey: key.publicKey, ttlSeconds: 300, user: check.login}), check.userCA)
    const identity = join(dir, 'id_ed25519')
    await writeFileSafely(identity, encodePrivateKey(key), {mode: 0o600})
    await writeFileSafely(`${identity}-cert.pub`, `${formatCertificate(certificate)}\n`, {mode: 0o644})
    await writeFileSafely(join(dir, 'known_hosts'), `@cert-authority * ${formatPublicKey(check.hostCA)}\n`, {mode: 0o644})
    const options = {
      BatchMode: 'yes',
      CertificateFile: `${identity}-cert.pub`,
      CheckHostIP: 'no',
      ControlMaster: 'no',
      ControlPath: 'none',
      GlobalKnownHostsFile: '/dev/null',
      // Certificates only: the new connection must not settle for a plain host key.
      HostKeyAlgorithms: CERT_HOST_KEY_ALGORITHMS.join(','),
      IdentitiesOnly: 'yes',
      IdentityAgent: 'none',
      IdentityFile: identity,
      KbdInteractiveAuthentication: 'no',
      PasswordAuthentication: 'no',
      StrictHostKeyChecking: 'yes',
      UpdateHostKeys: 'no',
      UserKnownHostsFile: join(dir, 'known_hosts'),
    }
    const args = ['-v', ...Object.entries(options).flatMap(([name, value]) => ['-o', `${name}=${value}`]), '-T', ...check.destination, 'true']

    const deadline = Date.now() + (check.retryForMs ?? 15_000)
    for (;;) {
      const result = await execa('ssh', args, {reject: false, stdin: 'ignore', timeout: 60_000})
      const log = String(result.stderr)
      // sshd is between the old and the new listener for a moment after a SIGHUP.
      if (result.exitCode !== 0 && /Connection refused|Connection reset|Connection closed/.test(log) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 300))
        continue
      }
      return judge(log, result.exitCode ?? 1, identity, check)
    }
  } finally {
    await rm(dir, {force: true, recursive: true})
  }
}

function judge(log: string, exitCode: number, identity: string, check: NewLoginCheck): string | undefined {
  const presented = /Server host certificate: \S+ \S+, serial (\d+)/.exec(log)
  if (!presented) {
    if (/no matching host key type/i.test(log)) return 'sshd presents no host certificate after the reload'
    return `the new connection failed before the host was checked: ${lastLine(log)}`
  }
  if (BigInt(presented[1]) !== check.hostCertificateSerial) {
    return `sshd presents host certificate serial ${presented[1]}, not the new one (${check.hostCertificateSerial}); the reload did not take effect`
  }
  if (/Host key verification failed|certificate .* (invalid|not valid|does not)|Certificate invalid/i.test(log) && exitCode !== 0) {
    return `the host certificate fails a strict check: ${lastLine(log)}`
  }
  if (!new RegExp(`Server accepts key: ${escape(identity)}(-cert\\.pub)? \\S*CERT`).test(log)) {
    return `sshd refuses a fleet user certificate for ${check.login}: ${lastLine(log) || 'no reason given'}`
  }
  if (exitCode !== 0) return `the new login failed: ${lastLine(log)}`
  return undefined
}

const escape = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
