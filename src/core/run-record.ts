// One agent run as a user's RunTracker keeps it, and who hears of it: the
// record a sent message opens, how the run ended, what a step waiting on it
// learns, the metric handles its events record into and the hooks told when
// it ends.
import type { ConnLifecycle } from './lifecycle-oracle.js';
import type { Counter, Trend } from './metric-registry.js';

/** How a run ended, as far as the simulated user could tell. */
export type RunOutcome = 'completed' | 'failed' | 'stopped' | 'timed_out' | 'interrupted';

/** What a step waiting on a run learns. */
export interface RunWaitResult {
  readonly outcome: RunOutcome | 'awaited';
  /** The error code of an `error` frame or `agent_error`, when it failed. */
  readonly code?: string;
}

/** What waiters of a run learn when it reaches its awaited event (made once, shared by every run). */
export const AWAITED: RunWaitResult = Object.freeze({ outcome: 'awaited' });
/** What waiters of a run that ended with no error code learn (made once: one per run adds up). */
export const ENDED: Readonly<Record<RunOutcome, RunWaitResult>> = Object.freeze({
  completed: Object.freeze({ outcome: 'completed' }),
  failed: Object.freeze({ outcome: 'failed' }),
  stopped: Object.freeze({ outcome: 'stopped' }),
  timed_out: Object.freeze({ outcome: 'timed_out' }),
  interrupted: Object.freeze({ outcome: 'interrupted' }),
});

/** One agent run the simulated user started by sending a message. */
export interface RunRecord {
  readonly messageId: string;
  readonly threadId: string;
  readonly originConn: number;
  readonly sentAtUs: number;
  readonly deadlineUs: number;
  readonly awaitType: string;
  /** The awaited event's bit; 0 for `none`. */
  readonly awaitBit: number;
  runId: string | undefined;
  /** The run id was claimed in the ownership ledger (once per run, not once per frame). */
  runClaimed: boolean;
  /** The thread id the isolation oracle found to be this user's, on an earlier frame of this run. */
  verifiedThread: string | undefined;
  /** Likewise the run id. */
  verifiedRun: string | undefined;
  /** Canonical event types seen so far, as bits (first arrival on any connection counts). */
  seen: number;
  lastEventUs: number;
  /** When its last content delta came; 0 before the first. */
  lastContentUs: number;
  /** When it ended (its last event, or when it was given up); 0 while open. */
  endedAtUs: number;
  maxGapUs: number;
  outcome: RunOutcome | undefined;
  /** The error code a failed run ended with. */
  code: string | undefined;
  waiter: ((r: RunWaitResult) => void) | undefined;
  endWaiter: ((r: RunWaitResult) => void) | undefined;
  /** Lifecycle state per connection index (each tab sees the whole run). */
  readonly lc: Array<ConnLifecycle | undefined>;
}

/**
 * The record of a run a message just opened: nothing seen yet, its deadline
 * `deadlineUs`, and `awaitBit` the awaited event's bit (0 for `none`).
 */
export function buildRunRecord(
  messageId: string,
  threadId: string,
  originConn: number,
  sentAtUs: number,
  deadlineUs: number,
  awaitType: string,
  awaitBit: number,
): RunRecord {
  return {
    messageId,
    threadId,
    originConn,
    sentAtUs,
    deadlineUs,
    awaitType,
    awaitBit,
    runId: undefined,
    runClaimed: false,
    verifiedThread: undefined,
    verifiedRun: undefined,
    seen: 0,
    lastEventUs: sentAtUs,
    lastContentUs: 0,
    endedAtUs: 0,
    maxGapUs: 0,
    outcome: undefined,
    code: undefined,
    waiter: undefined,
    endWaiter: undefined,
    // Sized for one tab, the usual case (an empty literal would reserve room for 16).
    lc: [undefined],
  };
}

/** Metric handles a tracker records into (looked up once per user). */
export interface RunMetrics {
  /** `run.<event>` by position in RUN_EVENTS (undefined for -1). */
  eventTrend(event: number): Trend | undefined;
  readonly total: Trend;
  readonly gap: Trend;
  /** Send to the run's first event, whatever its role. */
  readonly firstEvent: Trend;
  /** Send to the first content delta (time to first token). */
  readonly firstContent: Trend;
  /** Between consecutive content deltas. */
  readonly contentGap: Trend;
  /** Content deltas received (first arrival per run counts each one). */
  readonly contentDeltas: Counter;
  readonly started: Counter;
  readonly completed: Counter;
  readonly failed: Counter;
  readonly timedOut: Counter;
  readonly interrupted: Counter;
  error(kind: string): Counter;
  /** Counts a success of an operation (a run that completed or was stopped is a `send_message` that succeeded). */
  succeed(op: 'send_message'): void;
}

/** Who hears about a user's runs ending (an object, not closures: one per user adds up). */
export interface RunHooks {
  /** A run passed its deadline with no terminal event. */
  onTimedOut(rec: RunRecord): void;
  /** A run ended a grace period ago: its lifecycle can be judged. */
  onJudge(rec: RunRecord): void;
  /** An `error` frame or `agent_error` ended a run, with `code`. */
  onFailed(rec: RunRecord, code: string): void;
  /** The first of this tracker's runs completed. */
  onFirstCompleted(): void;
}
