export * from './private-key.js'
export * from './public-key.js'
