/**
 * sshd_config, pure: parse to a tree that renders back byte for byte, plan enrollment as a
 * managed block, render the change as a unified diff. No files, processes or sockets here; the
 * caller reads the main file and the files its Include patterns match, and writes the plan.
 *
 * fleetctl owns the lines from `# BEGIN fleetctl managed` to `# END fleetctl managed`, markers
 * included, in the main file (above the first Match) or in a drop-in (`50-fleetctl.conf` in the
 * directory a global Include reads). Planning again is a no-op; unenrolling removes exactly
 * those lines. A block appended to a file without a final newline ends without one, which is
 * how unenrolling knows to take the newline it added back.
 */
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
