// Queueing windows from synthetic samples: which seconds are flagged, how
// they join into windows, what share of the latency samples they hold, when
// that makes the generator saturated, and how generators merge.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGeneratorHealth } from '../../src/core/generator-health.js';
import {
  computeQueueing,
  isQueueingSaturated,
  LOOP_LAG_METRIC,
  QUEUEING_BOUND_MS,
} from '../../src/core/generator-queueing.js';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { buildSummaryFigures, judgeSummary, type Summary, type SummaryInput } from '../../src/core/summary.js';
import { mergeSummaries } from '../../src/core/summary-merge.js';

/** A run's summary as the engine writes it, judged with no coverage floor. */
function buildSummary(r: MetricRegistry, input: SummaryInput): Summary {
  return judgeSummary(buildSummaryFigures(r, input), {
    thresholds: [],
    floor: { framesChecked: 0, restAnswersChecked: 0, runsCompleted: 0, usersWithRun: 0, probesAnswered: 0 },
  });
}

/**
 * A registry fed second by second: `lagMs[i]` is the worst loop lag of second
 * i (plus 499 samples of 0.2 ms, as an idle 2 ms sampler gives), `connects[i]`
 * how many ws.connect samples that second holds (default 10).
 */
function fed(lagMs: readonly number[], connects: readonly number[] = []): MetricRegistry {
  const r = new MetricRegistry();
  const lag = r.trend(LOOP_LAG_METRIC);
  const connect = r.trend('ws.connect', { cohort: 'c' });
  lagMs.forEach((worst, i) => {
    for (let k = 0; k < 499; k++) lag.record(200);
    lag.record(worst * 1000);
    for (let k = 0; k < (connects[i] ?? 10); k++) connect.record(5_000);
    r.tick(i + 1);
  });
  return r;
}

function summaryOf(r: MetricRegistry, startMs = Date.UTC(2026, 0, 1)): Summary {
  return buildSummary(r, {
    scenario: { name: 'q', file: 'q.yaml', sha256: 'ab'.repeat(32) },
    target: { url: 'embedded', embedded: true },
    startedAtMs: startMs,
    endedAtMs: startMs + r.series.length * 1000,
    segment: '0/1',
    interrupted: false,
    users: { total: 1, byCohort: { c: 1 } },
    generator: { loopLagP99Ms: 0, loopLagMaxMs: 0, cpuPercent: 10, saturated: false, workers: 1 },
  });
}

describe('computeQueueing', () => {
  test('flags the seconds whose worst lag is past the bound; consecutive seconds form one window', () => {
    const q = computeQueueing(fed([1, 2, 48, 31, 3, 19.9, 20, 25, 1]).series);
    assert.equal(q.boundMs, QUEUEING_BOUND_MS);
    // Point t covers second [t-1, t): seconds 2 and 3 (48, 31 ms), then 7 (25 ms). 20 ms exactly is not past the bound.
    assert.deepEqual(q.windows, [
      { fromSec: 2, toSec: 4, maxLagMs: 48 },
      { fromSec: 7, toSec: 8, maxLagMs: 25 },
    ]);
    assert.equal(q.seconds, 3);
    // 3 of 9 seconds, each holding 10 of the 90 ws.connect samples; the loop-lag samples themselves do not count.
    assert.equal(q.sampleShare, Math.round((30 / 90) * 1e4) / 1e4);
  });

  test('an idle series flags nothing', () => {
    const q = computeQueueing(fed([0.4, 1.2, 3, 9.5, 2]).series);
    assert.deepEqual(q, { boundMs: QUEUEING_BOUND_MS, windows: [], seconds: 0, sampleShare: 0 });
    assert.equal(isQueueingSaturated(q), false);
  });

  test('the share counts samples, not seconds: one burst second after a stall can hold most of them', () => {
    // 20 seconds; in second 12 the held answers arrive all at once (400 connects), elsewhere 10 a second.
    const lags = Array.from({ length: 20 }, (_, i) => (i === 12 ? 48 : 2));
    const connects = Array.from({ length: 20 }, (_, i) => (i === 12 ? 400 : 10));
    const q = computeQueueing(fed(lags, connects).series);
    assert.deepEqual(q.windows, [{ fromSec: 12, toSec: 13, maxLagMs: 48 }]);
    assert.equal(q.seconds, 1);
    assert.ok(q.sampleShare > 0.6, `${q.sampleShare}`);
    assert.equal(isQueueingSaturated(q), true, '1 s of 20, but most samples were timed in it');
  });

  test('saturated from 5% of the latency samples on', () => {
    const lags = Array.from({ length: 40 }, (_, i) => (i === 5 ? 30 : 1));
    assert.equal(isQueueingSaturated(computeQueueing(fed(lags).series)), false, '1 second of 40 evenly loaded: 2.5%');
    const two = Array.from({ length: 40 }, (_, i) => (i === 5 || i === 30 ? 30 : 1));
    assert.equal(isQueueingSaturated(computeQueueing(fed(two).series)), true, '2 seconds of 40: 5%');
  });

  test('a custom bound', () => {
    assert.equal(computeQueueing(fed([12, 4]).series, 10).seconds, 1);
  });
});

describe('generator health from a summary', () => {
  test("the loop-lag figures are the generator.loop_lag trend's own; queueing can make the generator saturated", () => {
    const s = summaryOf(fed(Array.from({ length: 10 }, (_, i) => (i === 3 ? 80 : 1))));
    const lag = s.metrics[LOOP_LAG_METRIC];
    assert.ok(lag && lag.type === 'trend');
    const g = computeGeneratorHealth(s, { cpuPercent: 30, workers: 1 });
    assert.equal(g.loopLagP99Ms, lag.p99);
    assert.equal(g.loopLagMaxMs, lag.max);
    assert.equal(g.loopLagMaxMs, 80);
    assert.deepEqual(g.queueing?.windows, [{ fromSec: 3, toSec: 4, maxLagMs: 80 }]);
    assert.equal(g.saturated, true, '1 second of 10 holds 10% of the samples');
  });

  test('CPU per worker and lag p99 still saturate on their own; a quiet run is not saturated', () => {
    const quiet = summaryOf(fed([1, 2, 1]));
    assert.equal(computeGeneratorHealth(quiet, { cpuPercent: 150, workers: 2 }).saturated, false);
    assert.equal(computeGeneratorHealth(quiet, { cpuPercent: 185, workers: 2 }).saturated, true);
    assert.equal(computeGeneratorHealth(quiet, { cpuPercent: 10, workers: 1, alsoSaturated: true }).saturated, true);
  });

  test('merging generators: windows from the merged series (a second flagged by either is flagged), one p99', () => {
    const a = summaryOf(fed([1, 35, 1, 1, 1, 1]));
    const b = summaryOf(fed([1, 1, 1, 1, 60, 1]));
    const parts = [a, b].map((p) => ({ ...p, generator: computeGeneratorHealth(p, { cpuPercent: 20, workers: 1 }) }));
    const m = mergeSummaries(parts, { violations: 0, byKind: {}, byCohort: {}, settled: 0 });
    assert.deepEqual(m.generator.queueing?.windows, [
      { fromSec: 1, toSec: 2, maxLagMs: 35 },
      { fromSec: 4, toSec: 5, maxLagMs: 60 },
    ]);
    assert.equal(m.generator.queueing?.seconds, 2);
    const lag = m.metrics[LOOP_LAG_METRIC];
    assert.ok(lag && lag.type === 'trend');
    assert.equal(m.generator.loopLagP99Ms, lag.p99);
    assert.equal(m.generator.loopLagMaxMs, 60);
    assert.equal(m.generator.workers, 2);
  });
});
