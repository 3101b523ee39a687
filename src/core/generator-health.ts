import { computeQueueing, isQueueingSaturated, LOOP_LAG_METRIC } from './generator-queueing.js';
import type { GeneratorHealth, Summary } from './summary.js';

/** Loop lag p99 (ms) from which the generator counts as saturated. */
export const SATURATED_LOOP_LAG_P99_MS = 50;
/** CPU per worker thread (% of a core) from which the generator counts as saturated. */
export const SATURATED_CPU_PERCENT = 90;

/**
 * How the generator fared, from a summary's own figures: the loop lag p99
 * and max are those of its `generator.loop_lag` trend (one figure under one
 * name), queueing windows come from its series. Saturated: a thread at 90% of
 * a core, a loop lag p99 over 50 ms, or queueing windows holding 5% of the
 * latency samples, each of which means the generator cannot time others'
 * answers faithfully. `alsoSaturated` carries a verdict made elsewhere (a
 * merged segment that was saturated on its own).
 */
export function computeGeneratorHealth(s: Pick<Summary, 'metrics' | 'series'>, io: { readonly cpuPercent: number; readonly workers: number; readonly alsoSaturated?: boolean }): GeneratorHealth {
  const lag = s.metrics[LOOP_LAG_METRIC];
  const loopLagP99Ms = lag?.type === 'trend' ? lag.p99 : 0;
  const loopLagMaxMs = lag?.type === 'trend' ? lag.max : 0;
  const queueing = computeQueueing(s.series);
  const saturated = (io.alsoSaturated ?? false) || loopLagP99Ms > SATURATED_LOOP_LAG_P99_MS || io.cpuPercent / io.workers > SATURATED_CPU_PERCENT || isQueueingSaturated(queueing);
  return { loopLagP99Ms, loopLagMaxMs, cpuPercent: io.cpuPercent, saturated, workers: io.workers, queueing };
}
