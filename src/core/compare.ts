// Baseline-versus-current comparison of two summaries, for `simulate compare`
// in CI: which figures got worse beyond a tolerance (a regression fails the
// build), which got better, which cannot be judged from the samples there
// are, and what changed without being judged. Pure: the CLI reads the files,
// this does the statistics and says why in data (RowReason, Caveat);
// src/output/compare-format.ts writes the text.
//
// Run-to-run noise is the enemy of a gate: two runs of one build differ, most
// of all in tail percentiles drawn from a few dozen samples. So a figure is a
// regression only when the whole confidence interval of its change lies
// beyond the tolerance (we are confident it got worse by more than the
// tolerance, not merely that it got worse) AND the change exceeds an absolute
// floor. Intervals: percentiles by bootstrap over the HDR histograms
// (percentile-bootstrap.ts), counter rates by an exact Poisson test over each
// run's steady state (rate-comparison.ts). What the machine may have done
// (host-noise.ts): a latency change within the generator's own loop lag is
// inconclusive, and so is any figure a saturated generator's stalls could
// move beyond the tolerance on their own, and its throughput.
import { decodeHistogram } from './histogram.js';
import {
  computeBucketDistribution,
  computePercentileRatioInterval,
  type BucketDistribution,
} from './percentile-bootstrap.js';
import { computeHostNoiseMs, computeSaturation, HOST_NOISE_FACTOR, type Saturation } from './host-noise.js';
import { createRandom } from './random.js';
import {
  computeRateRatioInterval,
  computeSteadyWindow,
  computeWindowCount,
  type SteadyWindow,
  type WindowCount,
} from './rate-comparison.js';
import type { CounterSummary, Summary, TrendSummary } from './summary.js';

/** A summary `compare` reads: `crosstalk.summary/1` (no isolation verdict, no coverage) or `/2`. */
export type ComparableSummary = Omit<Summary, 'isolation'> & {
  readonly isolation: Omit<Summary['isolation'], 'verdict'> & { readonly verdict?: Summary['isolation']['verdict'] };
};

/** Which run of the two a reason or caveat is about. */
export type Side = Saturation['side'];

/**
 * Why a row was not judged (inconclusive), or why a large change did not
 * count. Data, not text: output/compare-format.ts words it.
 */
export type RowReason =
  | { readonly kind: 'not-a-number' }
  | { readonly kind: 'no-histogram'; readonly side: Side }
  /** The generator's stalls (loop lag p99) could move the figure beyond the tolerance on their own. */
  | { readonly kind: 'generator-stalls'; readonly side: Side; readonly lagMs: number; readonly tolerance: number }
  /** A saturated generator set the pace of this counter. */
  | { readonly kind: 'generator-paced'; readonly side: Side }
  | { readonly kind: 'schemas-differ' }
  | {
      readonly kind: 'few-samples';
      readonly base: number;
      readonly current: number;
      readonly need: number;
      readonly stat: string;
    }
  /** The change is within the floor (in the row's unit). */
  | { readonly kind: 'below-floor'; readonly floor: number }
  /** The change (in the row's unit) is within twice the generator's loop lag as the samples were timed. */
  | { readonly kind: 'host-noise'; readonly change: number; readonly lag: number }
  | { readonly kind: 'within-noise' }
  | { readonly kind: 'new-leak' }
  | { readonly kind: 'isolation-untested'; readonly sides: readonly Side[] };

/** Something the reader of a comparison should know; output/compare-format.ts words it. */
export type Caveat =
  | { readonly kind: 'one-side-only'; readonly metric: string; readonly side: Side }
  | { readonly kind: 'different-scenarios'; readonly base: string; readonly current: string }
  | { readonly kind: 'scenario-changed' }
  | { readonly kind: 'different-targets'; readonly base: string; readonly current: string }
  | { readonly kind: 'schemas-differ'; readonly base: string; readonly current: string }
  | { readonly kind: 'untested'; readonly side: Side }
  | { readonly kind: 'saturated'; readonly side: Side; readonly lagMs: number }
  | { readonly kind: 'interrupted'; readonly side: Side }
  | { readonly kind: 'steady-windows'; readonly base: SteadyWindow; readonly current: SteadyWindow };

/** Which way a figure gets worse; `info` figures are shown but never judged. */
export type Direction = 'higher-is-worse' | 'lower-is-worse' | 'info';

/** The verdict on one figure; `inconclusive` is shown with its reason and never fails. */
export type RowStatus = 'regression' | 'improvement' | 'unchanged' | 'inconclusive' | 'info';

/** One compared figure: a trend percentile, a counter's rate, the error rate or the isolation count. */
export interface ComparisonRow {
  readonly metric: string;
  /** `p50`, `p95`, `p99` (trends), `rate` (counters, per second of steady state), `error rate`, `violations`. */
  readonly stat: string;
  readonly unit: 'ms' | '/s' | 'fraction' | 'count';
  readonly base: number;
  readonly current: number;
  /** (current − base) / base in percent; 0 when both are 0; null when only the base is 0 (no finite percent). */
  readonly changePct: number | null;
  readonly direction: Direction;
  readonly status: RowStatus;
  /** The confidence interval of the change in percent (±Infinity when unbounded); only on statistically judged rows. */
  readonly intervalPct?: { readonly low: number; readonly high: number };
  /** Samples (trends) or events in the compared window (counters) on each side. */
  readonly samples?: { readonly base: number; readonly current: number };
  /** Why the row was not judged (inconclusive) or why a large change did not count. */
  readonly reason?: RowReason;
}

/** What identifies each side in the output. */
export interface ComparedRun {
  readonly scenario: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly exitCode: number;
  readonly schema: string;
  /** The window its counter rates were taken over. */
  readonly steady: SteadyWindow;
}

/** Settings of {@link computeComparison} besides the tolerance. */
export interface CompareOptions {
  /** Two-sided confidence of the intervals (0.95 default). */
  readonly confidence?: number;
  /** Bootstrap resamples per percentile and side (2000 default). */
  readonly resamples?: number;
}

/** The result of {@link computeComparison}. */
export interface Comparison {
  /** Allowed worsening as a fraction (0.1 = 10%). */
  readonly tolerance: number;
  readonly confidence: number;
  readonly resamples: number;
  readonly base: ComparedRun;
  readonly current: ComparedRun;
  /** Trends (p50, p95, p99 by name), then counters, then error rate and isolation. */
  readonly rows: readonly ComparisonRow[];
  readonly regressions: number;
  readonly improvements: number;
  readonly inconclusive: number;
  readonly verdict: 'regression' | 'ok';
  /** Caveats for the reader: metrics on one side only, changed scenario, saturated generator, schemas. */
  readonly caveats: readonly Caveat[];
}

/** Default two-sided confidence of the intervals. */
const DEFAULT_CONFIDENCE = 0.95;
/** Default bootstrap resamples: the 2.5% tail of 2000 draws rests on 50 of them. */
const DEFAULT_RESAMPLES = 2000;
/**
 * Fewest samples per side for any percentile. Below it even a median moves
 * with every sample, and the bootstrap understates how much.
 */
const MIN_SAMPLES = 30;
/**
 * Fewest samples expected beyond a percentile (n·(1 − q)) for it to be
 * judged: p95 needs 200 samples, p99 1000. With fewer, the percentile is set
 * by a handful of outliers (a GC pause, a scheduler hiccup) that the other
 * run may not have had, and resampling cannot invent the tail it never saw.
 */
const MIN_TAIL_SAMPLES = 10;
/** Latency changes up to this are never judged: sub-millisecond loopback calls swing by 50%. */
const LATENCY_FLOOR_MS = 1;
// Error rate floor (as before): 0.1 percentage point and more than one failed operation.
const ERROR_RATE_FLOOR = 0.001;
// Float noise: 100 → 110 must be "within 10%", not 10.000000000000014%.
const EPSILON = 1e-9;

const TREND_STATS: ReadonlyArray<{ stat: 'p50' | 'p95' | 'p99'; q: number }> = [
  { stat: 'p50', q: 0.5 },
  { stat: 'p95', q: 0.95 },
  { stat: 'p99', q: 0.99 },
];
const LOWER_IS_WORSE: ReadonlySet<string> = new Set([
  'runs.completed',
  'iterations',
  'http.requests',
  'ws.frames_received',
]);
const HIGHER_IS_WORSE: ReadonlySet<string> = new Set([
  'errors',
  'dropped',
  'runs.failed',
  'runs.timed_out',
  'isolation.violations',
  'lifecycle.violations',
]);
// The generator's own event-loop lag says how loaded the CI runner was, not how the target behaved.
const INFO_TRENDS: ReadonlySet<string> = new Set(['generator.loop_lag']);
// What a saturated generator (summary.generator.saturated) cannot measure beside short latencies: it starts
// fewer iterations, drops arrivals and times runs out itself. Failures the target reports (runs.failed,
// errors by rate, leaks, lifecycle) are still judged.
const GENERATOR_BOUND_COUNTERS: ReadonlySet<string> = new Set([...LOWER_IS_WORSE, 'dropped', 'runs.timed_out']);

/** The fewest samples per side for the q-percentile to be judged (see {@link MIN_TAIL_SAMPLES}). */
export function computeMinSamples(q: number): number {
  return Math.max(MIN_SAMPLES, Math.ceil(MIN_TAIL_SAMPLES / (1 - q) - EPSILON));
}

/**
 * Compares `current` against `base`. Trends present in both compare p50, p95
 * and p99 by bootstrap over their histograms; counters compare their rate per
 * second of steady state (a counter missing from a summary counts as 0:
 * summaries only list counters that were touched); then the error rate and
 * the isolation violation count. `tolerance` is a fraction (0.1 = 10%).
 */
export function computeComparison(
  base: ComparableSummary,
  current: ComparableSummary,
  tolerance: number,
  options: CompareOptions = {},
): Comparison {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const saturated = computeSaturation(base, current);
  const judge: Judge = { tolerance, confidence, resamples };
  const rows: ComparisonRow[] = [];
  const caveats: Caveat[] = [];
  const mixedSchemas = base.schema !== current.schema;

  for (const name of sortedUnion(base, current, 'trend')) {
    const b = base.metrics[name] as TrendSummary | undefined;
    const c = current.metrics[name] as TrendSummary | undefined;
    if (!b || !c) {
      caveats.push({ kind: 'one-side-only', metric: name, side: b ? 'baseline' : 'current run' });
      continue;
    }
    const hostNoiseMs = (q: number): number =>
      HOST_NOISE_FACTOR * Math.max(computeHostNoiseMs(base, name, q), computeHostNoiseMs(current, name, q));
    rows.push(...compareTrend(name, b, c, hostNoiseMs, judge, saturated));
  }

  const steadyBase = computeSteadyWindow(base.series ?? [], base.durationMs);
  const steadyCurrent = computeSteadyWindow(current.series ?? [], current.durationMs);
  for (const name of sortedUnion(base, current, 'counter')) {
    const wb = computeWindowCount(base.series ?? [], name, steadyBase, counterValue(base, name));
    const wc = computeWindowCount(current.series ?? [], name, steadyCurrent, counterValue(current, name));
    const direction: Direction = HIGHER_IS_WORSE.has(name)
      ? 'higher-is-worse'
      : LOWER_IS_WORSE.has(name)
        ? 'lower-is-worse'
        : 'info';
    const row =
      saturated !== undefined && GENERATOR_BOUND_COUNTERS.has(name)
        ? {
            ...compareRate(name, wb, wc, 'info', judge),
            direction,
            status: 'inconclusive' as const,
            reason: { kind: 'generator-paced', side: saturated.side } as const,
          }
        : compareRate(name, wb, wc, direction, judge);
    rows.push(
      mixedSchemas && name === 'isolation.violations' && row.status !== 'info'
        ? { ...row, status: 'info', reason: { kind: 'schemas-differ' } }
        : row,
    );
  }

  const ops = counterValue(current, 'operations');
  const errorFloor = Math.max(ERROR_RATE_FLOOR, ops > 0 ? 1 / ops : 0);
  rows.push(
    judgeByThreshold(
      'errors',
      'error rate',
      'fraction',
      base.errors.rate,
      current.errors.rate,
      'higher-is-worse',
      tolerance,
      errorFloor,
    ),
  );
  rows.push(judgeIsolation(base, current, tolerance, mixedSchemas));

  caveats.push(...collectCaveats(base, current, steadyBase, steadyCurrent));

  const count = (s: RowStatus): number => rows.filter((r) => r.status === s).length;
  const regressions = count('regression');
  return {
    tolerance,
    confidence,
    resamples,
    base: describeRun(base, steadyBase),
    current: describeRun(current, steadyCurrent),
    rows,
    regressions,
    improvements: count('improvement'),
    inconclusive: count('inconclusive'),
    verdict: regressions > 0 ? 'regression' : 'ok',
    caveats,
  };
}

interface Judge {
  readonly tolerance: number;
  readonly confidence: number;
  readonly resamples: number;
}

/** Below `floor` a change is too small to matter; below `hostNoise` the machine may have made it. */
interface Floors {
  readonly floor: number;
  readonly hostNoise: number;
}

/**
 * The p50, p95 and p99 rows of one trend. With a saturated generator, a
 * figure whose tolerance band is narrower than its stalls is inconclusive.
 */
function compareTrend(
  name: string,
  b: TrendSummary,
  c: TrendSummary,
  hostNoiseMs: (q: number) => number,
  judge: Judge,
  saturated: Saturation | undefined,
): ComparisonRow[] {
  const direction: Direction = INFO_TRENDS.has(name) ? 'info' : 'higher-is-worse';
  const rowOf = (stat: string): Omit<ComparisonRow, 'status'> => {
    const bv = b[stat as 'p50'];
    const cv = c[stat as 'p50'];
    return { metric: name, stat, unit: 'ms', base: bv, current: cv, changePct: percentChange(bv, cv), direction };
  };
  if (direction === 'info') return TREND_STATS.map(({ stat }) => ({ ...rowOf(stat), status: 'info' }));
  const hb = readDistribution(b.hdr);
  const hc = readDistribution(c.hdr);
  return TREND_STATS.map(({ stat, q }): ComparisonRow => {
    const row = rowOf(stat);
    // A hand-edited or truncated figure must not slip through as an "improvement" (NaN compares false everywhere).
    if (!Number.isFinite(row.base) || !Number.isFinite(row.current))
      return { ...row, changePct: null, status: 'info', reason: { kind: 'not-a-number' } };
    if (!hb || !hc)
      return {
        ...row,
        status: 'inconclusive',
        reason: { kind: 'no-histogram', side: !hb ? 'baseline' : 'current run' },
      };
    const samples = { base: hb.total, current: hc.total };
    if (saturated && saturated.lagMs > judge.tolerance * Math.min(row.base, row.current)) {
      return {
        ...row,
        samples,
        status: 'inconclusive',
        reason: { kind: 'generator-stalls', side: saturated.side, lagMs: saturated.lagMs, tolerance: judge.tolerance },
      };
    }
    const need = computeMinSamples(q);
    if (hb.total < need || hc.total < need)
      return {
        ...row,
        samples,
        status: 'inconclusive',
        reason: { kind: 'few-samples', base: hb.total, current: hc.total, need, stat },
      };
    const seed = hashSeed(`${name}|${stat}`);
    const ratio = computePercentileRatioInterval(
      hb,
      hc,
      q,
      judge.confidence,
      judge.resamples,
      createRandom(seed),
      createRandom(seed ^ 0x9e3779b9),
    );
    return decide({ ...row, samples }, ratio, judge.tolerance, { floor: LATENCY_FLOOR_MS, hostNoise: hostNoiseMs(q) });
  });
}

function compareRate(
  name: string,
  wb: WindowCount,
  wc: WindowCount,
  direction: Direction,
  judge: Judge,
): ComparisonRow {
  const rb = wb.seconds > 0 ? wb.count / wb.seconds : 0;
  const rc = wc.seconds > 0 ? wc.count / wc.seconds : 0;
  const row = {
    metric: name,
    stat: 'rate',
    unit: '/s' as const,
    base: rb,
    current: rc,
    changePct: percentChange(rb, rc),
    direction,
    samples: { base: wb.count, current: wc.count },
  };
  if (direction === 'info') return { ...row, status: 'info' };
  if (!Number.isFinite(rb) || !Number.isFinite(rc))
    return { ...row, changePct: null, status: 'info', reason: { kind: 'not-a-number' } };
  const ratio = computeRateRatioInterval(wb, wc, judge.confidence);
  if (!ratio) return { ...row, status: 'unchanged' };
  // One event's worth over the shorter window: one stray drop or timeout is noise whatever the test says.
  const floor = 1 / Math.min(wb.seconds, wc.seconds);
  return decide(row, ratio, judge.tolerance, { floor, hostNoise: 0 });
}

/**
 * The rule every statistically judged row follows: worse when the whole
 * interval of current ÷ base lies beyond 1 ± tolerance in the bad direction
 * and the change is larger than the floor; better symmetrically; else
 * unchanged. A change beyond the floor but within the host noise is
 * inconclusive: the machine, not the target, may have made it.
 */
function decide(
  row: Omit<ComparisonRow, 'status'>,
  ratio: { low: number; high: number },
  tolerance: number,
  floors: Floors,
): ComparisonRow {
  const intervalPct = { low: (ratio.low - 1) * 100, high: (ratio.high - 1) * 100 };
  const judged = { ...row, intervalPct };
  const higherIsWorse = row.direction === 'higher-is-worse';
  const worseLow = higherIsWorse ? ratio.low - 1 : 1 - ratio.high; // the least worsening the interval allows
  const betterLow = higherIsWorse ? 1 - ratio.high : ratio.low - 1; // the least improvement it allows
  const worse = higherIsWorse ? row.current - row.base : row.base - row.current;
  const beyond =
    worseLow > tolerance + EPSILON ? 'regression' : betterLow > tolerance + EPSILON ? 'improvement' : undefined;
  if (beyond) {
    const moved = Math.abs(worse);
    if (moved <= floors.floor)
      return { ...judged, status: 'unchanged', reason: { kind: 'below-floor', floor: floors.floor } };
    if (moved <= floors.hostNoise) {
      return {
        ...judged,
        status: 'inconclusive',
        reason: { kind: 'host-noise', change: moved, lag: floors.hostNoise / HOST_NOISE_FACTOR },
      };
    }
    if ((beyond === 'regression') === worse > 0) return { ...judged, status: beyond };
  }
  const relative = row.changePct === null ? Infinity : Math.abs(row.changePct) / 100;
  if (relative > tolerance + EPSILON && worse !== 0)
    return { ...judged, status: 'unchanged', reason: { kind: 'within-noise' } };
  return { ...judged, status: 'unchanged' };
}

/** The rule for figures without a sampling model (error rate, isolation count): tolerance and floor on the values. */
function judgeByThreshold(
  metric: string,
  stat: string,
  unit: ComparisonRow['unit'],
  base: number,
  current: number,
  direction: Direction,
  tolerance: number,
  floor: number,
): ComparisonRow {
  const changePct = percentChange(base, current);
  const row = { metric, stat, unit, base, current, changePct, direction };
  if (!Number.isFinite(base) || !Number.isFinite(current))
    return { ...row, changePct: null, status: 'info', reason: { kind: 'not-a-number' } };
  // `worse` > 0 means the figure moved the bad way, whichever way that is.
  const worse = direction === 'higher-is-worse' ? current - base : base - current;
  if (worse === 0) return { ...row, status: 'unchanged' };
  const relative = base === 0 ? Math.sign(worse) * Infinity : worse / Math.abs(base);
  if (Math.abs(relative) <= tolerance + EPSILON) return { ...row, status: 'unchanged' };
  if (Math.abs(worse) <= floor) return { ...row, status: 'unchanged', reason: { kind: 'below-floor', floor } };
  return { ...row, status: worse > 0 ? 'regression' : 'improvement' };
}

function judgeIsolation(
  base: ComparableSummary,
  current: ComparableSummary,
  tolerance: number,
  mixedSchemas: boolean,
): ComparisonRow {
  const b = base.isolation.violations;
  const c = current.isolation.violations;
  const row = {
    metric: 'isolation',
    stat: 'violations',
    unit: 'count' as const,
    base: b,
    current: c,
    changePct: percentChange(b, c),
    direction: 'higher-is-worse' as const,
  };
  // The one rule neither tolerance nor noise can relax: a run that leaked after a clean baseline.
  if (b === 0 && c > 0) return { ...row, changePct: null, status: 'regression', reason: { kind: 'new-leak' } };
  const untested = (
    [
      ['baseline', base],
      ['current run', current],
    ] as const
  )
    .filter(([, s]) => s.isolation.verdict === 'untested')
    .map(([side]) => side);
  if (untested.length)
    return { ...row, status: 'inconclusive', reason: { kind: 'isolation-untested', sides: untested } };
  if (mixedSchemas) return { ...row, status: 'info', reason: { kind: 'schemas-differ' } };
  return judgeByThreshold('isolation', 'violations', 'count', b, c, 'higher-is-worse', tolerance, 0);
}

function collectCaveats(
  base: ComparableSummary,
  current: ComparableSummary,
  steadyBase: SteadyWindow,
  steadyCurrent: SteadyWindow,
): Caveat[] {
  const caveats: Caveat[] = [];
  if (base.scenario.name !== current.scenario.name)
    caveats.push({ kind: 'different-scenarios', base: base.scenario.name, current: current.scenario.name });
  else if (base.scenario.sha256 !== current.scenario.sha256) caveats.push({ kind: 'scenario-changed' });
  if (base.target.url !== current.target.url && !(base.target.embedded && current.target.embedded))
    caveats.push({ kind: 'different-targets', base: base.target.url, current: current.target.url });
  if (base.schema !== current.schema)
    caveats.push({ kind: 'schemas-differ', base: base.schema, current: current.schema });
  for (const [side, s] of [
    ['baseline', base],
    ['current run', current],
  ] as const) {
    if (s.verdict === 'untested') caveats.push({ kind: 'untested', side });
    if (s.generator.saturated) caveats.push({ kind: 'saturated', side, lagMs: s.generator.loopLagP99Ms });
    if (s.interrupted) caveats.push({ kind: 'interrupted', side });
  }
  caveats.push({ kind: 'steady-windows', base: steadyBase, current: steadyCurrent });
  return caveats;
}

function readDistribution(hdr: string | undefined): BucketDistribution | undefined {
  if (typeof hdr !== 'string' || hdr === '') return undefined;
  try {
    return computeBucketDistribution(decodeHistogram(hdr));
  } catch {
    return undefined;
  }
}

function percentChange(base: number, current: number): number | null {
  if (base === 0) return current === 0 ? 0 : null;
  return ((current - base) / Math.abs(base)) * 100;
}

function sortedUnion(a: ComparableSummary, b: ComparableSummary, type: 'trend' | 'counter'): string[] {
  const names = new Set<string>();
  for (const s of [a, b]) for (const [name, m] of Object.entries(s.metrics)) if (m.type === type) names.add(name);
  return [...names].sort((x, y) => x.localeCompare(y));
}

function counterValue(s: ComparableSummary, name: string): number {
  const m = s.metrics[name] as CounterSummary | undefined;
  return m && m.type === 'counter' ? m.value : 0;
}

function describeRun(s: ComparableSummary, steady: SteadyWindow): ComparedRun {
  return {
    scenario: s.scenario.name,
    startedAt: s.startedAt,
    durationMs: s.durationMs,
    exitCode: s.exitCode,
    schema: s.schema,
    steady,
  };
}

/** FNV-1a: a row's resampling stream depends on its name only, so adding a metric changes no other row. */
function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
