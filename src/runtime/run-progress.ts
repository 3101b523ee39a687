// The live progress line of a run over all its shards: each shard's last
// second combined into one line, redrawn every second on a TTY, else printed
// every 10 s.
import { computeClosedPlan } from '../core/closed-model.js';
import { mergeSeriesPoints, type SeriesPoint } from '../core/metric-registry.js';
import { computeOpenDurationMs } from '../core/open-model.js';
import type { Scenario } from '../core/scenario-types.js';
import { formatProgressLine } from '../output/progress-line.js';
import type { ShardHooks } from './run-shard.js';

/** Where live progress goes: on a TTY one line redrawn every second, else a plain line every 10 s. */
export interface ProgressOutput {
  readonly write: (text: string) => void;
  readonly tty: boolean;
}

/** A run's live progress: fed each shard's seconds, cleared from a TTY when the users stop. */
export interface RunProgress {
  readonly tick: NonNullable<ShardHooks['onTick']>;
  clear(): void;
}

/** Longest cohort end (start offset + stages), for progress. */
function computePlannedMs(sc: Scenario): number {
  let max = 0;
  for (const c of sc.cohorts) {
    const d = c.model.kind === 'closed' ? computeClosedPlan(c.model).durationMs : computeOpenDurationMs(c.model);
    max = Math.max(max, c.startAfterMs + d);
  }
  return max;
}

/** Live progress over all shards (`shards` of them): each shard's last second, combined; nothing when `out` is undefined. */
export function createRunProgress(
  sc: Scenario,
  shards: number,
  out: ProgressOutput | undefined,
  when: { startAtEpochMs: number; stopping: () => boolean },
): RunProgress {
  const plannedMs = computePlannedMs(sc);
  // Elapsed counts from when the cohorts start (--start-at may be ahead), not from now.
  const startMs = performance.now() + Math.max(0, when.startAtEpochMs - Date.now());
  const last = new Map<number, { point: SeriesPoint; users: Record<string, number>; p95: number | undefined }>();
  let errors = 0;
  let violations = 0;
  let shown = -1;
  return {
    tick(point, users, p95, shard = 0) {
      if (!out) return;
      last.set(shard, { point, users, p95 });
      errors += point.counters.errors ?? 0;
      violations += point.counters['isolation.violations'] ?? 0;
      const t = point.t;
      // Show a second once the last shard has reported it.
      if (t === shown || last.size < shards || (!out.tty && t % 10 !== 0)) return;
      shown = t;
      const entries = [...last.values()];
      const merged = entries.map((e) => e.point).reduce(mergeSeriesPoints);
      const usersByCohort: Record<string, number> = {};
      for (const e of entries)
        for (const [k, v] of Object.entries(e.users)) usersByCohort[k] = (usersByCohort[k] ?? 0) + v;
      const p95s = entries.map((e) => e.p95).filter((v): v is number => v !== undefined);
      const line = formatProgressLine({
        elapsedMs: performance.now() - startMs,
        plannedMs,
        stopping: when.stopping(),
        usersByCohort,
        last: merged,
        runTotalP95Ms: p95s.length ? Math.max(...p95s) : undefined,
        errors,
        violations,
      });
      out.write(out.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    clear() {
      if (out?.tty) out.write('\r\x1b[2K');
    },
  };
}
