import type { Trend } from '../core/metric-registry.js';

/** How often the sampler looks at the loop (ms): fine enough to see a 20–50 ms burst as such. */
export const LOOP_LAG_INTERVAL_MS = 2;

/** A running sampler; stop() ends it. */
export interface LoopLagSampler {
  stop(): void;
}

/**
 * Measures the event loop's lag with one repeating timer that times its own
 * lateness: each callback records how much later than due it ran (µs) into
 * `trend`. A callback late by L stands for the L / interval callbacks the
 * blocked loop could not run, so L − interval, L − 2 × interval, … are
 * recorded too (HdrHistogram's correction for coordinated omission): the
 * trend is then the wait an event arriving at a random moment would have
 * had, and a 50 ms block weighs as 25 samples, not one. `after(nowMs)` runs
 * in the same callback, after the sample, so work that must fall on the
 * same side of a second as the lag it follows (the per-second series) can
 * ride on this timer.
 */
export function startLoopLagSampler(
  trend: Pick<Trend, 'record'>,
  after?: (nowMs: number) => void,
  intervalMs = LOOP_LAG_INTERVAL_MS,
): LoopLagSampler {
  const intervalUs = intervalMs * 1000;
  let lastMs = performance.now();
  const timer = setInterval(() => {
    const nowMs = performance.now();
    const lagUs = Math.round((nowMs - lastMs) * 1000) - intervalUs;
    lastMs = nowMs;
    // Node times timers in whole ms, so an idle loop reads up to ±1 ms around due: only lateness counts.
    trend.record(lagUs > 0 ? lagUs : 0);
    for (let us = lagUs - intervalUs; us > 0; us -= intervalUs) trend.record(us);
    after?.(nowMs);
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
