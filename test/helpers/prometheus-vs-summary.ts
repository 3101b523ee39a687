// What a real Prometheus holds, read back and checked against a generator's summary.json: counter totals,
// counts by kind, trend counts, and the summary's percentiles in the histogram buckets Prometheus
// interpolates in. For the live-output tests; no side effects at import time.
import assert from 'node:assert/strict';
import { computePromCounterName, computePromTrendName, LATENCY_BUCKETS_SECONDS } from '../../src/core/prom-naming.js';
import type { Summary, TrendSummary } from '../../src/core/summary.js';
import type { TestPrometheus } from './prometheus.js';
import { counter } from './sim.js';

/** Counters whose Prometheus total must equal summary.json's. */
const COUNTERS = [
  'runs.started',
  'runs.completed',
  'runs.failed',
  'runs.timed_out',
  'errors',
  'operations',
  'operations.succeeded',
  'isolation.violations',
  'lifecycle.violations',
  'ws.frames_received',
  'http.requests',
  'iterations',
  'isolation.frames_checked',
  'isolation.rest_checked',
  'probes.sent',
  'users.with_run',
];

/** The total over every series `selector` picks, each at its last value (scraped series go stale once a run ends). */
export async function total(prom: TestPrometheus, metric: string, selector: string): Promise<number | undefined> {
  const r = await prom.query(`sum(max_over_time(${metric}{${selector}}[5m]))`);
  return r[0]?.value;
}
async function byKind(prom: TestPrometheus, metric: string, selector: string): Promise<Record<string, number>> {
  const r = await prom.query(`sum by (kind) (max_over_time(${metric}{${selector}, kind!=""}[5m]))`);
  return Object.fromEntries(r.filter((x) => x.value > 0).map((x) => [x.metric.kind!, x.value]));
}
function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `, ${k}="${v}"`)
    .join('');
}

/** Every count of `s` as Prometheus holds it under `selector` (one generator, one source). */
export async function assertSameCounts(
  prom: TestPrometheus,
  s: Summary,
  selector: string,
  source: string,
): Promise<void> {
  for (const name of COUNTERS) {
    const got = await total(prom, computePromCounterName(name).family, selector);
    assert.equal(got ?? 0, counter(s, name), `${source} ${s.segment}: ${name}`);
    if (['runs.started', 'runs.completed', 'ws.frames_received'].includes(name))
      assert.ok(got !== undefined && got > 0, `${source} ${s.segment}: ${name} has series with data`);
  }
  assert.deepEqual(
    await byKind(prom, 'crosstalk_isolation_violations_by_kind_total', selector),
    s.isolation.byKind,
    `${source} ${s.segment}: leaked frames by kind`,
  );
  assert.deepEqual(
    await byKind(prom, 'crosstalk_lifecycle_violations_total', selector),
    s.lifecycle.byKind,
    `${source} ${s.segment}: lifecycle violations by kind`,
  );
  assert.deepEqual(
    await byKind(prom, 'crosstalk_errors_total', selector),
    s.errors.byKind,
    `${source} ${s.segment}: errors by kind`,
  );
  for (const [name, m] of Object.entries(s.metrics)) {
    if (m.type !== 'trend') continue;
    const n = computePromTrendName(name);
    assert.equal(
      await total(prom, `${n.family}_count`, `${selector}${labelSelector(n.labels)}`),
      m.count,
      `${source} ${s.segment}: ${name} count`,
    );
  }
}

/**
 * The histogram's buckets hold the summary's percentiles: for each, the bucket Prometheus's
 * histogram_quantile interpolates in is the one the exact (HdrHistogram) figure falls in.
 */
export async function assertPercentilesInBuckets(
  prom: TestPrometheus,
  t: TrendSummary,
  family: string,
  selector: string,
  what: string,
): Promise<void> {
  const rows = await prom.query(`sum by (le) (max_over_time(${family}_bucket{${selector}}[5m]))`);
  const cum = rows
    .map((r) => ({ le: r.metric.le === '+Inf' ? Infinity : Number(r.metric.le), n: r.value }))
    .sort((a, b) => a.le - b.le);
  assert.equal(cum.length, LATENCY_BUCKETS_SECONDS.length + 1, `${what}: every bucket`);
  assert.equal(cum.at(-1)!.n, t.count, `${what}: +Inf bucket holds every sample`);
  for (const [q, exactMs] of [
    [0.5, t.p50],
    [0.95, t.p95],
    [0.99, t.p99],
  ] as const) {
    const i = cum.findIndex((b) => b.n >= q * t.count);
    const lower = i === 0 ? 0 : cum[i - 1]!.le;
    const upper = cum[i]!.le;
    const exact = exactMs / 1000;
    assert.ok(
      exact >= lower * 0.999 && exact <= upper * 1.001,
      `${what} p${q * 100}: ${exact}s from summary.json, expected in bucket (${lower}, ${upper}]`,
    );
    const [est] = await prom.query(
      `histogram_quantile(${q}, sum by (le) (max_over_time(${family}_bucket{${selector}}[5m])))`,
    );
    assert.ok(
      est && est.value >= lower && est.value <= upper,
      `${what} p${q * 100}: histogram_quantile ${est?.value} in (${lower}, ${upper}]`,
    );
  }
}
