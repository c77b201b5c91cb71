import {request} from 'node:https'

import {execa} from 'execa'

/**
 * The I/O doctor needs, each a thin wrapper over a real tool: `ssh -G` for the effective client
 * config, `ssh-keyscan` for what a server presents, an HTTPS HEAD for the proxy's clock.
 */

/** `ssh -G host`: the options ssh would use, keys lower-cased as ssh prints them. */
export async function effectiveSshConfig(host: string, configPath?: string): Promise<Record<string, string>> {
  const result = await execa('ssh', [...(configPath ? ['-F', configPath] : []), '-G', host], {reject: false, stdin: 'ignore'})
  if (result.exitCode !== 0) throw new Error(result.stderr.trim() || `ssh -G exited ${result.exitCode}`)
  const options: Record<string, string> = {}
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ')
    if (space > 0 && !(line.slice(0, space) in options)) options[line.slice(0, space)] = line.slice(space + 1)
  }

  return options
}

export type ScanResult = {certificates: Buffer[]; kind: 'certificates'} | {kind: 'plain-keys'} | {kind: 'unreachable'}

async function keyscan(args: string[], timeoutSeconds: number): Promise<string[]> {
  const result = await execa('ssh-keyscan', ['-T', String(timeoutSeconds), ...args], {reject: false, stdin: 'ignore', timeout: (timeoutSeconds + 5) * 1000})
  return result.stdout.split('\n').filter((l) => l && !l.startsWith('#'))
}

/** What host keys a server presents: certificates (blobs), only plain keys, or nothing at all. */
export async function scanHostKeys(host: string, port: number, timeoutSeconds = 5): Promise<ScanResult> {
  const certificates = (await keyscan(['-c', '-p', String(port), host], timeoutSeconds))
    .map((line) => line.split(/\s+/).find((field, i, all) => i > 0 && all[i - 1].endsWith('-cert-v01@openssh.com')))
    .filter((b64): b64 is string => Boolean(b64))
    .map((b64) => Buffer.from(b64, 'base64'))
  if (certificates.length > 0) return {certificates, kind: 'certificates'}
  const plain = await keyscan(['-p', String(port), host], timeoutSeconds)
  return plain.length > 0 ? {kind: 'plain-keys'} : {kind: 'unreachable'}
}

/** The server's clock from the Date header of an HTTPS response (TLS not verified: only the time is read). */
export async function serverDate(url: string, timeoutMs = 5000): Promise<Date | undefined> {
  return new Promise((resolve) => {
    const req = request(url, {method: 'HEAD', rejectUnauthorized: false, timeout: timeoutMs}, (res) => {
      res.resume()
      const header = res.headers.date
      resolve(header ? new Date(header) : undefined)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(undefined))
    req.end()
  })
}
