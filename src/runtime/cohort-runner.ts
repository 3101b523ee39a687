import { computeClosedPlan, type SlotInterval } from '../core/closed-model.js';
import { computeOpenDurationMs, createArrivalCursor } from '../core/open-model.js';
import type { Cohort, ClosedModel, OpenModel } from '../core/scenario-types.js';
import { computeSegmentOfCap, ownsNumber, type Segment } from '../core/segment.js';
import type { CohortMetrics } from './cohort-metrics.js';
import { DueTimers } from './due-timers.js';
import type { RunContext } from './run-context.js';
import { VirtualUser } from './virtual-user.js';

/** A cohort in progress. */
export interface CohortRun {
  /** Resolves when every user of the cohort has finished. */
  readonly done: Promise<void>;
  /** Users running now. */
  readonly active: ReadonlySet<VirtualUser>;
  /** Ends the cohort early: no new users; running ones stop gracefully within `graceMs`. */
  stop(graceMs: number): void;
}

/** What the scheduler needs besides the cohort. */
export interface CohortDeps {
  readonly ctx: RunContext;
  readonly metrics: CohortMetrics;
  /** Every running user of the whole run, for the deadline sweeper. */
  readonly allUsers: Set<VirtualUser>;
  /** Id and global number of the cohort's n-th user. */
  readonly user: (n: number) => { readonly id: string; readonly num: number };
  /** Which users and arrivals are this process's (segments, workers). */
  readonly segment: Segment;
  /** performance.now() (ms) of the run's start. */
  readonly runStartMs: number;
}

const BACKOFF_MS = 250;

/** Starts a cohort under its model; returns at once. */
export function runCohort(cohort: Cohort, deps: CohortDeps): CohortRun {
  return cohort.model.kind === 'closed' ? runClosed(cohort, cohort.model, deps) : runOpen(cohort, cohort.model, deps);
}

function delayUntil(atMs: number): number {
  return Math.max(0, atMs - performance.now());
}

function runClosed(cohort: Cohort, model: ClosedModel, deps: CohortDeps): CohortRun {
  const whole = computeClosedPlan(model);
  // Sorted by start time (computeClosedPlan's order), so one cursor timer starts them all.
  const intervals = whole.intervals.filter((iv) => ownsNumber(deps.segment, iv.slot));
  const startMs = deps.runStartMs + cohort.startAfterMs;
  const active = new Set<VirtualUser>();
  const stops = new DueTimers<VirtualUser>((vu) => vu.stop());
  const aborts = new DueTimers<VirtualUser>((vu) => vu.abort());
  let next = 0;
  let startTimer: NodeJS.Timeout | undefined;
  let pending = intervals.length;
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const finishOne = (): void => {
    if (--pending === 0) resolveDone();
  };
  if (pending === 0) resolveDone();

  const runSlot = async (iv: SlotInterval): Promise<void> => {
    const u = deps.user(iv.slot);
    const vu = new VirtualUser(deps.ctx, cohort, deps.metrics, u.id, u.num);
    active.add(vu);
    deps.allUsers.add(vu);
    const graceMs = iv.stopMs >= whole.durationMs ? cohort.gracefulStopMs : model.gracefulRampDownMs;
    const stopAt = startMs + iv.stopMs;
    const abortAt = stopAt + graceMs;
    stops.add(stopAt, vu);
    aborts.add(abortAt, vu);
    try {
      while (!vu.isStopping) {
        const began = performance.now();
        await vu.runIteration();
        // A flow that fails at once (target down) must not spin the CPU.
        if (vu.lastIterationFailed && performance.now() - began < BACKOFF_MS) await vu.pause(BACKOFF_MS);
      }
    } finally {
      stops.delete(stopAt, vu);
      aborts.delete(abortAt, vu);
      active.delete(vu);
      deps.allUsers.delete(vu);
      finishOne();
    }
  };

  // Starts every slot that is due (a timer may fire a fraction of a millisecond early), then waits for the next.
  const startDue = (): void => {
    startTimer = undefined;
    if (stopped) return;
    const now = performance.now() + 1;
    while (next < intervals.length && startMs + intervals[next]!.startMs <= now) void runSlot(intervals[next++]!);
    if (next < intervals.length) startTimer = setTimeout(startDue, delayUntil(startMs + intervals[next]!.startMs));
  };
  startDue();

  return {
    done,
    active,
    stop(graceMs) {
      if (stopped) return;
      stopped = true;
      if (startTimer) clearTimeout(startTimer);
      stops.clear();
      aborts.clear();
      // Slots not yet started never will: count them off.
      for (let i = next; i < intervals.length; i++) finishOne();
      for (const vu of active) vu.stop();
      if (active.size > 0)
        setTimeout(() => {
          for (const vu of active) vu.abort();
        }, graceMs).unref();
    },
  };
}

function runOpen(cohort: Cohort, model: OpenModel, deps: CohortDeps): CohortRun {
  const startMs = deps.runStartMs + cohort.startAfterMs;
  const endMs = startMs + computeOpenDurationMs(model);
  const cursor = createArrivalCursor(model);
  const active = new Set<VirtualUser>();
  // This segment's part of the cap; the parts of all segments add up to maxUsers.
  const maxUsers = computeSegmentOfCap(deps.segment, model.maxUsers);
  let arrivals = 0;
  let arrivalsDone = false;
  let stopped = false;
  let nextTimer: NodeJS.Timeout | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const checkDone = (): void => {
    if (arrivalsDone && active.size === 0) resolveDone();
  };

  const arrive = (atMs: number): void => {
    nextTimer = undefined;
    if (stopped) return;
    // An arrival whose timer fires after the stages ended (a stalled generator) cannot be made in time.
    if (active.size >= maxUsers || performance.now() > endMs) {
      deps.metrics.dropped.add();
    } else {
      const u = deps.user(arrivals);
      const vu = new VirtualUser(deps.ctx, cohort, deps.metrics, u.id, u.num);
      active.add(vu);
      deps.allUsers.add(vu);
      // Latency is measured from the intended arrival, so a stalled generator shows.
      void vu.runIteration(Math.round(atMs * 1000)).finally(() => {
        active.delete(vu);
        deps.allUsers.delete(vu);
        checkDone();
      });
    }
    arrivals++;
    scheduleNext();
  };
  const scheduleNext = (): void => {
    let t = cursor.next();
    // Other shares' arrivals are skipped, keeping the numbering of the whole scenario.
    while (t !== undefined && !ownsNumber(deps.segment, arrivals)) {
      arrivals++;
      t = cursor.next();
    }
    if (t === undefined) {
      arrivalsDone = true;
      checkDone();
      return;
    }
    const atMs = startMs + t;
    nextTimer = setTimeout(arrive, delayUntil(atMs), atMs);
  };
  const endTimer = setTimeout(() => {
    for (const vu of active) vu.stop();
    const abortTimer = setTimeout(() => {
      for (const vu of active) vu.abort();
    }, cohort.gracefulStopMs);
    abortTimer.unref();
  }, delayUntil(endMs));
  scheduleNext();

  return {
    done: done.finally(() => clearTimeout(endTimer)),
    active,
    stop(graceMs) {
      if (stopped) return;
      stopped = true;
      if (nextTimer) clearTimeout(nextTimer);
      clearTimeout(endTimer);
      arrivalsDone = true;
      for (const vu of active) {
        vu.stop();
        const t = setTimeout(() => vu.abort(), graceMs);
        t.unref();
      }
      checkDone();
    },
  };
}
