import type { SeriesPoint } from '../core/metric-registry.js';
import { formatDurationMs } from '../core/units.js';

/** What a progress line shows. */
export interface ProgressState {
  readonly elapsedMs: number;
  readonly plannedMs: number;
  readonly usersByCohort: Readonly<Record<string, number>>;
  readonly last: SeriesPoint | undefined;
  readonly runTotalP95Ms: number | undefined;
  readonly errors: number;
  readonly violations: number;
}

/** One line of live progress: elapsed/remaining, users per cohort, runs/s, p95 run.total, errors, violations. */
export function formatProgressLine(p: ProgressState): string {
  const remaining = Math.max(0, p.plannedMs - p.elapsedMs);
  const users = Object.entries(p.usersByCohort).map(([k, v]) => `${k}=${v}`).join(' ');
  const runsPerSec = p.last?.counters['runs.completed'] ?? 0;
  const p95 = p.runTotalP95Ms === undefined ? '-' : formatDurationMs(p.runTotalP95Ms);
  return `[${formatDurationMs(p.elapsedMs)} / -${formatDurationMs(remaining)}] users ${users || '0'} | runs/s ${runsPerSec} | p95 run.total ${p95} | errors ${p.errors} | violations ${p.violations}`;
}
