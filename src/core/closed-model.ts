import type { ClosedModel } from './scenario-types.js';

/** One slot (one simulated user) is active from `startMs` until `stopMs`, relative to the cohort start. */
export interface SlotInterval {
  readonly slot: number;
  readonly startMs: number;
  readonly stopMs: number;
}

/** What a closed model asks of the scheduler. */
export interface ClosedPlan {
  /** Sorted by start time. A slot may appear more than once when stages ramp down and up again. */
  readonly intervals: readonly SlotInterval[];
  readonly durationMs: number;
  readonly maxUsers: number;
}

/**
 * Computes when each user slot is active under ramping stages (as k6's
 * ramping-vus): the target count moves linearly from the previous stage's
 * users to this stage's, and slot `i` is active while the target exceeds `i`.
 * Ramping down stops the highest slots first.
 */
export function computeClosedPlan(model: ClosedModel): ClosedPlan {
  const intervals: SlotInterval[] = [];
  const activeSince = new Map<number, number>();
  for (let i = 0; i < model.startUsers; i++) activeSince.set(i, 0);
  let t0 = 0;
  let from = model.startUsers;
  let maxUsers = model.startUsers;
  const stop = (slot: number, atMs: number): void => {
    intervals.push({ slot, startMs: activeSince.get(slot)!, stopMs: Math.round(atMs) });
    activeSince.delete(slot);
  };
  for (const stage of model.stages) {
    const to = stage.users;
    const d = stage.durationMs;
    if (to > from) {
      for (let i = from; i < to; i++)
        activeSince.set(i, Math.round(d === 0 ? t0 : t0 + (d * (i - from)) / (to - from)));
    } else if (to < from) {
      for (let i = from - 1; i >= to; i--) stop(i, d === 0 ? t0 : t0 + (d * (from - i)) / (from - to));
    }
    maxUsers = Math.max(maxUsers, to);
    from = to;
    t0 += d;
  }
  for (const slot of [...activeSince.keys()]) stop(slot, t0);
  intervals.sort((a, b) => a.startMs - b.startMs || a.slot - b.slot);
  return { intervals, durationMs: t0, maxUsers };
}

/** The target number of users at `tMs` after the cohort start (the linear ramp, unrounded). */
export function computeTargetUsersAt(model: ClosedModel, tMs: number): number {
  let t0 = 0;
  let from = model.startUsers;
  for (const s of model.stages) {
    if (tMs < t0 + s.durationMs) return from + ((s.users - from) * (tMs - t0)) / s.durationMs;
    t0 += s.durationMs;
    from = s.users;
  }
  return tMs <= t0 ? from : 0;
}
