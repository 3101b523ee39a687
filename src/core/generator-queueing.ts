import type { SeriesPoint } from './metric-registry.js';

/** The trend every event-loop lag sample goes into; its p99 is `generator.loopLagP99Ms`. */
export const LOOP_LAG_METRIC = 'generator.loop_lag';

/**
 * Loop lag (ms) above which a second is flagged. A latency is timed when the
 * generator's loop gets to the socket read that carries the answer, so a loop
 * that could not run for L ms may have added up to L ms to what it timed
 * then. 20 ms: above what a healthy Node process shows (a scavenge takes 1–5
 * ms, the sampler's own timer rounds by 1 ms, a neighbour's time slice on a
 * shared CI core is 3–12 ms), and at the low end of what queues answers after
 * a burst (a 2 s stall released at once gave 20–50 ms).
 */
export const QUEUEING_BOUND_MS = 20;

/**
 * Share of the run's latency samples recorded in flagged seconds from which
 * the generator counts as saturated: from 5% on, the p95 that SLAs judge may
 * itself be one of the inflated samples. Samples, not seconds: after a stall
 * the answers that were held arrive, and are timed, in the few flagged
 * seconds.
 */
const QUEUEING_SATURATED_SHARE = 0.05;

/** Seconds in which the generator's loop lagged past the bound: [fromSec, toSec) since the users started. */
export interface QueueingWindow {
  readonly fromSec: number;
  readonly toSec: number;
  /** The longest the loop could not run in the window (ms): latencies timed then may be over-reported by up to this. */
  readonly maxLagMs: number;
}

/** When the generator's own queueing may have inflated what it measured (summary.json `generator.queueing`). */
export interface GeneratorQueueing {
  readonly boundMs: number;
  readonly windows: readonly QueueingWindow[];
  /** Seconds flagged, in all. */
  readonly seconds: number;
  /** Share (0..1) of the latency samples (every trend but the generator's own) recorded in flagged seconds. */
  readonly sampleShare: number;
}

/**
 * Finds the queueing windows in a per-second series: each second whose
 * `generator.loop_lag` max exceeds the bound is flagged (point t covers
 * second [t-1, t)), consecutive seconds form one window. Pure; works on one
 * shard's series and on a series merged from workers or generators alike.
 */
export function computeQueueing(series: readonly SeriesPoint[], boundMs = QUEUEING_BOUND_MS): GeneratorQueueing {
  const windows: { fromSec: number; toSec: number; maxLagMs: number }[] = [];
  let seconds = 0;
  let samples = 0;
  let flaggedSamples = 0;
  for (const p of series) {
    let n = 0;
    for (const name in p.trends) if (!name.startsWith('generator.')) n += p.trends[name]!.count;
    samples += n;
    const lagMs = p.trends[LOOP_LAG_METRIC]?.max ?? 0;
    if (!(lagMs > boundMs)) continue;
    seconds++;
    flaggedSamples += n;
    const last = windows[windows.length - 1];
    if (last && last.toSec === p.t - 1) {
      last.toSec = p.t;
      last.maxLagMs = Math.max(last.maxLagMs, lagMs);
    } else {
      windows.push({ fromSec: p.t - 1, toSec: p.t, maxLagMs: lagMs });
    }
  }
  return {
    boundMs,
    windows,
    seconds,
    sampleShare: samples === 0 ? 0 : Math.round((flaggedSamples / samples) * 1e4) / 1e4,
  };
}

/** True when the flagged seconds hold enough of the run's latency samples to move its p95 (see QUEUEING_SATURATED_SHARE). */
export function isQueueingSaturated(q: GeneratorQueueing): boolean {
  return q.seconds > 0 && q.sampleShare >= QUEUEING_SATURATED_SHARE;
}
