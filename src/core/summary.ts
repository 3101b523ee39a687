import type { GeneratorQueueing } from './generator-queueing.js';
import { computeTrendStats, createHistogram, encodeHistogram, type Histogram, type TrendStats } from './histogram.js';
import type { MetricRegistry, SeriesPoint } from './metric-registry.js';
import type { ThresholdResult } from './thresholds.js';

/** A trend in summary.json: stats in ms plus the exact histogram, overall and per tag. */
export interface TrendSummary extends TrendStats {
  readonly type: 'trend';
  readonly hdr: string;
  readonly byTag: Readonly<Record<string, TrendStats & { hdr: string }>>;
}

/** A counter in summary.json; `byTag` sums per single tag (`kind:timeout`). */
export interface CounterSummary {
  readonly type: 'counter';
  readonly value: number;
  readonly ratePerSec: number;
  /** For `errors`: failed share of all operations. */
  readonly rate?: number;
  readonly byTag: Readonly<Record<string, number>>;
}

/** How the generator itself fared (it must not be the bottleneck). */
export interface GeneratorHealth {
  readonly loopLagP99Ms: number;
  readonly loopLagMaxMs: number;
  readonly cpuPercent: number;
  readonly saturated: boolean;
  /** Worker threads the generator used. */
  readonly workers?: number;
  /** Seconds in which the generator's own loop lagged past a bound (absent in files written before it existed). */
  readonly queueing?: GeneratorQueueing;
}

/** The `crosstalk.summary/1` document. */
export interface Summary {
  readonly schema: 'crosstalk.summary/1';
  readonly scenario: { readonly name: string; readonly file: string; readonly sha256: string; readonly description?: string };
  readonly target: { readonly url: string; readonly embedded: boolean };
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly segment: string;
  readonly exitCode: number;
  readonly verdict: 'pass' | 'fail';
  readonly interrupted: boolean;
  /** Set when a threshold with abortOnFail stopped the run early. */
  readonly aborted?: { readonly metric: string; readonly expression: string; readonly actual: number | null; readonly atSec: number };
  readonly metrics: Readonly<Record<string, TrendSummary | CounterSummary>>;
  readonly thresholds: readonly ThresholdResult[];
  readonly isolation: { readonly violations: number; readonly byKind: Readonly<Record<string, number>>; readonly unattributed: number };
  readonly lifecycle: { readonly violations: number; readonly byKind: Readonly<Record<string, number>> };
  readonly runs: { readonly started: number; readonly completed: number; readonly failed: number; readonly timedOut: number; readonly interrupted: number };
  readonly errors: { readonly count: number; readonly rate: number; readonly byKind: Readonly<Record<string, number>> };
  readonly users: { readonly total: number; readonly byCohort: Readonly<Record<string, number>> };
  readonly generator: GeneratorHealth;
  readonly series: readonly SeriesPoint[];
}

/** What {@link buildSummary} needs besides the registry. */
export interface SummaryInput {
  readonly scenario: Summary['scenario'];
  readonly target: Summary['target'];
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly segment: string;
  readonly exitCode: number;
  readonly interrupted: boolean;
  readonly aborted?: Summary['aborted'];
  readonly thresholds: readonly ThresholdResult[];
  readonly users: Summary['users'];
  readonly generator: GeneratorHealth;
}

/** Builds summary.json's content from the registry (pure: no clock, no I/O). */
export function buildSummary(registry: MetricRegistry, input: SummaryInput): Summary {
  const durationMs = Math.max(0, input.endedAtMs - input.startedAtMs);
  const durationSec = durationMs / 1000;
  const metrics: Record<string, TrendSummary | CounterSummary> = {};

  const trendsByName = new Map<string, { all: Histogram; byTag: Map<string, Histogram> }>();
  const extremes = new Map<Histogram, { min: number; max: number }>();
  const widen = (h: Histogram, t: { importedMinUs: number | undefined; importedMaxUs: number | undefined }): void => {
    if (t.importedMinUs === undefined || t.importedMaxUs === undefined) return;
    const e = extremes.get(h);
    extremes.set(h, { min: Math.min(e?.min ?? Infinity, t.importedMinUs), max: Math.max(e?.max ?? 0, t.importedMaxUs) });
  };
  for (const t of registry.allTrends()) {
    if (t.hist.totalCount === 0) continue;
    let e = trendsByName.get(t.name);
    if (!e) trendsByName.set(t.name, (e = { all: createHistogram(), byTag: new Map() }));
    e.all.add(t.hist);
    widen(e.all, t);
    for (const [k, v] of Object.entries(t.tags)) {
      const key = `${k}:${v}`;
      let h = e.byTag.get(key);
      if (!h) e.byTag.set(key, (h = createHistogram()));
      h.add(t.hist);
      widen(h, t);
    }
  }
  for (const [name, e] of [...trendsByName].sort(([a], [b]) => a.localeCompare(b))) {
    const byTag: Record<string, TrendStats & { hdr: string }> = {};
    for (const [k, h] of e.byTag) byTag[k] = describeTrend(h, extremes.get(h));
    metrics[name] = { type: 'trend', ...describeTrend(e.all, extremes.get(e.all)), byTag };
  }

  const counters = new Map<string, { value: number; byTag: Record<string, number> }>();
  for (const c of registry.allCounters()) {
    let e = counters.get(c.name);
    if (!e) counters.set(c.name, (e = { value: 0, byTag: {} }));
    e.value += c.value;
    for (const [k, v] of Object.entries(c.tags)) e.byTag[`${k}:${v}`] = (e.byTag[`${k}:${v}`] ?? 0) + c.value;
  }
  const value = (name: string): number => counters.get(name)?.value ?? 0;
  const operations = value('operations');
  const errorRate = operations === 0 ? 0 : Math.min(1, value('errors') / operations);
  for (const [name, e] of [...counters].sort(([a], [b]) => a.localeCompare(b))) {
    metrics[name] = {
      type: 'counter', value: e.value, ratePerSec: durationSec > 0 ? round(e.value / durationSec) : 0,
      ...(name === 'errors' ? { rate: round(errorRate) } : {}), byTag: e.byTag,
    };
  }
  const kindsOf = (name: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(counters.get(name)?.byTag ?? {})) if (k.startsWith('kind:') && v > 0) out[k.slice(5)] = v;
    return out;
  };
  const verdict = input.exitCode === 0 ? 'pass' : 'fail';
  return {
    schema: 'crosstalk.summary/1',
    scenario: input.scenario,
    target: input.target,
    startedAt: new Date(input.startedAtMs).toISOString(),
    endedAt: new Date(input.endedAtMs).toISOString(),
    durationMs,
    segment: input.segment,
    exitCode: input.exitCode,
    verdict,
    interrupted: input.interrupted,
    ...(input.aborted ? { aborted: input.aborted } : {}),
    metrics,
    thresholds: input.thresholds,
    isolation: { violations: value('isolation.violations'), byKind: kindsOf('isolation.violations'), unattributed: value('isolation.unattributed') },
    lifecycle: { violations: value('lifecycle.violations'), byKind: kindsOf('lifecycle.violations') },
    runs: { started: value('runs.started'), completed: value('runs.completed'), failed: value('runs.failed'), timedOut: value('runs.timed_out'), interrupted: value('runs.interrupted') },
    errors: { count: value('errors'), rate: round(errorRate), byKind: kindsOf('errors') },
    users: input.users,
    generator: input.generator,
    series: registry.series,
  };
}

/**
 * Exact stats plus the encoded histogram. The encoded form keeps values to 3
 * significant digits, not the exact min and max, so merges take min and max
 * from these fields and percentiles from the histograms.
 */
function describeTrend(h: Histogram, exact?: { min: number; max: number }): TrendStats & { hdr: string } {
  const stats = computeTrendStats(h);
  if (!exact) return { ...stats, hdr: encodeHistogram(h) };
  const min = Math.round(exact.min) / 1000;
  const max = Math.round(exact.max) / 1000;
  const clamp = (v: number): number => Math.min(max, Math.max(min, v));
  return { ...stats, min, max, p50: clamp(stats.p50), p90: clamp(stats.p90), p95: clamp(stats.p95), p99: clamp(stats.p99), p999: clamp(stats.p999), hdr: encodeHistogram(h) };
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
