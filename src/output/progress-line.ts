import type { SeriesPoint } from '../core/metric-registry.js';
import { formatDurationMs } from '../core/units.js';

/** What a progress line shows. */
export interface ProgressState {
  readonly elapsedMs: number;
  readonly plannedMs: number;
  /** A graceful stop is under way (Ctrl-C once, or a threshold with abortOnFail failed). */
  readonly stopping: boolean;
  readonly usersByCohort: Readonly<Record<string, number>>;
  readonly last: SeriesPoint | undefined;
  readonly runTotalP95Ms: number | undefined;
  readonly errors: number;
  readonly violations: number;
}

/**
 * One line of live progress: elapsed and time left, users per cohort, runs/s,
 * p95 run.total, errors, violations. Once the plan is over (users finishing
 * what is in flight within gracefulStop) or a graceful stop was asked for, it
 * says "stopping" instead of a time left, which would otherwise go negative.
 */
export function formatProgressLine(p: ProgressState): string {
  const remainingMs = p.plannedMs - p.elapsedMs;
  const when = p.stopping || remainingMs <= 0 ? 'stopping' : `${formatClock(remainingMs, true)} left`;
  const users = Object.entries(p.usersByCohort)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const runsPerSec = p.last?.counters['runs.completed'] ?? 0;
  const p95 = p.runTotalP95Ms === undefined ? '-' : formatDurationMs(p.runTotalP95Ms);
  return `[${formatClock(p.elapsedMs, false)}, ${when}] users ${users || '0'} | runs/s ${runsPerSec} | p95 run.total ${p95} | errors ${p.errors} | violations ${p.violations}`;
}

/** Whole seconds as `7s` or `2m05s`; time left is rounded up so it reads 1s, not 0s, until the end. */
function formatClock(ms: number, roundUp: boolean): string {
  const totalS = Math.max(0, roundUp ? Math.ceil(ms / 1000) : Math.floor(ms / 1000));
  return totalS < 60 ? `${totalS}s` : `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
}
