export * from './events.js'
export * from './log.js'
export * from './query.js'
export * from './format.js'
