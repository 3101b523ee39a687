/** Metric names of design.md, in one place so thresholds can tell a known metric from a typo. */
import { ERROR_KINDS } from './error-kinds.js';
import { ISOLATION_KINDS, LIFECYCLE_KINDS } from './violation-kinds.js';

/** REST operations timed as `http.<op>`. */
export const HTTP_OPS = [
  'create_thread',
  'list_threads',
  'get_thread',
  'update_thread',
  'delete_thread',
  'list_messages',
  'post_message',
  'login',
  'ticket',
] as const;
/** One of {@link HTTP_OPS}. */
export type HttpOp = (typeof HTTP_OPS)[number];

/**
 * Kinds of operation a user attempts, the `op` tag of `operations` (attempts)
 * and `operations.succeeded`: one that never succeeds makes the run untested.
 */
export const OPERATIONS = [
  'connect',
  'create_thread',
  'list_threads',
  'get_thread',
  'update_thread',
  'delete_thread',
  'list_messages',
  'post_message',
  'send_message',
  'stop_agent',
] as const;
/** One of {@link OPERATIONS}. */
export type Operation = (typeof OPERATIONS)[number];

/** Canonical run events timed as `run.<event>`. */
export const RUN_EVENTS = [
  'agent_started',
  'agent_thinking',
  'tool_executing',
  'tool_completed',
  'agent_completed',
  'agent_error',
  'agent_stopped',
  'content_delta',
] as const;

/**
 * What each run event does, by the name adapters use for it: a backend's own
 * event names are mapped to these roles, and the role's canonical event is
 * what crosstalk times and checks.
 */
export const EVENT_ROLES = {
  started: 'agent_started',
  thinking: 'agent_thinking',
  tool_start: 'tool_executing',
  tool_end: 'tool_completed',
  content: 'content_delta',
  completed: 'agent_completed',
  failed: 'agent_error',
  stopped: 'agent_stopped',
} as const satisfies Record<string, (typeof RUN_EVENTS)[number]>;
/** A role name of {@link EVENT_ROLES}. */
export type EventRole = keyof typeof EVENT_ROLES;

/** The canonical run event of a role name or of a canonical name; undefined for neither. */
export function computeCanonicalEvent(name: string): (typeof RUN_EVENTS)[number] | undefined {
  if (Object.hasOwn(EVENT_ROLES, name)) return EVENT_ROLES[name as EventRole];
  return (RUN_EVENTS as readonly string[]).includes(name) ? (name as (typeof RUN_EVENTS)[number]) : undefined;
}

/** One of {@link RUN_EVENTS}. */
export type RunEvent = (typeof RUN_EVENTS)[number];

const RUN_EVENT_INDEX: ReadonlyMap<string, number> = new Map(RUN_EVENTS.map((e, i) => [e, i]));

/**
 * The position of `type` in {@link RUN_EVENTS}, -1 when it is no run event.
 * Found once per frame, so that the per-frame path compares and indexes by
 * small integers instead of hashing the same fresh string again and again.
 */
export function computeRunEventIndex(type: string): number {
  return RUN_EVENT_INDEX.get(type) ?? -1;
}

/** {@link RUN_EVENTS} positions by name, for code that branches on one event. */
export const EVENT = Object.freeze(Object.fromEntries(RUN_EVENTS.map((e, i) => [e, i])) as Record<RunEvent, number>);

/** Trend metrics (latencies in ms). */
export const TREND_METRICS: readonly string[] = [
  'ws.connect',
  ...HTTP_OPS.map((op) => `http.${op}`),
  ...RUN_EVENTS.map((e) => `run.${e}`),
  'run.total',
  'run.gap',
  'run.first_event',
  'run.first_content',
  'run.content_gap',
  'iteration.duration',
  'iteration.start_delay',
  'generator.loop_lag',
];

/** Counter metrics. */
export const COUNTER_METRICS: readonly string[] = [
  'runs.started',
  'runs.completed',
  'runs.failed',
  'runs.timed_out',
  'runs.interrupted',
  'ws.frames_received',
  'ws.connections',
  'http.requests',
  'dropped',
  'iterations',
  'operations',
  'operations.succeeded',
  'errors',
  'isolation.violations',
  'isolation.unattributed',
  'isolation.frames_checked',
  'isolation.rest_checked',
  'lifecycle.violations',
  'ws.malformed_frames',
  'run.content_deltas',
  'probes.sent',
  'probes.answered',
  'users.with_run',
];

/**
 * Counters counted once per frame whose breakdown by `kind` is kept in a
 * counter of its own: one leaked frame is one isolation violation however
 * many kinds of evidence it shows, and counts once under each kind it shows
 * (so the kinds may add up to more than the total). A scope `{kind:...}` on
 * the first reads the second; summaries fold the second into the first's
 * `byTag`.
 */
export const KIND_FACETS: Readonly<Record<string, string>> = { 'isolation.violations': 'isolation.violations.by_kind' };

/** The counter that holds `name`'s figures for `scope`. */
export function computeCounterSeriesName(name: string, scope: Readonly<Record<string, string>>): string {
  return 'kind' in scope ? (KIND_FACETS[name] ?? name) : name;
}

/** Tags a scope may filter by. */
export const TAG_NAMES = ['cohort', 'kind', 'op'] as const;

/** Every kind a threshold scope `{kind:...}` may name. */
export const ALL_KINDS: readonly string[] = [...ERROR_KINDS, ...ISOLATION_KINDS, ...LIFECYCLE_KINDS];

/** True when `name` is a metric crosstalk records (so a threshold on it is meaningful). */
export function isKnownMetric(name: string): boolean {
  return TREND_METRICS.includes(name) || COUNTER_METRICS.includes(name);
}

/** True for a trend metric. */
export function isTrendMetric(name: string): boolean {
  return TREND_METRICS.includes(name);
}
