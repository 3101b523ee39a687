// `simulate compare` on latency percentiles, on synthetic summaries with real
// HDR histograms: identical distributions are never a regression, a +25%
// shift with enough samples always is, a shift within the tolerance or the
// 1 ms floor is not, and small samples are inconclusive, saying why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMinSamples } from '../../src/core/compare-rows.js';
import { computeComparison } from '../../src/core/compare.js';
import { formatRowReason } from '../../src/output/compare-format.js';
import { regressions, rowOf } from '../helpers/comparison-rows.js';
import { buildSummary, drawLogNormalMs, drawRunLatenciesMs } from '../helpers/synthetic-summary.js';

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
