import type * as hdr from 'hdr-histogram-js';
import type { Histogram } from './histogram.js';
import type { LiveFrame } from './live-frame.js';
import {
  computeIntervalFamily,
  computePromCounterName,
  computePromGaugeName,
  computePromTrendName,
  INTERVAL_QUANTILES,
  LATENCY_BUCKETS_SECONDS,
  type PromName,
} from './prom-naming.js';

/** A Prometheus metric type as the text format and remote write's metadata name it. */
export type PromType = 'counter' | 'gauge' | 'histogram';

/** One sample: the full series name (`…_bucket`, `…_sum`), its labels and value. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: what `# HELP` and `# TYPE` describe, with its samples. */
export interface PromFamily {
  readonly name: string;
  readonly help: string;
  readonly type: PromType;
  readonly samples: PromSample[];
}

/** A family of plain samples (run info, generator and output health), for figures that live outside the registry. */
export function createPromFamily(
  name: string,
  type: PromType,
  help: string,
  samples: ReadonlyArray<{ labels?: Readonly<Record<string, string>>; value: number }>,
): PromFamily {
  return { name, help, type, samples: samples.map((s) => ({ name, labels: s.labels ?? {}, value: s.value })) };
}

const US_PER_SEC = 1e6;
const BUCKETS_US = LATENCY_BUCKETS_SECONDS.map((s) => Math.round(s * US_PER_SEC));
const BUCKET_LABELS = [...LATENCY_BUCKETS_SECONDS.map(String), '+Inf'];
const QUANTILE_LABELS = INTERVAL_QUANTILES.map(String);

/** What a series' histogram looked like at the last build: the interval's figures are the difference. */
interface PreviousCounts {
  counts: Float64Array;
  total: number;
  last: Omit<ScanResult, 'interval'>;
}

/**
 * Turns live frames into Prometheus families, one build per interval.
 * Trends become classic histograms (cumulative: they sum across generators
 * and `histogram_quantile` reads them) and per-interval quantile gauges
 * (exact to HdrHistogram's 3 digits, for this generator over the last
 * interval); counters stay counters; the registry's gauges stay gauges.
 * Every sample carries `constLabels` (scenario, segment, run, the user's own).
 * Keeps each histogram's previous bucket counts, so an interval's quantiles
 * come from one pass over the buckets, with no copy of the histogram.
 */
export class PromFamilyBuilder {
  private readonly previous = new Map<string, PreviousCounts>();
  private readonly gaugesSeen = new Set<string>();

  constructor(private readonly constLabels: Readonly<Record<string, string>>) {}

  /** The families of `frame`, followed by `extra` (given their own labels plus the constant ones). */
  build(frame: LiveFrame, extra: readonly PromFamily[] = []): PromFamily[] {
    const families = new Map<string, PromFamily>();
    const family = (n: PromName, type: PromType, name = n.family): PromFamily => {
      let f = families.get(name);
      if (!f)
        families.set(
          name,
          (f = {
            name,
            help:
              type === 'gauge' && name !== n.family
                ? `${n.help}: over the last interval, by quantile (1 = max)`
                : n.help,
            type,
            samples: [],
          }),
        );
      return f;
    };
    for (const t of frame.trends) {
      const n = computePromTrendName(t.name);
      const labels = { ...this.constLabels, ...t.tags, ...n.labels };
      const scan = this.scan(t.key, t.hist);
      const h = family(n, 'histogram');
      for (let b = 0; b < BUCKET_LABELS.length; b++)
        h.samples.push({
          name: `${n.family}_bucket`,
          labels: { ...labels, le: BUCKET_LABELS[b]! },
          value: scan.buckets[b]!,
        });
      h.samples.push({ name: `${n.family}_sum`, labels, value: scan.sumSec });
      h.samples.push({ name: `${n.family}_count`, labels, value: scan.count });
      if (scan.interval) {
        const g = family(n, 'gauge', computeIntervalFamily(n.family));
        for (let q = 0; q < QUANTILE_LABELS.length; q++)
          g.samples.push({
            name: g.name,
            labels: { ...labels, quantile: QUANTILE_LABELS[q]! },
            value: scan.interval[q]!,
          });
      }
    }
    for (const c of frame.counters) {
      const n = computePromCounterName(c.name);
      family(n, 'counter').samples.push({
        name: n.family,
        labels: { ...this.constLabels, ...c.tags, ...n.labels },
        value: c.value,
      });
    }
    // A gauge seen once stays published (at 0 once the run has stopped reading it): a finished run has no users running.
    for (const name of Object.keys(frame.gauges)) this.gaugesSeen.add(name);
    for (const name of this.gaugesSeen) {
      const n = computePromGaugeName(name);
      family(n, 'gauge').samples.push({
        name: n.family,
        labels: { ...this.constLabels, ...n.labels },
        value: frame.gauges[name] ?? 0,
      });
    }
    for (const f of extra) {
      const into = families.get(f.name) ?? { name: f.name, help: f.help, type: f.type, samples: [] };
      families.set(f.name, into);
      for (const s of f.samples)
        into.samples.push({ name: s.name, labels: { ...this.constLabels, ...s.labels }, value: s.value });
    }
    return [...families.values()];
  }

  /**
   * One pass over a histogram's buckets: cumulative counts per `le` bound,
   * count and sum, and the quantiles of what was recorded since the last
   * scan of the same series (HdrHistogram's own rounding: each quantile is
   * the highest value equivalent to its bucket, never above the max). A
   * series with nothing new is not scanned again.
   */
  private scan(key: string, hist: Histogram): ScanResult {
    const h = hist as unknown as hdr.JsHistogram;
    const total = h.totalCount;
    let prev = this.previous.get(key);
    if (prev && prev.total === total) return { ...prev.last, interval: undefined };
    const n = h.countsArrayLength;
    if (!prev)
      this.previous.set(
        key,
        (prev = { counts: new Float64Array(n), total: 0, last: { buckets: [], count: 0, sumSec: 0 } }),
      );
    if (prev.counts.length < n) {
      const grown = new Float64Array(n);
      grown.set(prev.counts);
      prev.counts = grown;
    }
    const delta = total - prev.total;
    const countAt = INTERVAL_QUANTILES.map((q) => Math.max(Math.ceil(q * delta - ulp(q * delta)), 1));
    const interval = INTERVAL_QUANTILES.map(() => 0);
    const buckets = BUCKETS_US.map(() => 0);
    const counts = prev.counts;
    let b = 0;
    let cum = 0;
    let sumUs = 0;
    let seenDelta = 0;
    let k = 0;
    let topUs = 0;
    // The layout of a histogram of 3 significant digits and unit 1 (histogram.ts), walked bucket by bucket: the
    // same values as the library's valueFromIndex and equivalent ranges, without their log and pow per index.
    for (let bucket = 0, start = 0; start < n; bucket++) {
      // Bucket 0 spans indexes [0, 2^11) at unit resolution; bucket k > 0 spans 2^10 indexes, each 2^k wide.
      const end = Math.min(n, bucket === 0 ? SUB_BUCKET_COUNT : start + SUB_BUCKET_HALF_COUNT);
      const size = 2 ** bucket;
      const base = bucket === 0 ? 0 : SUB_BUCKET_HALF_COUNT * size - start * size;
      const half = Math.floor(size / 2);
      for (let i = start; i < end; i++) {
        const c = h.getCountAtIndex(i);
        const p = counts[i]!;
        if (c === 0 && p === 0) continue;
        counts[i] = c;
        const v = base + i * size;
        // Values equivalent to the lowest one of a bucket (3 significant digits) count under the bound that value is at or below.
        while (b < BUCKETS_US.length && v > BUCKETS_US[b]!) buckets[b++] = cum;
        cum += c;
        sumUs += (v + half) * c;
        const d = c - p;
        if (d <= 0) continue;
        seenDelta += d;
        topUs = v + size - 1;
        for (; k < countAt.length && seenDelta >= countAt[k]!; k++) interval[k] = topUs;
      }
      start = end;
    }
    while (b < BUCKETS_US.length) buckets[b++] = cum;
    buckets.push(total);
    prev.total = total;
    prev.last = { buckets, count: total, sumSec: sumUs / US_PER_SEC };
    const maxUs = Math.min(topUs, h.maxValue || topUs);
    return { ...prev.last, interval: delta > 0 ? interval.map((us) => Math.min(us, maxUs) / US_PER_SEC) : undefined };
  }
}

/** What a scan of one series gives. */
interface ScanResult {
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sumSec: number;
  /** Quantiles of the interval (seconds), undefined when nothing was recorded in it. */
  readonly interval: readonly number[] | undefined;
}

/** HdrHistogram's layout at 3 significant digits (see histogram.ts). */
const SUB_BUCKET_HALF_COUNT = 1 << 10;
const SUB_BUCKET_COUNT = 2 * SUB_BUCKET_HALF_COUNT;

/** HdrHistogram's unit in the last place, as its percentile rounding uses it. */
function ulp(x: number): number {
  return x > 0 ? Math.pow(2, Math.floor(Math.log2(x)) - 52) : 0;
}
