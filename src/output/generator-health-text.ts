import type { GeneratorQueueing, QueueingWindow } from '../core/generator-queueing.js';
import type { GeneratorHealth } from '../core/summary.js';
import { formatDurationMs } from '../core/units.js';

/** Windows named one by one (the worst ones); the rest are counted. */
const SHOWN_WINDOWS = 3;

/** `between +12 s and +14 s the generator was busy for up to 48ms` */
export function formatQueueingWindow(w: QueueingWindow): string {
  return `between +${w.fromSec} s and +${w.toSec} s the generator was busy for up to ${formatDurationMs(w.maxLagMs)}`;
}

/**
 * What console, report and JUnit say about queueing windows, as one
 * sentence, or undefined when there are none (or the summary predates them).
 */
export function formatQueueingNotice(q: GeneratorQueueing | undefined): string | undefined {
  if (!q || q.windows.length === 0) return undefined;
  // The worst windows, in time order: the reader wants to know by how much at most, and when.
  const worst = [...q.windows].sort((a, b) => b.maxLagMs - a.maxLagMs).slice(0, SHOWN_WINDOWS);
  const shown = q.windows
    .filter((w) => worst.includes(w))
    .map(formatQueueingWindow)
    .join('; ');
  const more =
    q.windows.length > SHOWN_WINDOWS
      ? `; and ${q.windows.length - SHOWN_WINDOWS} more window${q.windows.length - SHOWN_WINDOWS === 1 ? '' : 's'}`
      : '';
  const share = `${q.seconds} s in all, ${formatShare(q.sampleShare)} of the latency samples`;
  return `${shown}${more}: latencies recorded then may be over-reported by up to that much (event-loop lag over ${q.boundMs} ms; ${share})`;
}

function formatShare(share: number): string {
  const pct = share * 100;
  return `${pct >= 10 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/**
 * The figures behind a saturated generator, for the line that says so:
 * `generator.loop_lag p99 34.9ms, CPU 37%, 12% of the latency samples timed while queueing`.
 */
export function formatSaturationFigures(g: GeneratorHealth): string {
  const q =
    g.queueing && g.queueing.seconds > 0
      ? `, ${formatShare(g.queueing.sampleShare)} of the latency samples timed while queueing`
      : '';
  return `generator.loop_lag p99 ${formatDurationMs(g.loopLagP99Ms)}, CPU ${g.cpuPercent}%${q}`;
}
