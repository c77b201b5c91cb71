export {renderUnifiedDiff} from './diff.js'
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
export {MANAGED_BEGIN, MANAGED_END} from './managed.js'
export {
  type Conflict,
  DEFAULT_DROP_IN_NAME,
  type EnrollmentPlan,
  type EnrollmentRequest,
  type EnrollmentStrategy,
  type IncludedFile,
  type PlannedFile,
  type UnenrollmentPlan,
  planEnrollment,
  planUnenrollment,
  renderPlanDiff,
} from './plan.js'
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
