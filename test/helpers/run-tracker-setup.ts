// A RunTracker as a cohort's user has it, recording into a real
// MetricRegistry, and readers of what it recorded: for the RunTracker tests
// in test/core/.
import { RUN_EVENTS } from '../../src/core/metric-names.js';
import { MetricRegistry, type Counter, type Trend } from '../../src/core/metric-registry.js';
import type { RunMetrics } from '../../src/core/run-record.js';
import { RunTracker } from '../../src/core/run-tracker.js';

/** The cohort every metric is tagged with. */
export const COHORT = 'chatters';

/** The RunMetrics a cohort records into, built on a real registry. */
export function makeMetrics(registry: MetricRegistry): RunMetrics {
  const tags = { cohort: COHORT };
  const events: Trend[] = RUN_EVENTS.map((e) => registry.trend(`run.${e}`, tags));
  const errors = new Map<string, Counter>();
  return {
    eventTrend: (event) => events[event],
    total: registry.trend('run.total', tags),
    gap: registry.trend('run.gap', tags),
    firstEvent: registry.trend('run.first_event', tags),
    firstContent: registry.trend('run.first_content', tags),
    contentGap: registry.trend('run.content_gap', tags),
    contentDeltas: registry.counter('run.content_deltas', tags),
    started: registry.counter('runs.started', tags),
    completed: registry.counter('runs.completed', tags),
    failed: registry.counter('runs.failed', tags),
    timedOut: registry.counter('runs.timed_out', tags),
    interrupted: registry.counter('runs.interrupted', tags),
    error(kind) {
      let c = errors.get(kind);
      if (!c) errors.set(kind, (c = registry.counter('errors', { cohort: COHORT, kind })));
      return c;
    },
    succeed(op) {
      registry.counter('operations.succeeded', { cohort: COHORT, op }).add();
    },
  };
}

/** A fresh registry and a RunTracker recording into it, with no user callbacks and the default grammar. */
export function setup(): { registry: MetricRegistry; tracker: RunTracker } {
  const registry = new MetricRegistry();
  return { registry, tracker: new RunTracker(makeMetrics(registry)) };
}

/** Samples of trend `name`, in µs (HDR is exact below 2048 µs and within 0.1% above). */
export function trend(registry: MetricRegistry, name: string): { count: number; min: number; max: number } {
  const t = registry.trend(name, { cohort: COHORT });
  return { count: t.hist.totalCount, min: t.hist.minNonZeroValue, max: t.hist.maxValue };
}

/** The value of counter `name` with `tags` (by default the cohort's). */
export function counter(
  registry: MetricRegistry,
  name: string,
  tags: Record<string, string> = { cohort: COHORT },
): number {
  return registry.counter(name, tags).value;
}
