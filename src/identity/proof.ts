/**
 * What a bot signs to prove it holds a registered SSH key: a domain string, its user name, the
 * server's one-time nonce and the public key it wants certified, in SSH wire encoding, so a
 * signature cannot be replayed for another user, another login or another key.
 */
import {WireWriter} from '../certs/wire.js'

export const PROOF_DOMAIN = 'fleetctl-login-v1@fleetctl'

/** The SSHSIG namespace of login proofs (`ssh-keygen -Y sign -n …`), so no other signature of the key can be used. */
export const PROOF_NAMESPACE = 'login@fleetctl'

export function proofPayload(user: string, nonce: string, certifiedKeyBlob: Buffer): Buffer {
  return new WireWriter().string(PROOF_DOMAIN).string(user).string(nonce).string(certifiedKeyBlob).toBuffer()
}
