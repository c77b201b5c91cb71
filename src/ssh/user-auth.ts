import {isCertificateAlgorithm} from './algorithms.js'
import {type PublicKeyAuthContext, utils} from './ssh2.js'
import type {CertificateTrust, TrustDecision} from './trust.js'

export type UserAuthDecision =
  | (Extract<TrustDecision, {ok: true}> & {signed: boolean})
  | {message: string; ok: false; reason: string}

/**
 * Decide a publickey attempt on an ssh2 `Server`: only a user certificate trusted for `login`
 * (any of its principals when `login` is undefined)
 * passes, and a signed attempt must carry a valid signature by the certified key. The caller
 * accepts or rejects the context; a query without signature (`signed: false`) is answered with
 * `ctx.accept()` so the client goes on to sign.
 */
export function checkUserCertificate(ctx: PublicKeyAuthContext, trust: CertificateTrust, login: string | undefined): UserAuthDecision {
  const {algo, data} = ctx.key
  if (!isCertificateAlgorithm(algo)) {
    return {ok: false, reason: 'not-a-certificate', message: `${algo} is a plain public key; a user certificate is required`}
  }
  const key = utils.parseKey(data)
  if (key instanceof Error || Array.isArray(key) || key.type !== algo) {
    return {ok: false, reason: 'malformed', message: `the ${algo} certificate could not be parsed`}
  }
  const decision: TrustDecision = trust.check(data, 'user', login)
  if (!decision.ok) return decision
  if (ctx.signature === undefined || ctx.blob === undefined) return {...decision, signed: false}
  if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
    return {ok: false, reason: 'bad-signature', message: 'the signature does not verify with the certified key'}
  }
  return {...decision, signed: true}
}
