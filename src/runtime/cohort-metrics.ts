import { HTTP_OPS, OPERATIONS, RUN_EVENTS, type HttpOp, type Operation } from '../core/metric-names.js';
import type { Counter, MetricRegistry, Trend } from '../core/metric-registry.js';
import type { RunMetrics } from '../core/run-record.js';

/**
 * Every metric handle one cohort's users record into, looked up once so the
 * hot path is a property read and a histogram record, never a map of strings.
 */
export class CohortMetrics implements RunMetrics {
  readonly wsConnect: Trend;
  readonly http: Readonly<Record<HttpOp, Trend>>;
  readonly total: Trend;
  readonly gap: Trend;
  readonly firstEvent: Trend;
  readonly firstContent: Trend;
  readonly contentGap: Trend;
  readonly contentDeltas: Counter;
  readonly startDelay: Trend;
  readonly iterationDuration: Trend;
  readonly started: Counter;
  readonly completed: Counter;
  readonly failed: Counter;
  readonly timedOut: Counter;
  readonly interrupted: Counter;
  readonly framesReceived: Counter;
  readonly malformedFrames: Counter;
  readonly connections: Counter;
  readonly httpRequests: Counter;
  readonly iterations: Counter;
  readonly framesChecked: Counter;
  readonly restChecked: Counter;
  readonly usersWithRun: Counter;
  readonly dropped: Counter;
  /** `run.<event>` by position in RUN_EVENTS. */
  private readonly events: readonly Trend[];
  private readonly errors = new Map<string, Counter>();
  /** `operations{op}` and `operations.succeeded{op}` by position in OPERATIONS, made on first use. */
  private readonly attempts: Array<Counter | undefined> = [];
  private readonly successes: Array<Counter | undefined> = [];

  constructor(
    private readonly registry: MetricRegistry,
    readonly cohort: string,
  ) {
    const tags = { cohort };
    this.wsConnect = registry.trend('ws.connect', tags);
    const http = {} as Record<HttpOp, Trend>;
    for (const op of HTTP_OPS) http[op] = registry.trend(`http.${op}`, tags);
    this.http = http;
    this.events = RUN_EVENTS.map((e) => registry.trend(`run.${e}`, tags));
    this.total = registry.trend('run.total', tags);
    this.gap = registry.trend('run.gap', tags);
    this.firstEvent = registry.trend('run.first_event', tags);
    this.firstContent = registry.trend('run.first_content', tags);
    this.contentGap = registry.trend('run.content_gap', tags);
    this.contentDeltas = registry.counter('run.content_deltas', tags);
    this.startDelay = registry.trend('iteration.start_delay', tags);
    this.iterationDuration = registry.trend('iteration.duration', tags);
    this.started = registry.counter('runs.started', tags);
    this.completed = registry.counter('runs.completed', tags);
    this.failed = registry.counter('runs.failed', tags);
    this.timedOut = registry.counter('runs.timed_out', tags);
    this.interrupted = registry.counter('runs.interrupted', tags);
    this.framesReceived = registry.counter('ws.frames_received', tags);
    this.malformedFrames = registry.counter('ws.malformed_frames', tags);
    this.connections = registry.counter('ws.connections', tags);
    this.httpRequests = registry.counter('http.requests', tags);
    this.iterations = registry.counter('iterations', tags);
    this.framesChecked = registry.counter('isolation.frames_checked', tags);
    this.restChecked = registry.counter('isolation.rest_checked', tags);
    this.usersWithRun = registry.counter('users.with_run', tags);
    this.dropped = registry.counter('dropped', tags);
  }

  /** `run.<event>` for a run event's position in RUN_EVENTS; undefined for -1. */
  eventTrend(event: number): Trend | undefined {
    return this.events[event];
  }

  /** Counts an attempt of operation `op` (the denominator of the errors rate). */
  attempt(op: Operation): void {
    const i = OP_INDEX[op];
    (this.attempts[i] ??= this.registry.counter('operations', { cohort: this.cohort, op })).add();
  }

  /** Counts a success of operation `op`. */
  succeed(op: Operation): void {
    const i = OP_INDEX[op];
    (this.successes[i] ??= this.registry.counter('operations.succeeded', { cohort: this.cohort, op })).add();
  }

  /** `errors{cohort, kind}`. */
  error(kind: string): Counter {
    let c = this.errors.get(kind);
    if (!c) this.errors.set(kind, (c = this.registry.counter('errors', { cohort: this.cohort, kind })));
    return c;
  }
}

const OP_INDEX = Object.fromEntries(OPERATIONS.map((op, i) => [op, i])) as Record<Operation, number>;
