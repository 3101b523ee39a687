/** Metric names of design.md, in one place so thresholds can tell a known metric from a typo. */

/** REST operations timed as `http.<op>`. */
export const HTTP_OPS = ['create_thread', 'list_threads', 'get_thread', 'update_thread', 'delete_thread', 'list_messages', 'post_message', 'login', 'ticket'] as const;
/** One of {@link HTTP_OPS}. */
export type HttpOp = (typeof HTTP_OPS)[number];

/** Canonical run events timed as `run.<event>`. */
export const RUN_EVENTS = ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed', 'agent_error', 'agent_stopped'] as const;

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
  'ws.connect', ...HTTP_OPS.map((op) => `http.${op}`), ...RUN_EVENTS.map((e) => `run.${e}`),
  'run.total', 'run.gap', 'iteration.start_delay', 'generator.loop_lag',
];

/** Counter metrics. */
export const COUNTER_METRICS: readonly string[] = [
  'runs.started', 'runs.completed', 'runs.failed', 'runs.timed_out', 'runs.interrupted',
  'ws.frames_received', 'ws.connections', 'http.requests', 'dropped', 'iterations', 'operations', 'errors',
  'isolation.violations', 'isolation.unattributed', 'lifecycle.violations', 'ws.malformed_frames', 'probes.sent',
];

/** Tags a scope may filter by. */
export const TAG_NAMES = ['cohort', 'kind', 'op'] as const;

/** True when `name` is a metric crosstalk records (so a threshold on it is meaningful). */
export function isKnownMetric(name: string): boolean {
  return TREND_METRICS.includes(name) || COUNTER_METRICS.includes(name);
}

/** True for a trend metric. */
export function isTrendMetric(name: string): boolean {
  return TREND_METRICS.includes(name);
}
