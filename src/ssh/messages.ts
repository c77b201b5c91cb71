/** Messages users and scripts see; tests compare them exactly. */

export const HOST_NOT_CERTIFIED =
  'ssh: handshake failed: remote host presented a public key, expected a host certificate'

export function hostCertificateRejected(host: string, message: string): string {
  return `ssh: handshake failed: host certificate of ${host} rejected: ${message}`
}

/** The ssh_config lines that make `ssh` forward its agent through the proxy. */
export const FORWARD_AGENT_HINT = 'add "ForwardAgent yes" for the proxy host in ~/.ssh/config (or run ssh -A)'
