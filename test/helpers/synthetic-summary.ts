// Summaries built from chosen samples, for tests of `compare`: real HDR
// histograms of seeded draws, counters and a per-second series with a ramp,
// a plateau and a ramp-down. No I/O.
import type { ComparableSummary } from '../../src/core/compare-types.js';
import { computeTrendStats, createHistogram, encodeHistogram } from '../../src/core/histogram.js';
import type { SeriesPoint } from '../../src/core/metric-registry.js';
import { createRandom, type Random } from '../../src/core/random.js';
import type { CounterSummary, TrendSummary } from '../../src/core/summary.js';

/** A trend entry of summary.json holding exactly `valuesMs`. */
export function buildTrend(valuesMs: readonly number[]): TrendSummary {
  const h = createHistogram();
  for (const v of valuesMs) h.recordValue(Math.max(0, Math.round(v * 1000)));
  return { type: 'trend', ...computeTrendStats(h), hdr: encodeHistogram(h), byTag: {} };
}

/**
 * `n` latencies shaped like an agent run (a sum of four uniform delays of
 * 5–25 ms plus a little network time), times `scale`.
 */
export function drawRunLatenciesMs(n: number, seed: number, scale = 1): number[] {
  const rand = createRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = 1 + rand();
    for (let k = 0; k < 4; k++) v += 5 + 20 * rand();
    out.push(v * scale);
  }
  return out;
}

/** `n` heavy-tailed latencies (log-normal, median `medianMs`, σ 0.6), like REST calls on a busy machine. */
export function drawLogNormalMs(n: number, seed: number, medianMs: number): number[] {
  const rand = createRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(medianMs * Math.exp(0.6 * normal(rand)));
  return out;
}

function normal(rand: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A draw from Poisson(mean) (Knuth's method for small means, a rounded normal above 50). */
export function drawPoisson(rand: Random, mean: number): number {
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rand)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

/** The shape of a synthetic series: seconds of ramp-up, plateau and ramp-down, and counter rates on the plateau. */
export interface SeriesShape {
  readonly users: number;
  readonly rampSec: number;
  readonly plateauSec: number;
  readonly downSec: number;
  /** Seconds with no user at the end (a graceful stop waiting on nothing). */
  readonly tailSec?: number;
  /** Events per second at the plateau (scaled by the share of users during ramps). */
  readonly ratesPerSec: Readonly<Record<string, number>>;
  readonly seed: number;
}

/** A per-second series with Poisson counts: `vus.chatters` ramps to `users`, holds, and falls to 0. */
export function buildSeries(shape: SeriesShape): SeriesPoint[] {
  const rand = createRandom(shape.seed);
  const active = shape.rampSec + shape.plateauSec + shape.downSec;
  const total = active + (shape.tailSec ?? 0);
  const series: SeriesPoint[] = [];
  for (let t = 1; t <= total; t++) {
    const users =
      t <= shape.rampSec
        ? Math.round((shape.users * t) / (shape.rampSec + 1))
        : t <= shape.rampSec + shape.plateauSec
          ? shape.users
          : Math.max(0, Math.round((shape.users * (active - t)) / (shape.downSec + 1)));
    const counters: Record<string, number> = {};
    for (const [name, rate] of Object.entries(shape.ratesPerSec)) {
      const c = drawPoisson(rand, (rate * users) / shape.users);
      if (c) counters[name] = c;
    }
    series.push({ t, trends: {}, counters, gauges: { 'vus.chatters': users, 'runs.in_flight': 0 } });
  }
  return series;
}

/** What a synthetic summary holds; everything else is a clean, passing run. */
export interface SyntheticRun {
  readonly trends?: Readonly<Record<string, readonly number[]>>;
  /** Whole-run counter values; with a series and no value here, the series' sum. */
  readonly counters?: Readonly<Record<string, number>>;
  readonly series?: readonly SeriesPoint[];
  readonly durationMs?: number;
  readonly schema?: ComparableSummary['schema'];
  readonly verdict?: ComparableSummary['verdict'];
  readonly isolation?: Partial<ComparableSummary['isolation']>;
  readonly generator?: Partial<ComparableSummary['generator']>;
}

/** A summary.json document (schema /1 unless asked) holding the given figures. */
export function buildSummary(run: SyntheticRun): ComparableSummary {
  const series = run.series ?? [];
  const durationMs = run.durationMs ?? (series.length ? series.length * 1000 : 10_000);
  const metrics: Record<string, TrendSummary | CounterSummary> = {};
  for (const [name, values] of Object.entries(run.trends ?? {})) metrics[name] = buildTrend(values);
  const counterNames = new Set([...Object.keys(run.counters ?? {}), ...series.flatMap((p) => Object.keys(p.counters))]);
  for (const name of counterNames) {
    const value = run.counters?.[name] ?? series.reduce((a, p) => a + (p.counters[name] ?? 0), 0);
    metrics[name] = { type: 'counter', value, ratePerSec: value / (durationMs / 1000), byTag: {} };
  }
  const started = Date.parse('2026-01-01T00:00:00Z');
  return {
    schema: run.schema ?? 'crosstalk.summary/1',
    scenario: { name: 'synthetic', file: 'synthetic.yaml', sha256: '0' },
    target: { url: 'http://127.0.0.1:1', embedded: true },
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(started + durationMs).toISOString(),
    durationMs,
    segment: '0/1',
    exitCode: 0,
    verdict: run.verdict ?? 'pass',
    interrupted: false,
    metrics,
    thresholds: [],
    isolation: { violations: 0, byKind: {}, unattributed: 0, ...run.isolation },
    lifecycle: { violations: 0, byKind: {} },
    runs: { started: 0, completed: 0, failed: 0, timedOut: 0, interrupted: 0 },
    errors: { count: 0, rate: 0, byKind: {} },
    users: { total: 1, byCohort: { chatters: 1 } },
    generator: { loopLagP99Ms: 1, loopLagMaxMs: 2, cpuPercent: 10, saturated: false, ...run.generator },
    series,
  };
}
