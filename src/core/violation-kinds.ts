/** The `kind` tag values of isolation and lifecycle violations (design.md). */

/** Isolation violation kinds of design.md. */
export const ISOLATION_KINDS = [
  'foreign_user_id',
  'foreign_thread',
  'foreign_run',
  'foreign_canary',
  'foreign_reference',
  'rest_foreign_listing',
  'rest_cross_user_read',
  'auth_bypass',
] as const;

/** Lifecycle violation kinds of design.md. */
export const LIFECYCLE_KINDS = [
  'missing_event',
  'out_of_order',
  'duplicate_event',
  'event_after_end',
  'run_timeout',
  'unknown_event',
] as const;
