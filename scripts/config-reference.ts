/** Writes docs/config.md from the config schema (`npm run docs:config`). */
import {writeFileSync} from 'node:fs'

import ProxyStart from '../src/commands/proxy/start.js'
import {renderConfigReference} from '../src/config/reference.js'

writeFileSync(new URL('../docs/config.md', import.meta.url), renderConfigReference(ProxyStart.flags))
