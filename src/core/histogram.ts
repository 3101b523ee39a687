import * as hdr from 'hdr-histogram-js';

/** An HDR histogram of integer microseconds (3 significant digits). */
export type Histogram = hdr.Histogram;

/** Sub-buckets per half bucket for 3 significant digits (HdrHistogram: 2 × 10^3 → 2^11 sub-buckets, half is 2^10). */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const FAST_LIMIT = 2 ** 31;

/**
 * An Int32 HDR histogram whose bucket index is computed with `Math.clz32`
 * and shifts. The library computes it with `Math.log2` and two `Math.pow`
 * calls, which, at a dozen samples per agent run, were a visible share of
 * the generator's CPU. Same layout, so the index is the library's exactly
 * (a unit test compares them); values the shortcut does not cover (negative,
 * not finite, 2^31 and above) go to the library's own code.
 */
class FastIndexHistogram extends hdr.Int32Histogram {
  override countsArrayIndex(value: number): number {
    if (!(value >= 0 && value < FAST_LIMIT)) return super.countsArrayIndex(value);
    // bucket = max(floor(log2(v)) - 10, 0); sub-bucket = floor(v / 2^bucket); index = bucket × 2^10 + sub-bucket.
    const bucket = Math.max(31 - Math.clz32(value) - SUB_BUCKET_HALF_MAGNITUDE, 0);
    return bucket * (1 << SUB_BUCKET_HALF_MAGNITUDE) + (value >>> bucket);
  }
}

/** A new, empty histogram of microseconds, resizing itself as values grow. */
export function createHistogram(): Histogram {
  const h = new FastIndexHistogram(1, 2, 3);
  h.autoResize = true;
  return h;
}

/** The histogram in HdrHistogram's compressed base64 form, which merges exactly. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Reads a histogram from {@link encodeHistogram}'s form. */
export function decodeHistogram(base64: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(base64, 32);
  const h = createHistogram();
  h.add(decoded);
  return h;
}

/** The statistics summary.json gives for a trend, in milliseconds. */
export interface TrendStats {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
}

const US_PER_MS = 1000;
const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Statistics of a histogram of microseconds, converted to ms. */
export function computeTrendStats(h: Histogram): TrendStats {
  if (h.totalCount === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const max = round3(h.maxValue / US_PER_MS);
  const scan = scanHistogram(h, TREND_PERCENTILES, true);
  // HDR reports a bucket's upper edge; never show a percentile above the max.
  const p = (i: number): number => Math.min(max, round3(scan.values[i]! / US_PER_MS));
  return {
    count: h.totalCount,
    min: round3(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue / US_PER_MS),
    max,
    mean: round3(scan.mean / US_PER_MS),
    p50: p(0),
    p90: p(1),
    p95: p(2),
    p99: p(3),
    p999: p(4),
  };
}

const TREND_PERCENTILES: readonly number[] = [50, 90, 95, 99, 99.9];

/**
 * The values (µs) at several percentiles (0–100, any order), each exactly as
 * HdrHistogram's `getValueAtPercentile` gives it, in one pass over the
 * buckets. The library walks the buckets from the start for every
 * percentile: a distribution chart asks for dozens.
 */
export function computeValuesAtPercentiles(h: Histogram, percentiles: readonly number[]): number[] {
  return scanHistogram(h, percentiles, false).values;
}

/** The mean (µs), exactly as HdrHistogram's `mean` gives it, without its iterator's allocation per bucket. */
export function computeMean(h: Histogram): number {
  return scanHistogram(h, [], true).mean;
}

/**
 * One pass over the buckets in index order: the library's sums and
 * thresholds, in the same floating-point order, so the results are its own.
 */
function scanHistogram(
  hist: Histogram,
  percentiles: readonly number[],
  withMean: boolean,
): { values: number[]; mean: number } {
  const h = hist as unknown as hdr.JsHistogram;
  const total = h.totalCount;
  const values = percentiles.map(() => 0);
  if (total === 0) return { values, mean: 0 };
  const order = percentiles.map((_, i) => i).sort((a, b) => percentiles[a]! - percentiles[b]!);
  const countAt = order.map((i) => {
    // getValueAtPercentile's rounding: up, but not past a count that fp error made 1 ulp too large.
    const fp = (Math.min(percentiles[i]!, 100) / 100) * total;
    return Math.max(Math.ceil(fp - ulp(fp)), 1);
  });
  let k = 0;
  let seen = 0;
  let sum = 0;
  const n = h.countsArrayLength;
  for (let i = 0; i < n && (k < order.length || (withMean && seen < total)); i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    seen += c;
    const v = h.valueFromIndex(i);
    if (withMean) sum += h.medianEquivalentValue(v) * c;
    for (; k < order.length && seen >= countAt[k]!; k++) {
      const q = percentiles[order[k]!]!;
      values[order[k]!] = q === 0 ? h.lowestEquivalentValue(v) : h.highestEquivalentValue(v);
    }
  }
  return { values, mean: withMean ? sum / total : 0 };
}

/** HdrHistogram's unit in the last place, as its percentile rounding uses it. */
function ulp(x: number): number {
  return Math.pow(2, Math.floor(Math.log2(x)) - 52);
}

/** The values at several percentiles (0–100) in ms, in one pass (see {@link computeValuesAtPercentiles}). */
export function computePercentilesMs(h: Histogram, qs: readonly number[]): number[] {
  return computeValuesAtPercentiles(h, qs).map((v) => round3(v / US_PER_MS));
}
