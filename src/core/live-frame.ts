import { createHistogram, decodeHistogram, encodeHistogram, type Histogram } from './histogram.js';
import { formatTagKey, type MetricRegistry, type Tags } from './metric-registry.js';

/** One counter series of a live frame or export: its key, name, tags and value since the start. */
interface LiveCounter {
  readonly key: string;
  readonly name: string;
  readonly tags: Tags;
  readonly value: number;
}

/**
 * A run's figures as live outputs read them: every series cumulative since
 * the start, plus the gauges' values now. Histograms are shared, not copied:
 * a frame is read at once and never kept.
 */
export interface LiveFrame {
  readonly trends: ReadonlyArray<{
    readonly key: string;
    readonly name: string;
    readonly tags: Tags;
    readonly hist: Histogram;
  }>;
  readonly counters: readonly LiveCounter[];
  readonly gauges: Readonly<Record<string, number>>;
}

/** What a worker thread posts each interval: the series that changed since its last post, in a form that crosses threads. */
export interface LiveExport {
  readonly trends: ReadonlyArray<{
    readonly key: string;
    readonly name: string;
    readonly tags: Tags;
    readonly hdr: string;
  }>;
  readonly counters: readonly LiveCounter[];
  readonly gauges: Readonly<Record<string, number>>;
}

/** The key of a series: its name and tags, as the registry keys it. */
function formatSeriesKey(name: string, tags: Tags): string {
  return `${name}|${formatTagKey(tags)}`;
}

/**
 * A registry's figures as a frame. `gauges` false leaves them out: the
 * registry has stopped reading them once its run ended, and a finished run
 * has no users running.
 */
export function computeLiveFrame(registry: MetricRegistry, gauges = true): LiveFrame {
  return {
    trends: registry
      .allTrends()
      .filter((t) => t.hist.totalCount > 0)
      .map((t) => ({ key: formatSeriesKey(t.name, t.tags), name: t.name, tags: t.tags, hist: t.hist })),
    counters: registry
      .allCounters()
      .map((c) => ({ key: formatSeriesKey(c.name, c.tags), name: c.name, tags: c.tags, value: c.value })),
    gauges: gauges ? registry.readGauges() : {},
  };
}

/**
 * Exports a worker's registry each interval. Only trends whose count moved
 * are encoded again: the parent keeps the last histogram of the others.
 */
export class LiveExporter {
  private readonly sentCounts = new Map<string, number>();
  constructor(private readonly registry: MetricRegistry) {}

  /** The series that changed since the last call, every counter, and the gauges now. */
  next(): LiveExport {
    const trends: Array<LiveExport['trends'][number]> = [];
    for (const t of this.registry.allTrends()) {
      const n = t.hist.totalCount;
      const key = formatSeriesKey(t.name, t.tags);
      if (n === 0 || this.sentCounts.get(key) === n) continue;
      this.sentCounts.set(key, n);
      trends.push({ key, name: t.name, tags: t.tags, hdr: encodeHistogram(t.hist) });
    }
    const counters = this.registry
      .allCounters()
      .map((c) => ({ key: formatSeriesKey(c.name, c.tags), name: c.name, tags: c.tags, value: c.value }));
    return { trends, counters, gauges: this.registry.readGauges() };
  }
}

/**
 * The parent's view of several worker threads: each worker's latest figures,
 * added up into one frame (histograms merged exactly, counters and gauges
 * summed), so a run with N workers publishes one set of series, not N.
 */
export class LiveFrameMerger {
  private readonly workers = new Map<
    number,
    {
      trends: Map<string, { name: string; tags: Tags; hist: Histogram }>;
      counters: Map<string, { name: string; tags: Tags; value: number }>;
      gauges: Readonly<Record<string, number>>;
    }
  >();
  private readonly merged = new Map<string, Histogram>();

  /** Takes worker `worker`'s export (it replaces what that worker sent before, series by series). */
  accept(worker: number, e: LiveExport): void {
    let w = this.workers.get(worker);
    if (!w) this.workers.set(worker, (w = { trends: new Map(), counters: new Map(), gauges: {} }));
    for (const t of e.trends) w.trends.set(t.key, { name: t.name, tags: t.tags, hist: decodeHistogram(t.hdr) });
    for (const c of e.counters) w.counters.set(c.key, { name: c.name, tags: c.tags, value: c.value });
    w.gauges = e.gauges;
  }

  /** Every worker's latest figures, added up. */
  frame(): LiveFrame {
    const trends = new Map<string, { key: string; name: string; tags: Tags; hist: Histogram }>();
    const counters = new Map<string, { key: string; name: string; tags: Tags; value: number }>();
    const gauges: Record<string, number> = {};
    const sources = new Map<string, Histogram[]>();
    for (const w of this.workers.values()) {
      for (const [key, t] of w.trends) {
        let list = sources.get(key);
        if (!list) {
          sources.set(key, (list = []));
          trends.set(key, { key, name: t.name, tags: t.tags, hist: t.hist });
        }
        list.push(t.hist);
      }
      for (const [key, c] of w.counters) {
        const seen = counters.get(key);
        if (seen) seen.value += c.value;
        else counters.set(key, { key, name: c.name, tags: c.tags, value: c.value });
      }
      for (const [name, v] of Object.entries(w.gauges)) gauges[name] = (gauges[name] ?? 0) + v;
    }
    // A series one worker alone recorded is read as it is; others are added into a histogram kept for the next frame.
    for (const [key, list] of sources) {
      if (list.length < 2) continue;
      let h = this.merged.get(key);
      if (!h) this.merged.set(key, (h = createHistogram()));
      h.reset();
      for (const x of list) h.add(x);
      trends.get(key)!.hist = h;
    }
    return { trends: [...trends.values()], counters: [...counters.values()], gauges };
  }
}
