import { computeCoverage, computeCoverageGaps, type Coverage, type CoverageFloor } from './coverage.js';
import type { GeneratorQueueing } from './generator-queueing.js';
import { computeTrendStats, createHistogram, encodeHistogram, type Histogram, type TrendStats } from './histogram.js';
import { KIND_FACETS } from './metric-names.js';
import type { MetricRegistry, SeriesPoint } from './metric-registry.js';
import type { ThresholdResult } from './thresholds.js';
import { computeVerdict, type IsolationVerdict, type RunVerdict } from './verdict.js';

/** The summary schema written before coverage and leaked-frame counting (isolation counted reasons, not frames). */
export const SUMMARY_SCHEMA_V1 = 'crosstalk.summary/1';
/** The summary schema with `coverage`, an `untested` verdict and isolation counted in leaked frames. */
const SUMMARY_SCHEMA_V2 = 'crosstalk.summary/2';
/** The schema summary.json is written in. */
export const SUMMARY_SCHEMA = SUMMARY_SCHEMA_V2;
/** Every summary schema compare, merge and report read, oldest first. */
export const READABLE_SUMMARY_SCHEMAS: readonly string[] = [SUMMARY_SCHEMA_V1, SUMMARY_SCHEMA_V2];

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

/** What one `prometheus-rw` output did over the run. */
export interface RemoteWriteSummary {
  /** The receiver's URL. */
  readonly url: string;
  readonly samplesSent: number;
  /** Samples given up: the queue was full, the receiver refused them for good, or they were still queued when the flush deadline passed. */
  readonly samplesDropped: number;
  readonly requests: number;
  readonly failedRequests: number;
  readonly retries: number;
  /** The last failure, as `HTTP 500: <body>` or a network error code. */
  readonly lastError?: string;
}

/** What the live outputs did (`outputs`, present when the run had some); never part of the verdict. */
export interface OutputsSummary {
  readonly prometheusRw: readonly RemoteWriteSummary[];
  /** The /metrics endpoint and how often it was scraped before the results were written. */
  readonly metricsEndpoint?: { readonly url: string; readonly scrapes: number };
}

/** Isolation as summary.json states it. */
export interface IsolationSummary {
  /** `clean`, `violated`, or `untested` (coverage below its floor). Read from a /1 summary: from `violations` alone. */
  readonly verdict: IsolationVerdict;
  /** Why isolation is untested. */
  readonly reason?: string;
  /** Leaked frames and REST answers (/1 summaries counted each reason found in one). */
  readonly violations: number;
  /** Leaked frames per kind of evidence they showed (a frame may show several). */
  readonly byKind: Readonly<Record<string, number>>;
  readonly unattributed: number;
}

/** The `crosstalk.summary/2` document (a /1 document read by compare, merge or report lacks `coverage` and `reasons`). */
export interface Summary {
  readonly schema: typeof SUMMARY_SCHEMA | typeof SUMMARY_SCHEMA_V1;
  readonly scenario: {
    readonly name: string;
    readonly file: string;
    readonly sha256: string;
    readonly description?: string;
  };
  readonly target: {
    readonly url: string;
    readonly embedded: boolean;
    /** The embedded reference target's faults, when it had some. */
    readonly faults?: string;
    /** What those faults leaked by the target's own count: frames and REST answers with another user's data, delivered. */
    readonly leaked?: { readonly total: number; readonly byFault: Readonly<Record<string, number>> };
    /** The adapter the run spoke (`target.api`), absent before adapters. */
    readonly api?: string;
    /** Its transport (ws, sse, socketio), absent before adapters. */
    readonly transport?: string;
    /** The transport had no persistent connection (plain SSE): connection metrics do not apply. */
    readonly connectionless?: boolean;
  };
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly segment: string;
  readonly exitCode: number;
  readonly verdict: RunVerdict;
  /** Why the run did not pass, the one that decided the exit code first; empty for a pass. */
  readonly reasons?: readonly string[];
  /** Why the run could not test what it was for (isolation untested, an operation that never succeeded, a partial merge). */
  readonly untested?: readonly string[];
  readonly interrupted: boolean;
  /** Set when a threshold with abortOnFail stopped the run early. */
  readonly aborted?: {
    readonly metric: string;
    readonly expression: string;
    readonly actual: number | null;
    readonly atSec: number;
  };
  readonly metrics: Readonly<Record<string, TrendSummary | CounterSummary>>;
  readonly thresholds: readonly ThresholdResult[];
  readonly isolation: IsolationSummary;
  /** What the run exercised, and the floors it was judged against. */
  readonly coverage?: Coverage;
  readonly lifecycle: { readonly violations: number; readonly byKind: Readonly<Record<string, number>> };
  readonly runs: {
    readonly started: number;
    readonly completed: number;
    readonly failed: number;
    readonly timedOut: number;
    readonly interrupted: number;
  };
  readonly errors: { readonly count: number; readonly rate: number; readonly byKind: Readonly<Record<string, number>> };
  readonly users: { readonly total: number; readonly byCohort: Readonly<Record<string, number>> };
  readonly generator: GeneratorHealth;
  /** Live outputs (Prometheus remote write, /metrics) and what they delivered. */
  readonly outputs?: OutputsSummary;
  readonly series: readonly SeriesPoint[];
}

/** What {@link buildSummary} needs besides the registry. */
export interface SummaryInput {
  readonly scenario: Summary['scenario'];
  readonly target: Summary['target'];
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly segment: string;
  readonly interrupted: boolean;
  readonly aborted?: Summary['aborted'];
  readonly users: Summary['users'];
  readonly generator: GeneratorHealth;
}

/**
 * A summary as readers of the current schema expect it: a /1 document gets
 * the isolation verdict its figures imply (it had no coverage to be
 * untested by). A /2 document is returned as it is.
 */
export function upgradeSummary(s: Summary): Summary {
  if (s.schema !== SUMMARY_SCHEMA_V1 || s.isolation?.verdict !== undefined) return s;
  return { ...s, isolation: { ...s.isolation, verdict: s.isolation.violations > 0 ? 'violated' : 'clean' } };
}

/** A summary's figures before it is judged: what a run or a merge of several measured. */
export type SummaryFigures = Omit<
  Summary,
  'schema' | 'thresholds' | 'exitCode' | 'verdict' | 'reasons' | 'coverage' | 'isolation'
> & {
  readonly isolation: Omit<IsolationSummary, 'verdict' | 'reason'>;
};

/** What judging a summary's figures takes besides them. */
export interface JudgeInput {
  readonly thresholds: readonly ThresholdResult[];
  readonly floor: CoverageFloor;
  /** A merge that does not cover the scenario once (segments missing or repeated), unless allowed. */
  readonly partial?: string;
}

/**
 * Judges a run's (or a merge's) figures: coverage against its floor, the
 * verdict and exit code (one rule, core/verdict.ts), and the summary.json
 * document that states them.
 */
export function judgeSummary(f: SummaryFigures, input: JudgeInput): Summary {
  const coverage = computeCoverage(f.metrics, input.floor);
  const gaps = computeCoverageGaps(coverage);
  const j = computeVerdict({
    interrupted: f.interrupted,
    isolationViolations: f.isolation.violations,
    isolationByKind: f.isolation.byKind,
    isolationGaps: gaps.isolation,
    operationGaps: gaps.operations,
    thresholds: input.thresholds,
    ...(input.partial ? { partial: input.partial } : {}),
  });
  // Written in this order: what a reader looks for first comes first, the long series last.
  return {
    schema: SUMMARY_SCHEMA,
    scenario: f.scenario,
    target: f.target,
    startedAt: f.startedAt,
    endedAt: f.endedAt,
    durationMs: f.durationMs,
    segment: f.segment,
    exitCode: j.exitCode,
    verdict: j.verdict,
    reasons: j.reasons,
    ...(j.untested.length ? { untested: j.untested } : {}),
    interrupted: f.interrupted,
    ...(f.aborted ? { aborted: f.aborted } : {}),
    thresholds: j.thresholds,
    isolation: { verdict: j.isolation, ...(j.isolationReason ? { reason: j.isolationReason } : {}), ...f.isolation },
    coverage,
    lifecycle: f.lifecycle,
    runs: f.runs,
    errors: f.errors,
    users: f.users,
    generator: f.generator,
    metrics: f.metrics,
    series: f.series,
  };
}

/** Builds a run's figures from the registry (pure: no clock, no I/O); {@link judgeSummary} makes them summary.json. */
export function buildSummaryFigures(registry: MetricRegistry, input: SummaryInput): SummaryFigures {
  const durationMs = Math.max(0, input.endedAtMs - input.startedAtMs);
  const durationSec = durationMs / 1000;
  const metrics: Record<string, TrendSummary | CounterSummary> = {};

  const trendsByName = new Map<string, { all: Histogram; byTag: Map<string, Histogram> }>();
  const extremes = new Map<Histogram, { min: number; max: number }>();
  const widen = (h: Histogram, t: { importedMinUs: number | undefined; importedMaxUs: number | undefined }): void => {
    if (t.importedMinUs === undefined || t.importedMaxUs === undefined) return;
    const e = extremes.get(h);
    extremes.set(h, {
      min: Math.min(e?.min ?? Infinity, t.importedMinUs),
      max: Math.max(e?.max ?? 0, t.importedMaxUs),
    });
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
  const facetOf = new Map(Object.entries(KIND_FACETS).map(([parent, facet]) => [facet, parent]));
  const entry = (name: string): { value: number; byTag: Record<string, number> } => {
    let e = counters.get(name);
    if (!e) counters.set(name, (e = { value: 0, byTag: {} }));
    return e;
  };
  for (const c of registry.allCounters()) {
    // A facet's per-kind counts become its parent's `kind:` tags; the parent's value stays the frame count.
    const parent = facetOf.get(c.name);
    if (parent !== undefined) {
      if (c.value !== 0 && c.tags.kind !== undefined)
        entry(parent).byTag[`kind:${c.tags.kind}`] = (entry(parent).byTag[`kind:${c.tags.kind}`] ?? 0) + c.value;
      continue;
    }
    const e = entry(c.name);
    e.value += c.value;
    for (const [k, v] of Object.entries(c.tags)) e.byTag[`${k}:${v}`] = (e.byTag[`${k}:${v}`] ?? 0) + c.value;
  }
  const value = (name: string): number => counters.get(name)?.value ?? 0;
  const operations = value('operations');
  const errorRate = operations === 0 ? 0 : Math.min(1, value('errors') / operations);
  for (const [name, e] of [...counters].sort(([a], [b]) => a.localeCompare(b))) {
    metrics[name] = {
      type: 'counter',
      value: e.value,
      ratePerSec: durationSec > 0 ? round(e.value / durationSec) : 0,
      ...(name === 'errors' ? { rate: round(errorRate) } : {}),
      byTag: e.byTag,
    };
  }
  const kindsOf = (name: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(counters.get(name)?.byTag ?? {}))
      if (k.startsWith('kind:') && v > 0) out[k.slice(5)] = v;
    return out;
  };
  return {
    scenario: input.scenario,
    target: input.target,
    startedAt: new Date(input.startedAtMs).toISOString(),
    endedAt: new Date(input.endedAtMs).toISOString(),
    durationMs,
    segment: input.segment,
    interrupted: input.interrupted,
    ...(input.aborted ? { aborted: input.aborted } : {}),
    metrics,
    isolation: {
      violations: value('isolation.violations'),
      byKind: kindsOf('isolation.violations'),
      unattributed: value('isolation.unattributed'),
    },
    lifecycle: { violations: value('lifecycle.violations'), byKind: kindsOf('lifecycle.violations') },
    runs: {
      started: value('runs.started'),
      completed: value('runs.completed'),
      failed: value('runs.failed'),
      timedOut: value('runs.timed_out'),
      interrupted: value('runs.interrupted'),
    },
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

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
