// How `compare` judges one figure, a row of the comparison: a trend
// percentile, a counter's rate, the error rate or the isolation count.
// compare.ts picks the figures and which way each gets worse.
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
// move beyond the tolerance on their own, and the throughput it paced
// (compare.ts).
import type { ComparableSummary, ComparisonRow, Direction } from './compare-types.js';
import { decodeHistogram } from './histogram.js';
import {
  computeBucketDistribution,
  computePercentileRatioInterval,
  type BucketDistribution,
} from './percentile-bootstrap.js';
import { HOST_NOISE_FACTOR, type Saturation } from './host-noise.js';
import { createRandom } from './random.js';
import { computeRateRatioInterval, type WindowCount } from './rate-comparison.js';
import type { TrendSummary } from './summary.js';

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
// Float noise: 100 → 110 must be "within 10%", not 10.000000000000014%.
const EPSILON = 1e-9;

const TREND_STATS: ReadonlyArray<{ stat: 'p50' | 'p95' | 'p99'; q: number }> = [
  { stat: 'p50', q: 0.5 },
  { stat: 'p95', q: 0.95 },
  { stat: 'p99', q: 0.99 },
];
// The generator's own event-loop lag says how loaded the CI runner was, not how the target behaved.
const INFO_TRENDS: ReadonlySet<string> = new Set(['generator.loop_lag']);

/** The fewest samples per side for the q-percentile to be judged (see {@link MIN_TAIL_SAMPLES}). */
export function computeMinSamples(q: number): number {
  return Math.max(MIN_SAMPLES, Math.ceil(MIN_TAIL_SAMPLES / (1 - q) - EPSILON));
}

/** The settings every statistically judged row is decided with. */
export interface Judge {
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
export function compareTrend(
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

/**
 * The rate row of one counter, per second of each run's steady window:
 * judged by an exact Poisson test unless `direction` is `info`.
 */
export function compareRate(
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
export function judgeByThreshold(
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

/**
 * The isolation row: a leak after a clean baseline is a regression whatever
 * the tolerance; an untested side is inconclusive; else the threshold rule.
 */
export function judgeIsolation(
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

/** FNV-1a: a row's resampling stream depends on its name only, so adding a metric changes no other row. */
function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
