import { createHistogram, computePercentileMs, type Histogram } from './histogram.js';

/** Tags of one series, e.g. `{ cohort: 'chatters', kind: 'timeout' }`. */
export type Tags = Readonly<Record<string, string>>;

/** A latency metric for one tag set; record integer microseconds. */
export class Trend {
  readonly hist: Histogram = createHistogram();
  constructor(readonly name: string, readonly tags: Tags, private readonly interval: Histogram) {}

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
  constructor(readonly name: string, readonly tags: Tags, private readonly interval: { delta: number }) {}

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

  /** Every trend series recorded, one per tag set. */
  allTrends(): Trend[] {
    return [...this.trends.values()];
  }

  /** Every counter series, one per tag set. */
  allCounters(): Counter[] {
    return [...this.counters.values()];
  }

  /** Closes one second of the series: snapshots and resets the interval figures. */
  tick(tSec: number): SeriesPoint {
    const trends: Record<string, { count: number; p50: number; p95: number; p99: number; max: number }> = {};
    for (const [name, h] of this.intervalHists) {
      if (h.totalCount === 0) continue;
      trends[name] = { count: h.totalCount, p50: computePercentileMs(h, 50), p95: computePercentileMs(h, 95), p99: computePercentileMs(h, 99), max: Math.round(h.maxValue) / 1000 };
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
