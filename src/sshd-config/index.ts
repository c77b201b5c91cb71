export {
  DEFAULT_SSH_DIR,
  type IncludeReference,
  firstGlobalDirective,
  globMatches,
  globalDirectives,
  globalValue,
  includeReferences,
  resolveIncludePattern,
} from './lookup.js'
export {
  type BlankLine,
  type CommentLine,
  type ConfigLine,
  type Directive,
  type LineEnding,
  type MatchBlock,
  type SshdConfig,
  formatArgument,
  formatDirective,
  parseSshdConfig,
  renderSshdConfig,
} from './syntax.js'
