/**
 * The ssh2 that fleetctl runs: the vendored copy passes the certificate self-check that the proxy
 * runs at start-up, the npm package's unpatched lib fails it with the cause named, and the
 * native crypto binding is found through the installed ssh2 package.
 */
import {createRequire} from 'node:module'
import {describe, expect, it} from 'vitest'

import {certificateSupportProblem, defaultCiphers, nativeCrypto} from '../../../src/ssh/ssh2.js'

const require = createRequire(import.meta.url)

describe('vendored ssh2', () => {
  it('passes the certificate self-check', () => {
    expect(certificateSupportProblem()).toBeUndefined()
  })

  it('the unpatched ssh2 from npm fails it, naming the cause', () => {
    // Deliberately the npm package (installed only to build the binding), to prove the check bites.
    const upstream = require('ssh2') as {utils: {parseKey: never}}
    const {SUPPORTED_SERVER_HOST_KEY} = require('ssh2/lib/protocol/constants.js') as {SUPPORTED_SERVER_HOST_KEY: string[]}
    const problem = certificateSupportProblem({parseKey: upstream.utils.parseKey, hostKeyAlgorithms: SUPPORTED_SERVER_HOST_KEY})
    // Unpatched, the certificate line comes back as its certified plain key.
    expect(problem).toBe('it parses an OpenSSH certificate as a plain key')
    // A parser that takes certificates but a constants table without them is caught too.
    expect(certificateSupportProblem({parseKey: (require('../../../vendor/ssh2/lib/index.js') as {utils: {parseKey: never}}).utils.parseKey, hostKeyAlgorithms: SUPPORTED_SERVER_HOST_KEY})).toBe(
      'it does not support certificate host-key algorithms',
    )
  })

  it('loads the native crypto binding from the installed ssh2 package where it was built', () => {
    const built = (() => {
      try {
        require.resolve('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node')
        return true
      } catch {
        return false
      }
    })()
    const native = nativeCrypto()
    expect(native.loaded).toBe(built)
    if (!built) expect(native.problem).toMatch(/not built/)
    expect(defaultCiphers().length).toBeGreaterThan(0)
  })
})
