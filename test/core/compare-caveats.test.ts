// What `simulate compare` will not judge, and says why: a change within the
// host noise the samples were timed under, figures from a saturated
// generator, isolation counts of mixed summary schemas, and an untested run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeComparison } from '../../src/core/compare.js';
import { computeHostNoiseMs } from '../../src/core/host-noise.js';
import type { SeriesPoint } from '../../src/core/metric-registry.js';
import { formatCaveat, formatRowReason } from '../../src/output/compare-format.js';
import { rowOf } from '../helpers/comparison-rows.js';
import { buildSeries, buildSummary, drawLogNormalMs, drawRunLatenciesMs } from '../helpers/synthetic-summary.js';

describe('compare: what the machine may have done', () => {
  /** 20 s of series with `perSecond` samples of http.get_thread a second and the generator lagging `lagMs` (per second). */
  const seriesWithLag = (lagMs: (t: number) => number, perSecond: (t: number) => number): SeriesPoint[] =>
    Array.from({ length: 20 }, (_, i) => {
      const t = i + 1;
      const n = perSecond(t);
      const lag = lagMs(t);
      return {
        t,
        counters: {},
        gauges: { 'vus.chatters': 10 },
        trends: {
          ...(n ? { 'http.get_thread': { count: n, p50: 3, p95: 5, p99: 6, max: 7 } } : {}),
          'generator.loop_lag': { count: 1, p50: lag, p95: lag, p99: lag, max: lag },
        },
      };
    });

  test("host noise is the lag the trend's own samples were timed under, at the same percentile", () => {
    // A connect storm: most samples in the first 2 s, while the generator lagged 400 ms.
    const storm = buildSummary({
      series: seriesWithLag(
        (t) => (t <= 2 ? 400 : 10),
        (t) => (t <= 2 ? 90 : 1),
      ),
      generator: { loopLagP99Ms: 20 },
    });
    assert.equal(computeHostNoiseMs(storm, 'http.get_thread', 0.5), 400);
    // Even samples, one bad second in twenty: the median saw 10 ms, the p99 saw the stall.
    const hiccup = buildSummary({
      series: seriesWithLag(
        (t) => (t === 7 ? 90 : 10),
        () => 50,
      ),
    });
    assert.equal(computeHostNoiseMs(hiccup, 'http.get_thread', 0.5), 10);
    assert.equal(computeHostNoiseMs(hiccup, 'http.get_thread', 0.99), 90);
    assert.equal(
      computeHostNoiseMs(buildSummary({ generator: { loopLagP99Ms: 12.5 } }), 'http.get_thread', 0.5),
      12.5,
      "without a lag series, the run's lag p99",
    );
  });

  test('a certain +3 ms on a 3 ms call is inconclusive on a machine lagging 15 ms, a regression on a quiet one', () => {
    const trends = (seed: number, median: number): Record<string, number[]> => ({
      'http.get_thread': drawLogNormalMs(2000, seed, median),
    });
    const busy = seriesWithLag(
      () => 15,
      () => 100,
    );
    const quiet = seriesWithLag(
      () => 0.5,
      () => 100,
    );
    const onBusy = computeComparison(
      buildSummary({ trends: trends(1, 3), series: busy }),
      buildSummary({ trends: trends(2, 6), series: busy }),
      0.1,
    );
    const r = rowOf(onBusy, 'http.get_thread', 'p50');
    assert.ok(r.intervalPct!.low > 50, 'the change is certain');
    assert.equal(r.status, 'inconclusive');
    assert.match(
      formatRowReason(r) ?? '',
      /change is within the host noise \(twice the 15 ms the generator lagged as these samples were timed\)/,
    );
    assert.equal(onBusy.verdict, 'ok');
    const onQuiet = computeComparison(
      buildSummary({ trends: trends(1, 3), series: quiet }),
      buildSummary({ trends: trends(2, 6), series: quiet }),
      0.1,
    );
    assert.equal(rowOf(onQuiet, 'http.get_thread', 'p50').status, 'regression');
  });

  test('a saturated generator: short latencies and throughput inconclusive, long ones, failures and leaks still judged', () => {
    const sBase = buildSeries({
      users: 10,
      rampSec: 2,
      plateauSec: 15,
      downSec: 2,
      seed: 1,
      ratesPerSec: { 'runs.completed': 40 },
    });
    const sCur = buildSeries({
      users: 10,
      rampSec: 2,
      plateauSec: 15,
      downSec: 2,
      seed: 2,
      ratesPerSec: { 'runs.completed': 20, 'runs.failed': 10 },
    });
    // run.total ~60 ms: 10% of it is far below a 180 ms stall. slow.total ~3 s: 10% is 300 ms.
    const base = buildSummary({
      trends: { 'run.total': drawRunLatenciesMs(1000, 1), 'slow.total': drawRunLatenciesMs(1000, 3, 50) },
      series: sBase,
    });
    const current = buildSummary({
      trends: { 'run.total': drawRunLatenciesMs(1000, 2, 1.5), 'slow.total': drawRunLatenciesMs(1000, 4, 75) },
      series: sCur,
      generator: { saturated: true, loopLagP99Ms: 180 },
      isolation: { violations: 2 },
    });
    const c = computeComparison(base, current, 0.1);
    for (const stat of ['p50', 'p95']) {
      const r = rowOf(c, 'run.total', stat);
      assert.equal(r.status, 'inconclusive', stat);
      assert.equal(
        formatRowReason(r),
        "the current run's generator saturated (generator.loop_lag p99 180 ms, beyond 10% of this figure)",
      );
      assert.equal(
        rowOf(c, 'slow.total', stat).status,
        'regression',
        `a +50% on seconds-long ${stat} shows through 180 ms stalls`,
      );
    }
    assert.equal(rowOf(c, 'runs.completed', 'rate').status, 'inconclusive', "throughput is the generator's too");
    assert.equal(rowOf(c, 'runs.failed', 'rate').status, 'regression', "the target's failures are still judged");
    assert.equal(rowOf(c, 'isolation', 'violations').status, 'regression');
    assert.ok(
      c.caveats
        .map(formatCaveat)
        .some((n) => /current run's generator was saturated \(generator.loop_lag p99 180 ms\)/.test(n)),
      c.caveats.map(formatCaveat).join('\n'),
    );
  });
});

describe('compare: schemas and verdicts', () => {
  const trends = { 'run.total': drawRunLatenciesMs(400, 1) };

  test('/1 and /2 are both read; mixing them explains the isolation counts', () => {
    const v1 = buildSummary({ trends });
    const v2 = buildSummary({ trends, schema: 'crosstalk.summary/2', isolation: { verdict: 'clean' } });
    assert.equal(computeComparison(v2, v2, 0.1).verdict, 'ok');
    const mixed = computeComparison(v1, v2, 0.1);
    assert.equal(mixed.verdict, 'ok');
    assert.ok(
      mixed.caveats
        .map(formatCaveat)
        .some((n) =>
          /crosstalk\.summary\/1 and the current run crosstalk\.summary\/2: isolation counts are not comparable/.test(
            n,
          ),
        ),
      mixed.caveats.map(formatCaveat).join('\n'),
    );
    // /1 counted reasons, /2 frames: 8 → 3 is not an improvement, and 3 → 8 not a regression.
    const leaky1 = buildSummary({ trends, isolation: { violations: 8 } });
    const leaky2 = buildSummary({
      trends,
      schema: 'crosstalk.summary/2',
      isolation: { violations: 3, verdict: 'violated' },
    });
    assert.equal(rowOf(computeComparison(leaky1, leaky2, 0.1), 'isolation', 'violations').status, 'info');
    // A leak after a clean baseline is a regression in any schema.
    const r = rowOf(computeComparison(v1, leaky2, 0.1), 'isolation', 'violations');
    assert.equal(r.status, 'regression');
  });

  test('an untested run gets a note, and its isolation row is inconclusive', () => {
    const good = buildSummary({ trends, schema: 'crosstalk.summary/2', isolation: { verdict: 'clean' } });
    const untested = buildSummary({
      trends,
      schema: 'crosstalk.summary/2',
      verdict: 'untested',
      isolation: { verdict: 'untested' },
    });
    const c = computeComparison(good, untested, 0.1);
    assert.ok(
      c.caveats
        .map(formatCaveat)
        .includes("the current run's verdict is untested: its figures do not describe a working target"),
      c.caveats.map(formatCaveat).join('\n'),
    );
    const r = rowOf(c, 'isolation', 'violations');
    assert.equal(r.status, 'inconclusive');
    assert.equal(formatRowReason(r), 'isolation untested in the current run');
    assert.equal(c.verdict, 'ok');
  });
});
