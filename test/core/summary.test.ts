import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTrendStats, createHistogram, decodeHistogram, encodeHistogram } from '../../src/core/histogram.js';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import type { CoverageFloor } from '../../src/core/coverage.js';
import {
  buildSummaryFigures,
  judgeSummary,
  type CounterSummary,
  type Summary,
  type SummaryInput,
  type TrendSummary,
} from '../../src/core/summary.js';
import type { ThresholdResult } from '../../src/core/thresholds.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);

function input(over: Partial<SummaryInput> = {}): SummaryInput {
  return {
    scenario: { name: 'smoke', file: 'scenarios/smoke.yaml', sha256: 'ab'.repeat(32) },
    target: { url: 'http://127.0.0.1:8080', embedded: true },
    startedAtMs: START,
    endedAtMs: START + 10_000,
    segment: '0/1',
    interrupted: false,
    users: { total: 3, byCohort: { chatters: 2, lurkers: 1 } },
    generator: { loopLagP99Ms: 2, loopLagMaxMs: 5, cpuPercent: 40, saturated: false },
    ...over,
  };
}

const THRESHOLDS: ThresholdResult[] = [{ metric: 'run.total', expression: 'p(95) < 1s', actual: 950, ok: true }];
const NO_FLOOR: CoverageFloor = {
  framesChecked: 0,
  restAnswersChecked: 0,
  runsCompleted: 0,
  usersWithRun: 0,
  probesAnswered: 0,
};

/** summary.json's content for a registry: its figures, judged with no coverage floor unless given. */
function buildSummary(
  r: MetricRegistry,
  over: SummaryInput,
  judge: { thresholds?: ThresholdResult[]; floor?: CoverageFloor } = {},
): Summary {
  return judgeSummary(buildSummaryFigures(r, over), {
    thresholds: judge.thresholds ?? THRESHOLDS,
    floor: judge.floor ?? NO_FLOOR,
  });
}

/** A registry with known figures: run.total 1..1000 ms for chatters, 5 s × 10 for lurkers. */
function filled(): MetricRegistry {
  const r = new MetricRegistry();
  const a = r.trend('run.total', { cohort: 'chatters' });
  for (let ms = 1; ms <= 1000; ms++) a.record(ms * 1000);
  const b = r.trend('run.total', { cohort: 'lurkers' });
  for (let i = 0; i < 10; i++) b.record(5_000_000);
  r.trend('run.agent_started', { cohort: 'chatters' }); // never recorded
  r.counter('operations', { cohort: 'chatters' }).add(150);
  r.counter('operations', { cohort: 'lurkers' }).add(50);
  r.counter('errors', { cohort: 'chatters', kind: 'timeout' }).add(3);
  r.counter('errors', { cohort: 'chatters', kind: 'agent_error' }).add(2);
  r.counter('errors', { cohort: 'lurkers', kind: 'timeout' }).add(1);
  r.counter('runs.started', { cohort: 'chatters' }).add(40);
  r.counter('runs.completed', { cohort: 'chatters' }).add(34);
  r.counter('runs.failed', { cohort: 'chatters' }).add(2);
  r.counter('runs.timed_out', { cohort: 'chatters' }).add(3);
  r.counter('runs.interrupted', { cohort: 'chatters' }).add(1);
  // Three leaked frames: two showing a foreign thread, one of them also a foreign run, and one showing a foreign run only.
  r.counter('isolation.violations', { cohort: 'lurkers' }).add(3);
  r.counter('isolation.violations.by_kind', { cohort: 'lurkers', kind: 'foreign_thread' }).add(2);
  r.counter('isolation.violations.by_kind', { cohort: 'lurkers', kind: 'foreign_run' }).add(2);
  r.counter('isolation.violations.by_kind', { cohort: 'lurkers', kind: 'auth_bypass' }); // registered, 0
  r.counter('isolation.unattributed', { cohort: 'lurkers' }).add(4);
  r.counter('lifecycle.violations', { cohort: 'chatters', kind: 'out_of_order' }).add(5);
  return r;
}

function trendOf(s: Summary, name: string): TrendSummary {
  const m = s.metrics[name];
  assert.ok(m && m.type === 'trend', `${name} should be a trend in the summary`);
  return m;
}

function counterOf(s: Summary, name: string): CounterSummary {
  const m = s.metrics[name];
  assert.ok(m && m.type === 'counter', `${name} should be a counter in the summary`);
  return m;
}

describe('buildSummaryFigures and judgeSummary', () => {
  test('carries the schema, scenario, target, times and segment', () => {
    const s = buildSummary(filled(), input());
    assert.equal(s.schema, 'crosstalk.summary/2');
    assert.deepEqual(s.scenario, { name: 'smoke', file: 'scenarios/smoke.yaml', sha256: 'ab'.repeat(32) });
    assert.deepEqual(s.target, { url: 'http://127.0.0.1:8080', embedded: true });
    assert.equal(s.startedAt, '2025-01-02T03:04:05.000Z');
    assert.equal(s.endedAt, '2025-01-02T03:04:15.000Z');
    assert.equal(s.durationMs, 10_000);
    assert.equal(s.segment, '0/1');
    assert.deepEqual(s.users, { total: 3, byCohort: { chatters: 2, lurkers: 1 } });
    assert.equal(s.generator.saturated, false);
    assert.deepEqual(s.thresholds, THRESHOLDS);
  });

  test('trend stats are in ms, over every tag set', () => {
    const t = trendOf(buildSummary(filled(), input()), 'run.total');
    assert.equal(t.count, 1010);
    assert.equal(t.min, 1);
    assert.equal(t.max, 5000);
    // 1..1000 ms and ten at 5 s: the true mean is (500500 + 50000) / 1010 ms.
    assert.ok(Math.abs(t.mean - 550_500 / 1010) < (550_500 / 1010) * 0.001, `mean ${t.mean}`);
    assert.ok(Math.abs(t.p50 - 505) <= 1, `p50 ${t.p50}`);
    assert.ok(Math.abs(t.p90 - 909) <= 1, `p90 ${t.p90}`);
    // Rank 999.9 of 1010 is the 1000th sample (1000 ms); rank 1009 is one of the 5 s runs.
    assert.ok(Math.abs(t.p99 - 1000) <= 1, `p99 ${t.p99}`);
    assert.equal(t.p999, 5000);
    for (const k of ['p50', 'p90', 'p95', 'p99', 'p999'] as const) assert.ok(t[k] <= t.max, `${k} above max`);
  });

  test('hdr decodes to the same histogram: count, mean and percentiles equal, min/max within 0.1%', () => {
    const t = trendOf(buildSummary(filled(), input()), 'run.total');
    assert.equal(typeof t.hdr, 'string');
    const h = decodeHistogram(t.hdr);
    assert.equal(h.totalCount, 1010);
    const d = computeTrendStats(h);
    assert.deepEqual([d.count, d.mean, d.p50, d.p90, d.p95, d.p99], [t.count, t.mean, t.p50, t.p90, t.p95, t.p99]);
    assert.ok(Math.abs(d.max - t.max) <= t.max * 0.001, `decoded max ${d.max} vs ${t.max}`);
    assert.ok(Math.abs(d.min - t.min) <= t.min * 0.001, `decoded min ${d.min} vs ${t.min}`);
  });

  test('trends are split by tag, each with its own hdr', () => {
    const t = trendOf(buildSummary(filled(), input()), 'run.total');
    assert.deepEqual(Object.keys(t.byTag).sort(), ['cohort:chatters', 'cohort:lurkers']);
    const chatters = t.byTag['cohort:chatters']!;
    assert.equal(chatters.count, 1000);
    assert.equal(chatters.max, 1000);
    assert.equal(decodeHistogram(chatters.hdr).totalCount, 1000);
    assert.equal(t.byTag['cohort:lurkers']!.min, 5000);
    assert.equal(decodeHistogram(t.byTag['cohort:lurkers']!.hdr).totalCount, 10);
  });

  test('a trend with no samples is left out', () => {
    const s = buildSummary(filled(), input());
    assert.equal(s.metrics['run.agent_started'], undefined);
  });

  test('counters: value, rate per second and byTag', () => {
    const s = buildSummary(filled(), input());
    const ops = counterOf(s, 'operations');
    assert.equal(ops.value, 200);
    assert.equal(ops.ratePerSec, 20);
    assert.deepEqual(ops.byTag, { 'cohort:chatters': 150, 'cohort:lurkers': 50 });
    const errors = counterOf(s, 'errors');
    assert.equal(errors.value, 6);
    assert.deepEqual(errors.byTag, {
      'cohort:chatters': 5,
      'cohort:lurkers': 1,
      'kind:timeout': 4,
      'kind:agent_error': 2,
    });
  });

  test('errors.rate is errors / operations, in the counter and the errors block', () => {
    const s = buildSummary(filled(), input());
    assert.equal(counterOf(s, 'errors').rate, 0.03);
    assert.deepEqual(s.errors, { count: 6, rate: 0.03, byKind: { timeout: 4, agent_error: 2 } });
    assert.equal(counterOf(s, 'operations').rate, undefined, 'only errors has a rate');
  });

  test('errors.rate is 0, not NaN, without operations', () => {
    const r = new MetricRegistry();
    r.counter('errors', { cohort: 'a', kind: 'timeout' }).add(2);
    const s = buildSummary(r, input());
    assert.equal(s.errors.rate, 0);
    assert.equal(s.errors.count, 2);
  });

  test('runs, isolation and lifecycle blocks; a leaked frame counts once, and once under each kind it shows', () => {
    const s = buildSummary(filled(), input());
    assert.deepEqual(s.runs, { started: 40, completed: 34, failed: 2, timedOut: 3, interrupted: 1 });
    assert.deepEqual(s.isolation, {
      verdict: 'violated',
      violations: 3,
      byKind: { foreign_thread: 2, foreign_run: 2 },
      unattributed: 4,
    });
    const iso = counterOf(s, 'isolation.violations');
    assert.equal(iso.value, 3);
    assert.deepEqual(iso.byTag, { 'cohort:lurkers': 3, 'kind:foreign_thread': 2, 'kind:foreign_run': 2 });
    assert.equal(
      s.metrics['isolation.violations.by_kind'],
      undefined,
      'the per-kind counter is folded into isolation.violations',
    );
    assert.deepEqual(s.lifecycle, { violations: 5, byKind: { out_of_order: 5 } });
  });

  test('an empty registry gives zeros, not missing blocks', () => {
    const s = buildSummary(new MetricRegistry(), input());
    assert.deepEqual(s.metrics, {});
    assert.deepEqual(s.runs, { started: 0, completed: 0, failed: 0, timedOut: 0, interrupted: 0 });
    assert.deepEqual(s.isolation, { verdict: 'clean', violations: 0, byKind: {}, unattributed: 0 });
    assert.deepEqual(s.errors, { count: 0, rate: 0, byKind: {} });
  });

  test('verdict and exit code: 130 interrupted, 2 a leak (over everything else), 4 untested, 1 a failed threshold, else 0', () => {
    const failed: ThresholdResult[] = [{ metric: 'run.total', expression: 'p(95) < 1ms', actual: 950, ok: false }];
    const clean = (): MetricRegistry => {
      const r = new MetricRegistry();
      r.counter('ws.frames_received').add(10);
      r.counter('isolation.frames_checked').add(10);
      return r;
    };
    const leaky = (): MetricRegistry => {
      const r = clean();
      r.counter('isolation.violations').add(1);
      r.counter('isolation.violations.by_kind', { kind: 'foreign_canary' }).add(1);
      return r;
    };
    const floor: CoverageFloor = { ...NO_FLOOR, framesChecked: 100 };
    const cases: Array<[string, Summary, number, string]> = [
      ['pass', buildSummary(clean(), input()), 0, 'pass'],
      ['failed threshold', buildSummary(clean(), input(), { thresholds: failed }), 1, 'fail'],
      ['leak', buildSummary(leaky(), input(), { thresholds: failed, floor }), 2, 'fail'],
      ['untested', buildSummary(clean(), input(), { thresholds: failed, floor }), 4, 'untested'],
      ['interrupted', buildSummary(leaky(), input({ interrupted: true })), 130, 'fail'],
    ];
    for (const [what, s, exitCode, verdict] of cases) {
      assert.equal(s.exitCode, exitCode, what);
      assert.equal(s.verdict, verdict, what);
    }
    const untested = cases[3]![1];
    assert.equal(untested.isolation.verdict, 'untested');
    assert.equal(untested.isolation.reason, 'isolation untested: 10 frames checked, below the floor of 100');
    assert.equal(untested.reasons?.[0], untested.isolation.reason, 'the reason that decided the exit code comes first');
    assert.deepEqual(untested.untested, [untested.isolation.reason]);
  });

  test('an operation that never succeeded makes the run untested, naming it', () => {
    const r = new MetricRegistry();
    r.counter('operations', { cohort: 'a', op: 'connect' }).add(12);
    r.counter('operations', { cohort: 'a', op: 'create_thread' }).add(3);
    r.counter('operations.succeeded', { cohort: 'a', op: 'create_thread' }).add(3);
    r.counter('errors', { cohort: 'a', kind: 'upgrade_failed' }).add(12);
    const s = buildSummary(r, input());
    assert.equal(s.exitCode, 4);
    assert.deepEqual(s.coverage?.operations, {
      connect: { attempted: 12, succeeded: 0 },
      create_thread: { attempted: 3, succeeded: 3 },
    });
    assert.deepEqual(s.untested, ['no connect ever succeeded (12 attempted)']);
  });

  test('an isolation threshold on an untested run has no data: it does not pass', () => {
    const r = new MetricRegistry();
    const s = buildSummary(r, input(), {
      thresholds: [{ metric: 'isolation.violations', expression: 'count == 0', actual: 0, ok: true }],
      floor: { ...NO_FLOOR, framesChecked: 1 },
    });
    assert.equal(s.isolation.reason, 'isolation untested: 0 frames received');
    assert.deepEqual(s.thresholds[0], {
      metric: 'isolation.violations',
      expression: 'count == 0',
      actual: 0,
      ok: false,
      note: 'no data: isolation untested: 0 frames received',
    });
  });

  test('a zero-length run has rate 0, not Infinity', () => {
    const s = buildSummary(filled(), input({ endedAtMs: START }));
    assert.equal(s.durationMs, 0);
    assert.equal(counterOf(s, 'operations').ratePerSec, 0);
  });

  test('the summary survives JSON (what summary.json holds)', () => {
    const s = buildSummary(filled(), input());
    const back = JSON.parse(JSON.stringify(s)) as Summary;
    assert.equal(back.schema, 'crosstalk.summary/2');
    assert.equal(decodeHistogram(trendOf(back, 'run.total').hdr).totalCount, 1010);
  });

  test('the series per second lands in the summary', () => {
    const r = filled();
    r.tick(1);
    const s = buildSummary(r, input());
    assert.equal(s.series.length, 1);
    assert.equal(s.series[0]!.trends['run.total']?.count, 1010);
    assert.equal(s.series[0]!.counters['operations'], 200);
  });
});

describe('histogram helpers', () => {
  test('decoded histograms merge to the same counts as merging the originals', () => {
    const a = createHistogram();
    const b = createHistogram();
    for (let i = 1; i <= 500; i++) a.recordValue(i * 100);
    for (let i = 1; i <= 300; i++) b.recordValue(i * 1000);
    const merged = decodeHistogram(encodeHistogram(a));
    merged.add(decodeHistogram(encodeHistogram(b)));
    const direct = createHistogram();
    direct.add(a);
    direct.add(b);
    assert.equal(merged.totalCount, 800);
    for (const q of [1, 10, 50, 75, 90, 95, 99, 99.9])
      assert.equal(merged.getValueAtPercentile(q), direct.getValueAtPercentile(q), `p${q}`);
    assert.equal(merged.mean, direct.mean);
    assert.ok(Math.abs(merged.maxValue - 300_000) <= 300, `max ${merged.maxValue}`);
  });

  test('computeTrendStats of an empty histogram is all zeros', () => {
    assert.deepEqual(
      { ...computeTrendStats(createHistogram()) },
      { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 },
    );
  });
});
