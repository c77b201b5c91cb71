import {type CertificateType, formatPublicKey, type PublicKey} from '../certs/index.js'

export type ExportFormat = 'cert-authority' | 'public-key'

/**
 * The text `ca export` prints, in Teleport's export shapes:
 * - user CA: `cert-authority <key> clustername=<cluster>&type=user`; removing the leading
 *   `cert-authority ` leaves a valid TrustedUserCAKeys line (the rest is the key's comment);
 * - host CA: `@cert-authority <patterns> <key> type=host`, a known_hosts line.
 * `public-key` is the bare OpenSSH public key, commented with its role.
 */
export function formatCAExport(options: {
  cluster: string
  format: ExportFormat
  hostPatterns?: string[]
  publicKey: PublicKey
  type: CertificateType
}): string {
  const {cluster, format, publicKey, type} = options
  if (format === 'public-key') return formatPublicKey(publicKey, `fleetctl-${type}-ca@${cluster}`)
  if (type === 'user') return `cert-authority ${formatPublicKey(publicKey)} clustername=${cluster}&type=user`
  const patterns = options.hostPatterns && options.hostPatterns.length > 0 ? options.hostPatterns : ['*']
  return `@cert-authority ${patterns.join(',')} ${formatPublicKey(publicKey)} type=host`
}
