import * as hdr from 'hdr-histogram-js';

/** An HDR histogram of integer microseconds (3 significant digits). */
export type Histogram = hdr.Histogram;

/** A new, empty histogram of microseconds, resizing itself as values grow. */
export function createHistogram(): Histogram {
  return hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, autoResize: true, bitBucketSize: 32 });
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
  // HDR reports a bucket's upper edge; never show a percentile above the max.
  const p = (q: number): number => Math.min(max, round3(h.getValueAtPercentile(q) / US_PER_MS));
  return {
    count: h.totalCount,
    min: round3(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue / US_PER_MS),
    max,
    mean: round3(h.mean / US_PER_MS),
    p50: p(50), p90: p(90), p95: p(95), p99: p(99), p999: p(99.9),
  };
}

/** The value at percentile `q` (0–100) in ms. */
export function computePercentileMs(h: Histogram, q: number): number {
  return h.totalCount === 0 ? 0 : round3(h.getValueAtPercentile(q) / US_PER_MS);
}
