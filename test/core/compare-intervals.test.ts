// The interval arithmetic behind `simulate compare`: the Beta distribution
// (closed forms, its quantile, seeded draws) and the percentile bootstrap on
// real HDR histograms, whose intervals cover the true ratio as often as they
// say and are the same for the same inputs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBetaQuantile, computeRegularizedBeta, drawBeta } from '../../src/core/beta-distribution.js';
import { computeComparison } from '../../src/core/compare.js';
import { createHistogram } from '../../src/core/histogram.js';
import {
  computeBucketDistribution,
  computePercentileRatioInterval,
  computePercentileUs,
} from '../../src/core/percentile-bootstrap.js';
import { createRandom } from '../../src/core/random.js';
import { rowOf } from '../helpers/comparison-rows.js';
import { buildSummary, drawLogNormalMs, drawRunLatenciesMs } from '../helpers/synthetic-summary.js';

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
