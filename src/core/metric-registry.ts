import {
  createHistogram,
  computePercentilesMs,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
} from './histogram.js';

/** Tags of one series, e.g. `{ cohort: 'chatters', kind: 'timeout' }`. */
export type Tags = Readonly<Record<string, string>>;

/** A latency metric for one tag set; record integer microseconds. */
export class Trend {
  readonly hist: Histogram = createHistogram();
  /**
   * Exact extremes (µs) of samples merged in from elsewhere: the encoded
   * form keeps 3 significant digits, not the exact min and max.
   */
  importedMinUs: number | undefined;
  importedMaxUs: number | undefined;
  constructor(
    readonly name: string,
    readonly tags: Tags,
    private readonly interval: Histogram,
  ) {}

  /** Records one sample; negative or fractional values are clamped to whole µs. */
  record(us: number): void {
    const v = us < 1 ? 1 : Math.round(us);
    this.hist.recordValue(v);
    this.interval.recordValue(v);
  }
}

/** A count for one tag set. */
export class Counter {
  value = 0;
  constructor(
    readonly name: string,
    readonly tags: Tags,
    private readonly interval: { delta: number },
  ) {}

  /** Adds `n` (default 1). */
  add(n = 1): void {
    this.value += n;
    this.interval.delta += n;
  }
}

/** One second of the per-second series, as charts want it. */
export interface SeriesPoint {
  /** Seconds since the run started. */
  readonly t: number;
  readonly trends: Readonly<Record<string, { count: number; p50: number; p95: number; p99: number; max: number }>>;
  readonly counters: Readonly<Record<string, number>>;
  readonly gauges: Readonly<Record<string, number>>;
}

/** A registry in plain, mergeable form (what workers and generators hand over). */
export interface MetricSnapshot {
  readonly trends: ReadonlyArray<{
    readonly name: string;
    readonly tags: Tags;
    readonly hdr: string;
    readonly minUs: number;
    readonly maxUs: number;
  }>;
  readonly counters: ReadonlyArray<{ readonly name: string; readonly tags: Tags; readonly value: number }>;
  readonly series: readonly SeriesPoint[];
}

/** Serializes tags to a stable key, `cohort:a,kind:b`. */
export function formatTagKey(tags: Tags): string {
  const keys = Object.keys(tags).sort();
  let s = '';
  for (const k of keys) s += `${s ? ',' : ''}${k}:${tags[k]}`;
  return s;
}

/**
 * Holds every trend and counter of a run, each per tag set, plus the
 * per-second series. Look handles up once (at user start) and keep them:
 * `trend()` and `counter()` are for setup, `record()`/`add()` for the hot path.
 */
export class MetricRegistry {
  private readonly trends = new Map<string, Trend>();
  private readonly counters = new Map<string, Counter>();
  private readonly intervalHists = new Map<string, Histogram>();
  private readonly intervalDeltas = new Map<string, { delta: number }>();
  private readonly gauges = new Map<string, () => number>();
  readonly series: SeriesPoint[] = [];

  /** The trend `name` with `tags`, created on first use. */
  trend(name: string, tags: Tags = {}): Trend {
    const key = `${name}|${formatTagKey(tags)}`;
    let t = this.trends.get(key);
    if (!t) {
      let ih = this.intervalHists.get(name);
      if (!ih) this.intervalHists.set(name, (ih = createHistogram()));
      this.trends.set(key, (t = new Trend(name, tags, ih)));
    }
    return t;
  }

  /** The counter `name` with `tags`, created on first use. */
  counter(name: string, tags: Tags = {}): Counter {
    const key = `${name}|${formatTagKey(tags)}`;
    let c = this.counters.get(key);
    if (!c) {
      let d = this.intervalDeltas.get(name);
      if (!d) this.intervalDeltas.set(name, (d = { delta: 0 }));
      this.counters.set(key, (c = new Counter(name, tags, d)));
    }
    return c;
  }

  /** Registers a gauge read once per second for the series (active users, connections...). */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  /** Every gauge's value now: live outputs read them between the series' ticks. */
  readGauges(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, read] of this.gauges) out[name] = read();
    return out;
  }

  /** Forgets the gauges once the series is complete (they hold on to what they read, e.g. every user). */
  stopGauges(): void {
    this.gauges.clear();
  }

  /** Every trend series recorded, one per tag set. */
  allTrends(): Trend[] {
    return [...this.trends.values()];
  }

  /** Every counter series, one per tag set. */
  allCounters(): Counter[] {
    return [...this.counters.values()];
  }

  /** Everything recorded, in mergeable form. */
  snapshot(): MetricSnapshot {
    return {
      trends: this.allTrends()
        .filter((t) => t.hist.totalCount > 0)
        .map((t) => ({
          name: t.name,
          tags: t.tags,
          hdr: encodeHistogram(t.hist),
          minUs: Math.min(t.hist.minNonZeroValue, t.importedMinUs ?? Infinity),
          maxUs: Math.max(t.hist.maxValue, t.importedMaxUs ?? 0),
        })),
      counters: this.allCounters().map((c) => ({ name: c.name, tags: c.tags, value: c.value })),
      series: this.series,
    };
  }

  /**
   * Adds another registry's figures: histograms merged exactly, counters
   * summed, series summed second by second (per-second percentiles of
   * several sources are combined weighted by count: an approximation used
   * only for charts).
   */
  importSnapshot(s: MetricSnapshot): void {
    for (const t of s.trends) {
      const trend = this.trend(t.name, t.tags);
      trend.hist.add(decodeHistogram(t.hdr));
      trend.importedMinUs = Math.min(trend.importedMinUs ?? Infinity, t.minUs);
      trend.importedMaxUs = Math.max(trend.importedMaxUs ?? 0, t.maxUs);
    }
    for (const c of s.counters) this.counter(c.name, c.tags).value += c.value;
    for (const p of s.series) {
      const i = this.series.findIndex((q) => q.t === p.t);
      if (i === -1) {
        this.series.push(p);
        continue;
      }
      this.series[i] = mergeSeriesPoints(this.series[i]!, p);
    }
    this.series.sort((a, b) => a.t - b.t);
  }

  /** Closes one second of the series: snapshots and resets the interval figures. */
  tick(tSec: number): SeriesPoint {
    const trends: Record<string, { count: number; p50: number; p95: number; p99: number; max: number }> = {};
    for (const [name, h] of this.intervalHists) {
      if (h.totalCount === 0) continue;
      const max = Math.round(h.maxValue) / 1000;
      const [p50, p95, p99] = computePercentilesMs(h, SERIES_PERCENTILES);
      trends[name] = {
        count: h.totalCount,
        p50: Math.min(max, p50!),
        p95: Math.min(max, p95!),
        p99: Math.min(max, p99!),
        max,
      };
      h.reset();
    }
    const counters: Record<string, number> = {};
    for (const [name, d] of this.intervalDeltas) {
      if (d.delta !== 0) counters[name] = d.delta;
      d.delta = 0;
    }
    const gauges: Record<string, number> = {};
    for (const [name, read] of this.gauges) gauges[name] = read();
    const point: SeriesPoint = { t: tSec, trends, counters, gauges };
    this.series.push(point);
    return point;
  }
}

const SERIES_PERCENTILES: readonly number[] = [50, 95, 99];

/** Two sources' figures for the same second, combined. */
export function mergeSeriesPoints(a: SeriesPoint, b: SeriesPoint): SeriesPoint {
  const trends: Record<string, { count: number; p50: number; p95: number; p99: number; max: number }> = { ...a.trends };
  for (const [name, y] of Object.entries(b.trends)) {
    const x = trends[name];
    if (!x) {
      trends[name] = y;
      continue;
    }
    const n = x.count + y.count;
    const w = (f: 'p50' | 'p95' | 'p99'): number => Math.round(((x[f] * x.count + y[f] * y.count) / n) * 1000) / 1000;
    trends[name] = { count: n, p50: w('p50'), p95: w('p95'), p99: w('p99'), max: Math.max(x.max, y.max) };
  }
  const sum = (p: Readonly<Record<string, number>>, q: Readonly<Record<string, number>>): Record<string, number> => {
    const out: Record<string, number> = { ...p };
    for (const [k, v] of Object.entries(q)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return { t: a.t, trends, counters: sum(a.counters, b.counters), gauges: sum(a.gauges, b.gauges) };
}
