export * from './certificate.js'
export * from './duration.js'
export * from './keys.js'
