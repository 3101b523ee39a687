// How much the machine, not the target, may have moved a run's figures, read
// from what the generator measured of itself. `compare` uses it to keep a
// busy CI runner from failing a build.
import type { ComparableSummary } from './compare-types.js';

// Host noise. Two runs on one machine differ by more than sampling: the machine's load changes between them
// and delays answers in the target and the generator alike (a few ms to hundreds on a busy CI runner, most in
// bursts such as a connect storm), which the bootstrap, resampling within each run, cannot see. The generator
// measures that delay on itself: its event-loop lag, the worst of each second in the series. Stalls make the
// slow samples, so a trend's q-percentile can move by about the q-quantile of the lag its samples were timed
// under, once for each event loop an answer crosses on the machine: the generator's, which it sees, and the
// target's, which it does not (measured: a connect storm's p95 moved 78 ms with the generator lagging 77 ms).
// Twice that lag, the larger of the two runs, is the floor below which a change could be the machine. On a
// quiet machine the lag is about 1 ms and this changes nothing.
const LAG_TREND = 'generator.loop_lag';
/** Event loops an answer crosses on one machine (target and generator); only the generator's lag is measured. */
export const HOST_NOISE_FACTOR = 2;

/**
 * The generator's event-loop lag, ms, at quantile `q` (0–1) over the
 * samples of trend `name` in run `s`: each sample counts the worst lag of
 * the second it was taken in. Without a lag in the series, the run's lag
 * p99. `compare` allows {@link HOST_NOISE_FACTOR} times this.
 */
export function computeHostNoiseMs(s: ComparableSummary, name: string, q: number): number {
  const seconds: Array<{ lag: number; samples: number }> = [];
  let total = 0;
  for (const p of s.series ?? []) {
    const n = p.trends[name]?.count ?? 0;
    const lag = p.trends[LAG_TREND]?.max;
    if (!(n > 0) || typeof lag !== 'number' || !Number.isFinite(lag)) continue;
    seconds.push({ lag, samples: n });
    total += n;
  }
  if (total > 0) {
    seconds.sort((x, y) => x.lag - y.lag);
    const rank = Math.max(1, Math.ceil(q * total - 1e-9));
    let seen = 0;
    for (const sec of seconds) {
      seen += sec.samples;
      if (seen >= rank) return sec.lag;
    }
  }
  const p99 = s.generator?.loopLagP99Ms;
  return typeof p99 === 'number' && Number.isFinite(p99) && p99 > 0 ? p99 : 0;
}

/** A saturated generator's stalls: its loop lag p99, ms, and who it was (the worse side when both were). */
export interface Saturation {
  readonly lagMs: number;
  readonly side: 'baseline' | 'current run';
}

/**
 * The worse of the two runs' saturated generators, or undefined when both
 * kept up. A saturated generator (summary.generator.saturated) stalled long
 * enough that its stalls, not the target, can move figures of its size.
 */
export function computeSaturation(base: ComparableSummary, current: ComparableSummary): Saturation | undefined {
  let worst: Saturation | undefined;
  for (const [side, s] of [
    ['baseline', base],
    ['current run', current],
  ] as const) {
    if (!s.generator.saturated) continue;
    const lagMs = Number.isFinite(s.generator.loopLagP99Ms) ? s.generator.loopLagP99Ms : Infinity;
    if (!worst || lagMs > worst.lagMs) worst = { lagMs, side };
  }
  return worst;
}
