import { computeGeneratorHealth } from './generator-health.js';
import { computeTrendStats, createHistogram, decodeHistogram, encodeHistogram, type TrendStats } from './histogram.js';
import { mergeSeriesPoints, type SeriesPoint, type Tags } from './metric-registry.js';
import type { CounterSummary, Summary, SummaryFigures, TrendSummary } from './summary.js';
import type { MetricSource } from './thresholds.js';

/** Violations a merge found that no shard could (ids owned by a user of another shard). */
export interface MergeAdditions {
  /** Leaked frames that became violations only when every generator's ledger was put together. */
  readonly violations: number;
  /** Frames per kind newly settled (new violations, and new kinds of frames that were violations already). */
  readonly byKind: Readonly<Record<string, number>>;
  /** New violations by cohort. */
  readonly byCohort: Readonly<Record<string, number>>;
  /** Observations the shards counted as unattributed that the merge settled (as a leak or as the receiver's own). */
  readonly settled: number;
}

/**
 * Adds the summaries of several generators (segments) into one: histograms
 * merged exactly from their HDR form (with exact min and max from the
 * fields), counters summed, rates recomputed over the whole span, series
 * summed second by second, plus what reconciliation found.
 */
export function mergeSummaries(parts: readonly Summary[], add: MergeAdditions): SummaryFigures {
  const first = parts[0]!;
  const startedAtMs = Math.min(...parts.map((p) => Date.parse(p.startedAt)));
  const endedAtMs = Math.max(...parts.map((p) => Date.parse(p.endedAt)));
  const durationMs = endedAtMs - startedAtMs;
  const durationSec = durationMs / 1000;
  const metrics: Record<string, TrendSummary | CounterSummary> = {};
  const names = [...new Set(parts.flatMap((p) => Object.keys(p.metrics)))].sort();
  for (const name of names) {
    const ms = parts.map((p) => p.metrics[name]).filter((m): m is TrendSummary | CounterSummary => m !== undefined);
    if (ms[0]!.type === 'trend') metrics[name] = mergeTrends(ms as TrendSummary[]);
    else metrics[name] = mergeCounters(name, ms as CounterSummary[], durationSec, add);
  }
  const sum = (f: (p: Summary) => number): number => parts.reduce((n, p) => n + f(p), 0);
  const sumKinds = (
    f: (p: Summary) => Readonly<Record<string, number>>,
    extra: Readonly<Record<string, number>> = {},
  ): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of [...parts.map(f), extra]) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const ops = (metrics.operations as CounterSummary | undefined)?.value ?? 0;
  const errs = sum((p) => p.errors.count);
  const seriesByT = new Map<number, SeriesPoint>();
  for (const p of parts)
    for (const pt of p.series)
      seriesByT.set(pt.t, seriesByT.has(pt.t) ? mergeSeriesPoints(seriesByT.get(pt.t)!, pt) : pt);
  const byCohort = sumKinds((p) => p.users.byCohort);
  const series = [...seriesByT.values()].sort((a, b) => a.t - b.t);
  return {
    scenario: first.scenario,
    target: first.target,
    startedAt: new Date(startedAtMs).toISOString(),
    endedAt: new Date(endedAtMs).toISOString(),
    durationMs,
    segment: parts.map((p) => p.segment).join(','),
    interrupted: parts.some((p) => p.interrupted),
    ...(parts.find((p) => p.aborted) ? { aborted: parts.find((p) => p.aborted)!.aborted! } : {}),
    metrics,
    isolation: {
      violations: sum((p) => p.isolation.violations) + add.violations,
      byKind: sumKinds((p) => p.isolation.byKind, add.byKind),
      unattributed: Math.max(0, sum((p) => p.isolation.unattributed) - add.settled),
    },
    lifecycle: { violations: sum((p) => p.lifecycle.violations), byKind: sumKinds((p) => p.lifecycle.byKind) },
    runs: {
      started: sum((p) => p.runs.started),
      completed: sum((p) => p.runs.completed),
      failed: sum((p) => p.runs.failed),
      timedOut: sum((p) => p.runs.timedOut),
      interrupted: sum((p) => p.runs.interrupted),
    },
    errors: {
      count: errs,
      rate: ops === 0 ? 0 : Math.round(Math.min(1, errs / ops) * 1e6) / 1e6,
      byKind: sumKinds((p) => p.errors.byKind),
    },
    users: { total: Object.values(byCohort).reduce((a, b) => a + b, 0), byCohort },
    // Loop lag from the merged generator.loop_lag trend, queueing from the merged series (a second flagged by any
    // generator is flagged); a generator saturated on its own leaves the whole saturated.
    generator: computeGeneratorHealth(
      { metrics, series },
      {
        cpuPercent: Math.max(...parts.map((p) => p.generator.cpuPercent)),
        workers: sum((p) => p.generator.workers ?? 1),
        alsoSaturated: parts.some((p) => p.generator.saturated),
      },
    ),
    series,
  };
}

function mergeHdr(items: ReadonlyArray<{ hdr: string; min: number; max: number }>): TrendStats & { hdr: string } {
  const h = createHistogram();
  for (const it of items) h.add(decodeHistogram(it.hdr));
  const stats = computeTrendStats(h);
  const min = Math.min(...items.map((i) => i.min));
  const max = Math.max(...items.map((i) => i.max));
  const clamp = (v: number): number => Math.min(max, Math.max(min, v));
  return {
    ...stats,
    min,
    max,
    p50: clamp(stats.p50),
    p90: clamp(stats.p90),
    p95: clamp(stats.p95),
    p99: clamp(stats.p99),
    p999: clamp(stats.p999),
    hdr: encodeHistogram(h),
  };
}

function mergeTrends(ms: readonly TrendSummary[]): TrendSummary {
  const byTag: Record<string, TrendStats & { hdr: string }> = {};
  for (const key of new Set(ms.flatMap((m) => Object.keys(m.byTag)))) {
    byTag[key] = mergeHdr(
      ms.map((m) => m.byTag[key]).filter((x): x is TrendStats & { hdr: string } => x !== undefined),
    );
  }
  return { type: 'trend', ...mergeHdr(ms), byTag };
}

function mergeCounters(
  name: string,
  ms: readonly CounterSummary[],
  durationSec: number,
  add: MergeAdditions,
): CounterSummary {
  let value = ms.reduce((n, m) => n + m.value, 0);
  const byTag: Record<string, number> = {};
  for (const m of ms) for (const [k, v] of Object.entries(m.byTag)) byTag[k] = (byTag[k] ?? 0) + v;
  if (name === 'isolation.violations') {
    value += add.violations;
    for (const [k, v] of Object.entries(add.byKind)) byTag[`kind:${k}`] = (byTag[`kind:${k}`] ?? 0) + v;
    for (const [c, v] of Object.entries(add.byCohort)) byTag[`cohort:${c}`] = (byTag[`cohort:${c}`] ?? 0) + v;
  }
  return {
    type: 'counter',
    value,
    ratePerSec: durationSec > 0 ? Math.round((value / durationSec) * 1e6) / 1e6 : 0,
    byTag,
  };
}

/**
 * Thresholds' view of a (merged) summary. Scopes of one tag are exact; a
 * scope of several tags cannot be read from a summary and has no figures.
 */
export function createSummarySource(s: Pick<Summary, 'metrics' | 'durationMs'>): MetricSource {
  const tagKey = (scope: Tags): string | undefined | null => {
    const keys = Object.keys(scope);
    if (keys.length === 0) return undefined;
    return keys.length === 1 ? `${keys[0]}:${scope[keys[0]!]}` : null;
  };
  return {
    histogram(name, scope) {
      const m = s.metrics[name];
      if (!m || m.type !== 'trend') return undefined;
      const k = tagKey(scope);
      if (k === null) return undefined;
      const hdr = k === undefined ? m.hdr : m.byTag[k]?.hdr;
      return hdr ? decodeHistogram(hdr) : undefined;
    },
    counter(name, scope) {
      const m = s.metrics[name];
      if (!m || m.type !== 'counter') return 0;
      const k = tagKey(scope);
      if (k === null) return 0;
      return k === undefined ? m.value : (m.byTag[k] ?? 0);
    },
    durationSec: s.durationMs / 1000,
  };
}
