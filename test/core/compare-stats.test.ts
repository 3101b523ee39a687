// The statistics behind `simulate compare`, on synthetic summaries with real
// HDR histograms: identical distributions are never a regression, a +25%
// shift with enough samples always is, small samples are inconclusive, and
// counter rates are compared per second of steady state with a Poisson test.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBetaQuantile, computeRegularizedBeta, drawBeta } from '../../src/core/beta-distribution.js';
import { computeMinSamples } from '../../src/core/compare-rows.js';
import { computeComparison } from '../../src/core/compare.js';
import type { Comparison, ComparisonRow } from '../../src/core/compare-types.js';
import { createHistogram } from '../../src/core/histogram.js';
import {
  computeBucketDistribution,
  computePercentileRatioInterval,
  computePercentileUs,
} from '../../src/core/percentile-bootstrap.js';
import { createRandom } from '../../src/core/random.js';
import { computeHostNoiseMs } from '../../src/core/host-noise.js';
import { formatCaveat, formatRowReason } from '../../src/output/compare-format.js';
import type { SeriesPoint } from '../../src/core/metric-registry.js';
import {
  computeDispersion,
  computeRateRatioInterval,
  computeSteadyWindow,
  computeWindowCount,
} from '../../src/core/rate-comparison.js';
import { buildSeries, buildSummary, drawLogNormalMs, drawRunLatenciesMs } from '../helpers/synthetic-summary.js';

function rowOf(c: Comparison, metric: string, stat: string): ComparisonRow {
  const r = c.rows.find((x) => x.metric === metric && x.stat === stat);
  assert.ok(r, `a row for ${metric} ${stat}`);
  return r;
}

function regressions(c: Comparison): string[] {
  return c.rows.filter((r) => r.status === 'regression').map((r) => `${r.metric} ${r.stat}`);
}

describe('Beta distribution', () => {
  test('the regularized incomplete beta matches closed forms and the binomial tail', () => {
    assert.ok(Math.abs(computeRegularizedBeta(0.5, 2, 3) - 0.6875) < 1e-12);
    // I_x(1, b) = 1 − (1 − x)^b
    assert.ok(Math.abs(computeRegularizedBeta(0.2, 1, 7) - (1 - 0.8 ** 7)) < 1e-12);
    // P(Binomial(10, 0.3) ≥ 4) = I_0.3(4, 7)
    let tail = 0;
    for (let k = 4; k <= 10; k++) tail += binomial(10, k) * 0.3 ** k * 0.7 ** (10 - k);
    assert.ok(Math.abs(computeRegularizedBeta(0.3, 4, 7) - tail) < 1e-12);
    assert.ok(Math.abs(computeRegularizedBeta(0.5, 5e5, 5e5) - 0.5) < 1e-6, 'large parameters stay accurate');
  });

  test('the quantile inverts the distribution function', () => {
    for (const [p, a, b] of [
      [0.025, 3, 9],
      [0.975, 120.5, 80],
      [0.5, 1, 1],
    ] as const) {
      const x = computeBetaQuantile(p, a, b);
      assert.ok(Math.abs(computeRegularizedBeta(x, a, b) - p) < 1e-9, `${p} ${a} ${b}`);
    }
  });

  test('draws have the Beta mean and spread', () => {
    const rand = createRandom(3);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = drawBeta(rand, 114, 7);
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    assert.ok(Math.abs(mean - 114 / 121) < 0.001, `mean ${mean}`);
    assert.ok(Math.abs(sd - Math.sqrt((114 * 7) / (121 * 121 * 122))) < 0.001, `sd ${sd}`);
  });
});

describe('percentile bootstrap', () => {
  test("the point percentile is HdrHistogram's", () => {
    const h = createHistogram();
    for (let v = 1; v <= 1000; v++) h.recordValue(v * 100);
    const d = computeBucketDistribution(h);
    assert.equal(d.total, 1000);
    for (const q of [0.5, 0.95, 0.99]) assert.equal(computePercentileUs(d, q), h.getValueAtPercentile(q * 100));
  });

  test('the interval covers the true ratio about as often as it says', () => {
    let covered = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const a = computeBucketDistribution(buildHist(drawLogNormalMs(400, 1000 + t, 10)));
      const b = computeBucketDistribution(buildHist(drawLogNormalMs(400, 5000 + t, 10)));
      const ci = computePercentileRatioInterval(a, b, 0.95, 0.9, 1000, createRandom(t), createRandom(t + 77));
      if (ci.low <= 1 && ci.high >= 1) covered++;
    }
    // 90% nominal: 54 of 60 expected; a broken interval (too narrow or shifted) falls far below.
    assert.ok(covered >= 48 && covered <= 60, `covered ${covered}/60`);
  });

  test('the same inputs give the same interval (seeded per row)', () => {
    const base = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(800, 1) } });
    const current = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(800, 2) } });
    const a = computeComparison(base, current, 0.1);
    const b = computeComparison(base, current, 0.1);
    assert.deepEqual(rowOf(a, 'run.total', 'p95').intervalPct, rowOf(b, 'run.total', 'p95').intervalPct);
  });
});

describe('compare: latencies', () => {
  test('two samples of one distribution: no regression, whatever the seed', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const base = buildSummary({
        trends: { 'run.total': drawRunLatenciesMs(1200, seed), 'http.get_thread': drawLogNormalMs(300, seed + 100, 3) },
      });
      const current = buildSummary({
        trends: {
          'run.total': drawRunLatenciesMs(1200, seed + 50),
          'http.get_thread': drawLogNormalMs(300, seed + 150, 3),
        },
      });
      const c = computeComparison(base, current, 0.1);
      assert.deepEqual(regressions(c), [], `seed ${seed}`);
      assert.equal(c.verdict, 'ok');
      assert.equal(rowOf(c, 'run.total', 'p95').status, 'unchanged');
      // A 95% interval leaves 0 out one time in twenty; what matters is that it never lies wholly beyond +10%.
      const iv = rowOf(c, 'run.total', 'p95').intervalPct!;
      assert.ok(iv.low < 10 && iv.high > -10, `seed ${seed}: ${iv.low}, ${iv.high}`);
    }
  });

  test('a real +25% shift with 1000 samples a side: p50 and p95 are regressions, every seed', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const base = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(1000, seed) } });
      const current = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(1000, seed + 50, 1.25) } });
      const c = computeComparison(base, current, 0.1);
      for (const stat of ['p50', 'p95']) {
        const r = rowOf(c, 'run.total', stat);
        assert.equal(r.status, 'regression', `seed ${seed} ${stat}: ${JSON.stringify(r)}`);
        assert.ok(r.intervalPct!.low > 10, 'the whole interval is beyond the tolerance');
      }
      assert.equal(c.verdict, 'regression');
      // A faster current run is an improvement by the same rule.
      assert.equal(rowOf(computeComparison(current, base, 0.1), 'run.total', 'p50').status, 'improvement');
    }
  });

  test('a shift within the tolerance is not a regression however many samples', () => {
    const base = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(20_000, 1) } });
    const current = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(20_000, 2, 1.05) } });
    const c = computeComparison(base, current, 0.1);
    const r = rowOf(c, 'run.total', 'p50');
    assert.equal(r.status, 'unchanged');
    assert.ok(r.intervalPct!.low > 0, 'the shift is real (interval above 0) but within 10%');
    assert.equal(
      rowOf(computeComparison(base, current, 0.02), 'run.total', 'p50').status,
      'regression',
      'a 2% tolerance catches it',
    );
  });

  test('a large change from few samples is within noise, not a regression', () => {
    // 60 samples: the p50 interval is wide, so +30% on the point does not prove +10%.
    const base = buildSummary({ trends: { 'http.get_thread': drawLogNormalMs(60, 1, 10) } });
    const current = buildSummary({ trends: { 'http.get_thread': drawLogNormalMs(60, 9, 13) } });
    const r = rowOf(computeComparison(base, current, 0.1), 'http.get_thread', 'p50');
    assert.notEqual(r.status, 'regression', JSON.stringify(r));
  });

  test('below the minimum samples a percentile is inconclusive, shown with why, never failed', () => {
    assert.equal(computeMinSamples(0.5), 30);
    assert.equal(computeMinSamples(0.95), 200);
    assert.equal(computeMinSamples(0.99), 1000);
    // Doubled latencies on 12 samples: a regression on its face, but not judgeable.
    const base = buildSummary({
      trends: { 'ws.connect': drawLogNormalMs(12, 1, 5), 'run.total': drawRunLatenciesMs(500, 1) },
    });
    const current = buildSummary({
      trends: { 'ws.connect': drawLogNormalMs(12, 2, 10), 'run.total': drawRunLatenciesMs(500, 2) },
    });
    const c = computeComparison(base, current, 0.1);
    const p50 = rowOf(c, 'ws.connect', 'p50');
    assert.equal(p50.status, 'inconclusive');
    assert.equal(formatRowReason(p50), 'n=12 < 30');
    assert.equal(p50.intervalPct, undefined);
    // 500 samples judge p50 and p95 but not p99 (5 samples beyond it).
    assert.equal(rowOf(c, 'run.total', 'p95').status, 'unchanged');
    assert.equal(rowOf(c, 'run.total', 'p99').status, 'inconclusive');
    assert.equal(formatRowReason(rowOf(c, 'run.total', 'p99')), 'n=500 < 1000 for p99');
    assert.equal(c.inconclusive, 4);
    assert.equal(c.verdict, 'ok');
  });

  test('one short side is named', () => {
    const base = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(300, 1) } });
    const current = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(150, 2) } });
    assert.equal(
      formatRowReason(rowOf(computeComparison(base, current, 0.1), 'run.total', 'p95')),
      'current n=150 < 200 for p95',
    );
  });

  test('changes within the 1 ms floor are not regressions even when certain', () => {
    const base = buildSummary({ trends: { 'http.get_thread': drawLogNormalMs(5000, 1, 0.5) } });
    const current = buildSummary({ trends: { 'http.get_thread': drawLogNormalMs(5000, 2, 0.8) } });
    const r = rowOf(computeComparison(base, current, 0.1), 'http.get_thread', 'p50');
    assert.ok(r.intervalPct!.low > 10, 'certainly worse by more than 10%');
    assert.equal(r.status, 'unchanged');
    assert.match(formatRowReason(r) ?? '', /below the 1 ms floor/);
  });

  test('a trend without a readable histogram is inconclusive, not a crash', () => {
    const base = buildSummary({ trends: { 'run.total': drawRunLatenciesMs(500, 1) } });
    const current = JSON.parse(JSON.stringify(base)) as typeof base;
    (current.metrics['run.total'] as { hdr: string }).hdr = 'not base64 hdr';
    const r = rowOf(computeComparison(base, current, 0.1), 'run.total', 'p50');
    assert.equal(r.status, 'inconclusive');
    assert.match(formatRowReason(r) ?? '', /no readable histogram in the current run/);
  });

  test('30 trends compare in well under a second', () => {
    const trends: Record<string, number[]> = {};
    for (let i = 0; i < 30; i++) trends[`run.t${i}`] = drawRunLatenciesMs(20_000, i);
    const s = buildSummary({ trends });
    const t0 = performance.now();
    computeComparison(s, s, 0.1);
    // Loose: a loaded CI machine is slow, but a regression to per-sample resampling would take tens of seconds.
    assert.ok(performance.now() - t0 < 5000);
  });
});

describe('compare: counter rates over steady state', () => {
  const shape = { users: 10, rampSec: 3, plateauSec: 20, downSec: 3, seed: 1 };

  test('the steady window is the plateau of active users; no gauges means the whole run', () => {
    const series = buildSeries({ ...shape, ratesPerSec: { 'runs.completed': 50 } });
    const w = computeSteadyWindow(series, series.length * 1000);
    assert.equal(w.source, 'plateau');
    // Seconds 4..23 have 10 users at both ends except the first (which began at 8).
    assert.deepEqual([w.fromSec, w.toSec, w.seconds], [5, 23, 19]);
    const bare = series.map((p) => ({ ...p, gauges: {} }));
    const whole = computeSteadyWindow(bare, 26_000);
    assert.equal(whole.source, 'whole run');
    assert.equal(whole.seconds, 26);
    assert.match(whole.reason ?? '', /no active-user gauges/);
    assert.equal(computeWindowCount(bare, 'runs.completed', whole, 1234).count, 1234, 'the whole-run value is used');
  });

  test('equal steady rates with unequal ramps and stops: unchanged, though whole-run rates differ by 25%+', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rates = { 'runs.completed': 40, 'http.requests': 80 };
      const base = buildSummary({ series: buildSeries({ ...shape, seed, ratesPerSec: rates }) });
      // The current run stops slowly: a longer ramp-down and 15 idle seconds lower its whole-run rate.
      const current = buildSummary({
        series: buildSeries({ ...shape, downSec: 6, tailSec: 15, seed: seed + 10, ratesPerSec: rates }),
      });
      const wholeRun = (s: typeof base): number => (s.metrics['runs.completed'] as { ratePerSec: number }).ratePerSec;
      assert.ok(
        wholeRun(current) < 0.75 * wholeRun(base),
        'counts divided by unequal durations would call it a 25% drop',
      );
      const c = computeComparison(base, current, 0.1);
      const r = rowOf(c, 'runs.completed', 'rate');
      assert.equal(r.status, 'unchanged', `seed ${seed}: ${JSON.stringify(r)}`);
      assert.ok(r.intervalPct!.high >= -10, 'the interval does not lie wholly below -10%');
      assert.deepEqual([c.base.steady.seconds, c.current.steady.seconds], [19, 19]);
      assert.deepEqual(regressions(c), []);
    }
  });

  test('throughput down 30% in steady state is a regression; errors up from 0 by a handful is not', () => {
    const sBase = buildSeries({ ...shape, ratesPerSec: { 'runs.completed': 40 } });
    const sCur = buildSeries({ ...shape, seed: 2, ratesPerSec: { 'runs.completed': 28, errors: 0.1 } });
    const c = computeComparison(buildSummary({ series: sBase }), buildSummary({ series: sCur }), 0.1);
    const r = rowOf(c, 'runs.completed', 'rate');
    assert.equal(r.status, 'regression', JSON.stringify(r));
    assert.ok(r.intervalPct!.high < -10);
    assert.notEqual(rowOf(c, 'errors', 'rate').status, 'regression', 'a couple of errors from none is within noise');
  });

  test('the Poisson interval: 0 against 6 events is significant, 0 against 3 is not', () => {
    const w = (count: number): { count: number; seconds: number; dispersion: number } => ({
      count,
      seconds: 10,
      dispersion: 1,
    });
    assert.ok(computeRateRatioInterval(w(0), w(6), 0.95)!.low > 1.1);
    assert.ok(computeRateRatioInterval(w(0), w(3), 0.95)!.low < 1.1);
    assert.equal(computeRateRatioInterval(w(0), w(0), 0.95), null);
    const same = computeRateRatioInterval(w(1000), { count: 500, seconds: 5, dispersion: 1 }, 0.95)!;
    assert.ok(same.low < 1 && same.high > 1, 'equal rates over unequal windows');
  });

  test('bursty counts widen the interval (index of dispersion)', () => {
    assert.equal(computeDispersion([10, 11, 9, 10, 10, 10]), 1, 'regular counts are taken as Poisson');
    const bursty = [0, 0, 50, 0, 0, 50, 0, 0, 50, 0];
    const d = computeDispersion(bursty);
    assert.ok(d > 20, `dispersion ${d}`);
    const narrow = computeRateRatioInterval(
      { count: 1500, seconds: 10, dispersion: 1 },
      { count: 2000, seconds: 10, dispersion: 1 },
      0.95,
    )!;
    const wide = computeRateRatioInterval(
      { count: 1500, seconds: 10, dispersion: d },
      { count: 2000, seconds: 10, dispersion: 1 },
      0.95,
    )!;
    assert.ok(narrow.low > 1.1, '+33% on Poisson counts is beyond 10%');
    assert.ok(wide.low < 1.1 && wide.high > narrow.high, 'the same counts in bursts prove nothing');
  });
});

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

function buildHist(valuesMs: readonly number[]): ReturnType<typeof createHistogram> {
  const h = createHistogram();
  for (const v of valuesMs) h.recordValue(Math.round(v * 1000));
  return h;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}
