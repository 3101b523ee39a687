// A bootstrap confidence interval of the ratio of two percentiles, each side
// resampled from its HDR histogram. The histogram is the run's exact
// empirical distribution (to 3 significant digits), so resampling its buckets
// by their counts is the ordinary nonparametric bootstrap.
//
// A resample of n values from the empirical distribution F has, as its k-th
// smallest value, F⁻¹(U₍ₖ₎) where U₍ₖ₎ is the k-th smallest of n uniforms,
// i.e. U₍ₖ₎ ~ Beta(k, n + 1 − k). So the resampled percentile is drawn
// exactly with one Beta draw and a binary search over the buckets, instead of
// n multinomial draws: the same bootstrap distribution at a cost independent
// of n, which keeps `compare` fast on runs with millions of samples.
import { drawBeta } from './beta-distribution.js';
import type { Histogram } from './histogram.js';
import type { Random } from './random.js';

/** A histogram's nonempty buckets in value order: the empirical distribution a bootstrap resamples. */
export interface BucketDistribution {
  /** A value standing for each bucket, µs (its highest equivalent value, as HDR reports percentiles). */
  readonly valuesUs: Float64Array;
  /** Running count of samples up to and including each bucket. */
  readonly cumulative: Float64Array;
  /** Samples in all. */
  readonly total: number;
}

/** The nonempty buckets of `h`, in value order. */
export function computeBucketDistribution(hist: Histogram): BucketDistribution {
  const h = hist as unknown as {
    countsArrayLength: number;
    totalCount: number;
    maxValue: number;
    getCountAtIndex(i: number): number;
    valueFromIndex(i: number): number;
    highestEquivalentValue(v: number): number;
  };
  const values: number[] = [];
  const cumulative: number[] = [];
  let seen = 0;
  for (let i = 0; i < h.countsArrayLength && seen < h.totalCount; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    seen += c;
    // Never above the recorded max, as summary.json's percentiles are shown.
    values.push(Math.min(h.maxValue, h.highestEquivalentValue(h.valueFromIndex(i))));
    cumulative.push(seen);
  }
  return { valuesUs: Float64Array.from(values), cumulative: Float64Array.from(cumulative), total: seen };
}

/** The rank (1-based) of the q-percentile among n sorted samples, as HdrHistogram counts it. */
function computePercentileRank(n: number, q: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
}

/** The value (µs) of the sample of 1-based `rank` in sorted order. */
function computeValueAtRank(d: BucketDistribution, rank: number): number {
  let lo = 0;
  let hi = d.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d.cumulative[mid]! >= rank) hi = mid;
    else lo = mid + 1;
  }
  return d.valuesUs[lo] ?? 0;
}

/** The q-percentile (0–1) of the distribution, µs. */
export function computePercentileUs(d: BucketDistribution, q: number): number {
  return d.total === 0 ? 0 : computeValueAtRank(d, computePercentileRank(d.total, q));
}

/**
 * `count` bootstrap draws of the q-percentile (0–1) of `d`, µs, in the
 * order drawn. Each draw is the percentile of one resample of `sampleSize`
 * values (default all of them) with replacement; see the file comment for
 * why one Beta draw is exact. A smaller `sampleSize` resamples what
 * clustered samples are worth (design-effect.ts).
 */
function drawBootstrapPercentiles(
  d: BucketDistribution,
  q: number,
  count: number,
  rand: Random,
  sampleSize = d.total,
): Float64Array {
  const out = new Float64Array(count);
  const n = d.total;
  if (n === 0) return out;
  const m = Math.max(1, Math.min(n, Math.round(sampleSize)));
  const k = computePercentileRank(m, q);
  for (let i = 0; i < count; i++) {
    const u = drawBeta(rand, k, m + 1 - k);
    // F⁻¹(u): the sample of rank ⌈u·n⌉.
    out[i] = computeValueAtRank(d, Math.min(n, Math.max(1, Math.ceil(u * n))));
  }
  return out;
}

/** A two-sided interval of current ÷ base for one percentile. */
export interface RatioInterval {
  /** Lower bound of current ÷ base (Infinity when every resampled base was 0 and the current was not). */
  readonly low: number;
  readonly high: number;
}

/**
 * The percentile-bootstrap interval, at `confidence` (two-sided, e.g. 0.95),
 * of the ratio of the q-percentiles of `current` and `base`, from
 * `resamples` independent resamples of each side (of `sizes` samples, all by
 * default). Deterministic for a given pair of Random streams.
 */
export function computePercentileRatioInterval(
  base: BucketDistribution,
  current: BucketDistribution,
  q: number,
  confidence: number,
  resamples: number,
  randBase: Random,
  randCurrent: Random,
  sizes: { readonly base: number; readonly current: number } = { base: base.total, current: current.total },
): RatioInterval {
  const b = drawBootstrapPercentiles(base, q, resamples, randBase, sizes.base);
  const c = drawBootstrapPercentiles(current, q, resamples, randCurrent, sizes.current);
  // The two sides come from independent streams, so pairing draws in order pairs independent resamples.
  const ratios = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    const x = b[i]!;
    const y = c[i]!;
    ratios[i] = x === 0 ? (y === 0 ? 1 : Infinity) : y / x;
  }
  ratios.sort();
  const alpha = 1 - confidence;
  const lowIndex = Math.max(0, Math.floor((alpha / 2) * resamples));
  const highIndex = Math.min(resamples - 1, Math.ceil((1 - alpha / 2) * resamples) - 1);
  return { low: ratios[lowIndex]!, high: ratios[highIndex]! };
}
