import {createRequire} from 'node:module'

import type Sshpk from 'sshpk'

const require = createRequire(import.meta.url)
let loaded: typeof Sshpk | undefined

/** sshpk, loaded on first use: the common inputs (OpenSSH one-line keys) never need it. */
export function sshpk(): typeof Sshpk {
  loaded ??= require('sshpk') as typeof Sshpk
  return loaded
}
