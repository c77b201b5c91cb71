import {checkUserCertificate, type Connection} from '../ssh/index.js'
import {certificateRestrictions, type ConnectionContext, sourceAddressAllows} from './context.js'

/**
 * User authentication on an outer or inner connection: a user certificate from the fleet user CA
 * and nothing else. `login: 'any'` accepts any principal (the proxy's own login does not matter),
 * `'requested'` requires the login asked for (the inner connection: the login on the host). A
 * connection that closes unauthenticated leaves one `auth.failure` audit line with every reason.
 */
export function authenticateUsers(connection: Connection, ctx: ConnectionContext, login: 'any' | 'requested', onAuthenticated: () => void): void {
  const {audit, metrics, userTrust} = ctx.services
  let username = ''
  connection.on('authentication', (auth) => {
    username = auth.username
    if (auth.method !== 'publickey') {
      if (auth.method !== 'none') ctx.authFailures.push(`${auth.method}: only user certificates are accepted`)
      return auth.reject(['publickey'])
    }
    const decision = checkUserCertificate(auth, userTrust, login === 'any' ? undefined : auth.username)
    if (!decision.ok) {
      ctx.authFailures.push(`${decision.reason}: ${decision.message}`)
      return auth.reject(['publickey'])
    }
    const {sourceAddress} = certificateRestrictions(decision.certificate)
    if (sourceAddress !== undefined && !sourceAddressAllows(sourceAddress, ctx.clientIp)) {
      ctx.authFailures.push(`source-address: ${ctx.clientIp} is not in the certificate's source-address ${sourceAddress}`)
      return auth.reject(['publickey'])
    }
    if (!decision.signed) return auth.accept()
    ctx.certificate = decision.certificate
    ctx.login = auth.username
    ctx.log = ctx.log.child({user: decision.keyId, login: auth.username})
    auth.accept()
    onAuthenticated()
  })
  ctx.onClose(() => {
    if (ctx.certificate || ctx.authFailures.length === 0) return
    // A client offers plain keys too; the certificate's own refusal is the reason that matters.
    const reason = ctx.authFailures.find((r) => !r.startsWith('not-a-certificate')) ?? ctx.authFailures.at(-1)!
    const code = reason.slice(0, reason.indexOf(':'))
    metrics.authFailure(code)
    ctx.log.warn('auth.failure', {client: ctx.client, login: username, reason})
    audit.write({event: 'auth.failure', session: ctx.id, client: ctx.client, user: null, login: username, host: null, reason, method: 'publickey'})
  })
}
