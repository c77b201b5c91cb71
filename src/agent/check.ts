import {FleetError} from '../base/errors.js'
import type {PublicKey} from '../certs/index.js'
import {AgentUnavailableError, listAgentIdentities} from './client.js'
import {agentKind, type AgentKind, type FleetCertificateStatus, fleetCertificates} from './inspect.js'

export interface AgentReport {
  agent: {kind: AgentKind; socket: string}
  certificate: FleetCertificateStatus
  certificates: FleetCertificateStatus[]
}

const START_AGENT = 'Start OpenSSH\'s agent in this shell: eval "$(ssh-agent -s)", then run `fleetctl login`.'

/**
 * Checks that the agent in SSH_AUTH_SOCK holds a fleet certificate that is valid for at least
 * `minSeconds`. Every failure is a FleetError whose suggestion is the fix.
 */
export async function checkAgent(options: {minSeconds: number; socket?: string; userCA: PublicKey}): Promise<AgentReport> {
  const {socket} = options
  if (!socket) {
    throw new FleetError('no ssh-agent: SSH_AUTH_SOCK is not set', {code: 'agent_missing', exit: 'missingState', suggestions: [START_AGENT]})
  }

  const kind = agentKind(socket)
  if (kind !== 'other') {
    const name = kind === 'gnome-keyring' ? 'GNOME Keyring' : 'gpg-agent'
    throw new FleetError(`SSH_AUTH_SOCK points at ${name} (${socket}), which does not support OpenSSH certificates`, {
      code: 'agent_unsupported',
      exit: 'missingState',
      suggestions: [`Use OpenSSH's ssh-agent instead: eval "$(ssh-agent -s)" (and disable ${name}'s SSH agent), then run \`fleetctl login\`.`],
    })
  }

  let certificates: FleetCertificateStatus[]
  try {
    certificates = fleetCertificates(await listAgentIdentities(socket), options.userCA)
  } catch (error) {
    if (!(error instanceof AgentUnavailableError)) throw error
    throw new FleetError(`${error.message} (SSH_AUTH_SOCK is stale)`, {code: 'agent_dead', exit: 'missingState', suggestions: [START_AGENT]})
  }

  const [best] = certificates
  if (!best) {
    throw new FleetError(`the agent at ${socket} holds no certificate from the fleet user CA`, {
      code: 'certificate_missing',
      exit: 'missingState',
      suggestions: ['Run `fleetctl login` to get one.'],
    })
  }

  if (best.expired) {
    throw new FleetError(`the fleet certificate in the agent (key id ${best.keyId}) expired at ${best.validBefore}`, {
      code: 'certificate_expired',
      exit: 'untrusted',
      suggestions: ['Run `fleetctl login` for a fresh one.'],
    })
  }

  if (best.secondsLeft < options.minSeconds) {
    throw new FleetError(`the fleet certificate in the agent (key id ${best.keyId}) expires in ${best.timeLeft}`, {
      code: 'certificate_expiring',
      exit: 'untrusted',
      suggestions: ['Run `fleetctl login` for a fresh one before it runs out.'],
    })
  }

  return {agent: {kind, socket}, certificate: best, certificates}
}
