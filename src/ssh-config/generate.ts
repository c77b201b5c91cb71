import {homedir, hostname} from 'node:os'
import {join} from 'node:path'

import {FleetError} from '../base/errors.js'
import {commaList} from '../base/list.js'
import {formatCAExport} from '../ca/export.js'
import {loadCAPublicKey} from '../ca/store.js'
import {readConfig} from '../state/config.js'
import {statePaths} from '../state/home.js'
import {writeIfChanged, writeManagedBlock, type WriteResult} from './apply.js'
import {parseProxyAddress, type ProxyAddress, renderClientBlock, renderKnownHosts, sampleHostFor} from './render.js'

export interface GenerateOptions {
  /** ~/.ssh/config by default. */
  configPath?: string
  home: string
  hosts?: string
  proxy?: string
  write: boolean
}

export interface GeneratedSshConfig {
  block: string
  cluster: string
  config?: WriteResult
  hostPatterns: string[]
  knownHostsFile: string
  knownHostsWritten?: boolean
  proxy: ProxyAddress
}

export const defaultSshConfigPath = () => join(homedir(), '.ssh', 'config')

/**
 * Renders the client block for this fleet and, with `write`, splices it into the user's
 * ssh_config and writes the fleet's known_hosts (the host CA line) into the state directory.
 */
export async function generateSshConfig(options: GenerateOptions): Promise<GeneratedSshConfig> {
  const config = await readConfig(options.home)
  const hostCA = await loadCAPublicKey(options.home, 'host')
  let proxy: ProxyAddress
  try {
    proxy = parseProxyAddress(options.proxy ?? (config.proxy_addr as string | undefined) ?? `${hostname()}:3023`)
  } catch (error) {
    throw new FleetError(`--proxy: ${(error as Error).message}`, {code: 'bad_proxy', exit: 'usage'})
  }

  const hostPatterns = commaList(options.hosts ?? (config.ssh_hosts as string | undefined) ?? `*.${hostCA.cluster}`)
  const knownHostsFile = join(statePaths(options.home).home, 'known_hosts')
  let block: string
  try {
    block = renderClientBlock({cluster: hostCA.cluster, hostPatterns, knownHostsFile, proxy})
  } catch (error) {
    throw new FleetError(`--hosts: ${(error as Error).message}`, {code: 'bad_hosts', exit: 'usage'})
  }

  const result: GeneratedSshConfig = {block, cluster: hostCA.cluster, hostPatterns, knownHostsFile, proxy}
  if (!options.write) return result

  const hostCALine = formatCAExport({cluster: hostCA.cluster, format: 'cert-authority', publicKey: hostCA.key, type: 'host'})
  result.knownHostsWritten = await writeIfChanged(knownHostsFile, renderKnownHosts(hostCALine), 0o644)
  result.config = await writeManagedBlock(options.configPath ?? defaultSshConfigPath(), block, sampleHostFor(hostPatterns[0]))
  return result
}
