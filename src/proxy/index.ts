/** The recording proxy: `fleetctl proxy start`. See DESIGN.md, "The data path". */
export {type ProxyConfig, type ProxyFlags, proxyPrincipals, resolveProxyConfig} from './config.js'
export {jsonLogger, type Logger} from './log.js'
export {type ProxyAddresses, ProxyServer} from './server.js'
export {runUntilSignalled, tuneProcessForProxy} from './lifecycle.js'
