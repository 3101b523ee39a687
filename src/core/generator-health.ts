import { computeQueueing, isQueueingSaturated, LOOP_LAG_METRIC } from './generator-queueing.js';
import type { GeneratorHealth, Summary } from './summary.js';

/** CPU per worker thread (% of a core) from which the generator counts as saturated. */
const SATURATED_CPU_PERCENT = 90;

/**
 * How the generator fared, from a summary's own figures: the loop lag p99
 * and max are those of its `generator.loop_lag` trend (one figure under one
 * name), queueing windows come from its series. Saturated: a thread at 90% of
 * a core, or queueing windows holding 5% of the latency samples, either of
 * which means the generator cannot time others' answers faithfully. A long
 * stall while nothing is timed (10,000 sockets closed at the end of a stage)
 * raises the lag p99 but times nothing late, so the p99 alone does not make
 * a generator saturated. `alsoSaturated` carries a verdict made elsewhere (a
 * merged segment that was saturated on its own).
 */
export function computeGeneratorHealth(
  s: Pick<Summary, 'metrics' | 'series'>,
  io: { readonly cpuPercent: number; readonly workers: number; readonly alsoSaturated?: boolean },
): GeneratorHealth {
  const lag = s.metrics[LOOP_LAG_METRIC];
  const loopLagP99Ms = lag?.type === 'trend' ? lag.p99 : 0;
  const loopLagMaxMs = lag?.type === 'trend' ? lag.max : 0;
  const queueing = computeQueueing(s.series);
  const saturated =
    (io.alsoSaturated ?? false) || io.cpuPercent / io.workers > SATURATED_CPU_PERCENT || isQueueingSaturated(queueing);
  return { loopLagP99Ms, loopLagMaxMs, cpuPercent: io.cpuPercent, saturated, workers: io.workers, queueing };
}
