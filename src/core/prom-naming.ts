import { HTTP_OPS, RUN_EVENTS } from './metric-names.js';

/**
 * How crosstalk's metric names read in Prometheus. The rule is mechanical so
 * that a name of design.md predicts its series: `crosstalk_` + the name with
 * dots as underscores, `_seconds` for trends (recorded in ms, published in
 * seconds), `_total` for counters. Two families of trends whose name carries
 * a variable part become one metric with a label, so that one query covers
 * them all: `http.<op>` → `crosstalk_http_request_seconds{op}` and
 * `run.<event>` → `crosstalk_run_event_seconds{event}`.
 */
export interface PromName {
  readonly family: string;
  /** Labels the name itself implies (`op`, `event`, `cohort` of a per-cohort gauge). */
  readonly labels: Readonly<Record<string, string>>;
  readonly help: string;
}

/** The prefix of every crosstalk metric in Prometheus. */
export const PROM_PREFIX = 'crosstalk_';

/**
 * Upper bounds (seconds) of the classic histogram buckets every latency is
 * published with: 1-2-5 steps from 1 ms to 100 s, enough for a WebSocket
 * connect and for a minutes-long agent run alike.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100,
];

/** Quantiles of the per-interval latency gauges; 1 is the interval's max. */
export const INTERVAL_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99, 1];

const HTTP_OP_SET: ReadonlySet<string> = new Set(HTTP_OPS);
const RUN_EVENT_SET: ReadonlySet<string> = new Set(RUN_EVENTS);

const TREND_HELP: Readonly<Record<string, string>> = {
  'ws.connect': 'TCP open to connection_established of a persistent connection',
  'run.total': "send of a message to the run's terminal event",
  'run.gap': 'largest gap between consecutive events of a run',
  'run.first_event': 'send of a message to the first event of its run',
  'run.first_content': 'send of a message to the first content delta (time to first token)',
  'run.content_gap': 'gap between consecutive content deltas',
  'iteration.duration': 'intended start of a flow iteration to its end',
  'iteration.start_delay': 'how late a flow iteration started after it was due',
  'generator.loop_lag': "event-loop delay of the generator's own threads",
};

const COUNTER_HELP: Readonly<Record<string, string>> = {
  'runs.started': 'agent runs started',
  'runs.completed': 'agent runs that ended with agent_completed',
  'runs.failed': 'agent runs that ended with agent_error',
  'runs.timed_out': 'agent runs with no terminal event in time',
  'runs.interrupted': 'agent runs cut short by the end of the run',
  'ws.frames_received': 'frames received on persistent connections',
  'ws.connections': 'persistent connections opened',
  'http.requests': 'REST requests sent',
  dropped: 'open-model arrivals that found no free user slot',
  iterations: 'flow iterations run',
  operations: 'operations attempted, by op (the denominator of the error rate)',
  'operations.succeeded': 'operations that succeeded, by op',
  errors: 'failed operations, by kind',
  'isolation.violations': 'leaked frames or REST answers (one per frame, whatever it shows)',
  'isolation.violations.by_kind':
    'leaked frames per kind of evidence (a frame showing several kinds counts under each)',
  'isolation.unattributed': 'ids in frames that no simulated user owns',
  'isolation.frames_checked': 'frames the isolation oracle checked',
  'isolation.rest_checked': 'REST answers the isolation oracle checked',
  'lifecycle.violations': 'run lifecycle violations, by kind',
  'ws.malformed_frames': 'frames that could not be read',
  'run.content_deltas': 'content deltas received',
  'probes.sent': 'isolation probes sent',
  'probes.answered': 'isolation probes answered',
  'users.with_run': 'users that completed at least one run',
};

/** A registry name as a Prometheus name part: lower case, dots and anything else as underscores. */
function computeNamePart(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** The Prometheus histogram a trend is published as (family name without `_bucket`/`_sum`/`_count`). */
export function computePromTrendName(name: string): PromName {
  const dot = name.indexOf('.');
  const head = dot === -1 ? name : name.slice(0, dot);
  const tail = dot === -1 ? '' : name.slice(dot + 1);
  if (head === 'http' && HTTP_OP_SET.has(tail))
    return { family: `${PROM_PREFIX}http_request_seconds`, labels: { op: tail }, help: 'one REST call, by op' };
  if (head === 'run' && RUN_EVENT_SET.has(tail))
    return {
      family: `${PROM_PREFIX}run_event_seconds`,
      labels: { event: tail },
      help: 'send of a message to the first event of each type, by event',
    };
  return { family: `${PROM_PREFIX}${computeNamePart(name)}_seconds`, labels: {}, help: TREND_HELP[name] ?? name };
}

/** The per-interval quantile gauge of a trend's histogram family. */
export function computeIntervalFamily(histogramFamily: string): string {
  return `${histogramFamily.replace(/_seconds$/, '')}_interval_seconds`;
}

/** The Prometheus counter a counter is published as. */
export function computePromCounterName(name: string): PromName {
  return { family: `${PROM_PREFIX}${computeNamePart(name)}_total`, labels: {}, help: COUNTER_HELP[name] ?? name };
}

/** The Prometheus gauge one of the registry's gauges (`vus.<cohort>`, `runs.in_flight`) is published as. */
export function computePromGaugeName(name: string): PromName {
  if (name.startsWith('vus.'))
    return {
      family: `${PROM_PREFIX}users_active`,
      labels: { cohort: name.slice(4) },
      help: 'virtual users running now, by cohort',
    };
  if (name === 'runs.in_flight')
    return { family: `${PROM_PREFIX}runs_in_flight`, labels: {}, help: 'agent runs started and not yet ended' };
  return { family: `${PROM_PREFIX}${computeNamePart(name)}`, labels: {}, help: name };
}

/** Label names Prometheus accepts (and that do not start with the reserved `__`). */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Labels crosstalk sets itself; a scenario's own `outputs.labels` may not use them. */
export const RESERVED_LABELS: readonly string[] = [
  'scenario',
  'segment',
  'run',
  'cohort',
  'kind',
  'op',
  'event',
  'quantile',
  'le',
  'receiver',
  'verdict',
  'job',
  'instance',
];
