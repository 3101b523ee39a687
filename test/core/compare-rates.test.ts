// `simulate compare` on counter rates: compared per second of steady state
// (the plateau of active users, not the whole run), with a Poisson interval
// widened by the index of dispersion when the counts come in bursts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeComparison } from '../../src/core/compare.js';
import {
  computeDispersion,
  computeRateRatioInterval,
  computeSteadyWindow,
  computeWindowCount,
} from '../../src/core/rate-comparison.js';
import { regressions, rowOf } from '../helpers/comparison-rows.js';
import { buildSeries, buildSummary } from '../helpers/synthetic-summary.js';

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
