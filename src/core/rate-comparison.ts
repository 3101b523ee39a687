// Counter rates for `compare`: counted over each run's steady state (not the
// whole run: ramps and graceful stops differ in length between runs), and
// compared with an exact Poisson test of the rate ratio, widened for counts
// that arrive in bursts.
import { computeBetaQuantile } from './beta-distribution.js';
import type { SeriesPoint } from './metric-registry.js';

/** The seconds of a run over which its counter rates are compared. */
export interface SteadyWindow {
  /** `plateau`: where the active users stayed near their peak; `whole run`: no usable series. */
  readonly source: 'plateau' | 'whole run';
  /** Series seconds `fromSec`..`toSec` (each point t covers the second before t); 0..duration for the whole run. */
  readonly fromSec: number;
  readonly toSec: number;
  readonly seconds: number;
  /** Why the whole run was used, when it was. */
  readonly reason?: string;
}

/** Share of the peak of active users (sum of the `vus.*` gauges) that counts as the plateau. */
const PLATEAU_SHARE = 0.9;
/** A plateau shorter than this is not a steady state: the whole run is used instead. */
const MIN_STEADY_SECONDS = 3;
// A per-second variance from fewer points says nothing.
const MIN_POINTS_FOR_DISPERSION = 5;
// The last point of a series covers the part of a second before the run ended.
const PARTIAL_POINT_SLACK_MS = 50;

/**
 * The steady state of a run: from the first to the last series second that
 * began and ended with the active users (sum of the `vus.*` gauges) at or
 * above {@link PLATEAU_SHARE} of their peak, so ramp-up, ramp-down and the
 * graceful stop are left out. Falls back to the whole run when the series
 * has no such gauges or the plateau is shorter than {@link MIN_STEADY_SECONDS}.
 */
export function computeSteadyWindow(series: readonly SeriesPoint[], durationMs: number): SteadyWindow {
  const whole = (reason: string): SteadyWindow => ({
    source: 'whole run',
    fromSec: 0,
    toSec: durationMs / 1000,
    seconds: durationMs / 1000,
    reason,
  });
  const full = series.filter((p) => p.t * 1000 <= durationMs + PARTIAL_POINT_SLACK_MS);
  const users = new Map<number, number>();
  let peak = 0;
  let hasGauges = false;
  for (const p of full) {
    let v = 0;
    for (const [name, value] of Object.entries(p.gauges)) {
      if (!name.startsWith('vus.')) continue;
      hasGauges = true;
      v += value;
    }
    users.set(p.t, v);
    peak = Math.max(peak, v);
  }
  if (!hasGauges || peak === 0) return whole('the series has no active-user gauges');
  const floor = PLATEAU_SHARE * peak;
  let from = Infinity;
  let to = -Infinity;
  for (const p of full) {
    // The gauge is read at the end of each second: a second is steady when it began and ended on the plateau.
    const before = users.get(p.t - 1);
    if (before !== undefined && before >= floor && users.get(p.t)! >= floor) {
      from = Math.min(from, p.t);
      to = Math.max(to, p.t);
    }
  }
  const seconds = to - from + 1;
  if (!(seconds >= MIN_STEADY_SECONDS)) return whole(`its plateau is shorter than ${MIN_STEADY_SECONDS} s`);
  return { source: 'plateau', fromSec: from, toSec: to, seconds };
}

/** A counter's events in a window, with how bursty they arrived. */
export interface WindowCount {
  readonly count: number;
  readonly seconds: number;
  /**
   * Index of dispersion of the per-second counts (variance ÷ mean), at least
   * 1: 1 is Poisson; 9 means events come in bursts whose noise a Poisson test
   * would underestimate ninefold in variance.
   */
  readonly dispersion: number;
}

/**
 * Counts `name` over `window`: the per-second deltas of the series in a
 * plateau window, else `wholeRunValue` over the whole run (no dispersion
 * known, so taken as Poisson).
 */
export function computeWindowCount(
  series: readonly SeriesPoint[],
  name: string,
  window: SteadyWindow,
  wholeRunValue: number,
): WindowCount {
  if (window.source === 'whole run') return { count: wholeRunValue, seconds: window.seconds, dispersion: 1 };
  const perSecond: number[] = [];
  for (let t = window.fromSec; t <= window.toSec; t++) perSecond.push(0);
  for (const p of series) {
    if (p.t < window.fromSec || p.t > window.toSec) continue;
    perSecond[p.t - window.fromSec] = p.counters[name] ?? 0;
  }
  const count = perSecond.reduce((a, v) => a + v, 0);
  return { count, seconds: window.seconds, dispersion: computeDispersion(perSecond) };
}

/** Variance ÷ mean of per-second counts, at least 1 (under-dispersed counts are treated as Poisson, which is conservative). */
export function computeDispersion(perSecond: readonly number[]): number {
  const n = perSecond.length;
  if (n < MIN_POINTS_FOR_DISPERSION) return 1;
  const mean = perSecond.reduce((a, v) => a + v, 0) / n;
  if (mean === 0) return 1;
  const variance = perSecond.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return Math.max(1, variance / mean);
}

/**
 * An exact confidence interval (two-sided, at `confidence`) of the ratio of
 * two Poisson rates, current ÷ base: given the total N = x_b + x_c, x_c is
 * Binomial(N, p) with p = λ_c·T_c ÷ (λ_b·T_b + λ_c·T_c); a Clopper–Pearson
 * interval of p maps to one of λ_c ÷ λ_b. Counts are first divided by the
 * larger side's index of dispersion (the quasi-Poisson correction), so
 * bursty counts get the wider interval they deserve. Null when both counts are 0.
 */
export function computeRateRatioInterval(
  base: WindowCount,
  current: WindowCount,
  confidence: number,
): { low: number; high: number } | null {
  const dispersion = Math.max(base.dispersion, current.dispersion);
  const xb = base.count / dispersion;
  const xc = current.count / dispersion;
  if (xb + xc === 0 || !(base.seconds > 0) || !(current.seconds > 0)) return null;
  const alpha = 1 - confidence;
  const pLow = xc === 0 ? 0 : computeBetaQuantile(alpha / 2, xc, xb + 1);
  const pHigh = xb === 0 ? 1 : computeBetaQuantile(1 - alpha / 2, xc + 1, xb);
  const exposure = base.seconds / current.seconds;
  const toRatio = (p: number): number => (p >= 1 ? Infinity : (p / (1 - p)) * exposure);
  return { low: toRatio(pLow), high: toRatio(pHigh) };
}
