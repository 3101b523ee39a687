// A simulated user's RunTracker: which of its agent runs a frame belongs to,
// the latencies and counts each run's events record, how runs end (terminal
// event, error frame, deadline, abandonment) and who waits on them. The
// per-frame path (correlate, onEvent) lives here; the run record and what the
// tracker reports into are in run-record.ts, finding runs by id and keeping
// ended ones in run-lookup.ts.
import { computeRunEventIndex, EVENT } from './metric-names.js';
import { DEFAULT_LIFECYCLE_GRAMMAR, ROLE, type LifecycleGrammar } from './lifecycle-grammar.js';
import {
  AWAITED,
  buildRunRecord,
  ENDED,
  type RunHooks,
  type RunMetrics,
  type RunOutcome,
  type RunRecord,
  type RunWaitResult,
} from './run-record.js';
import { findRunByMessage, findRunByRun, INDEXED_FROM, keepEndedRun } from './run-lookup.js';

/** A run event's bit (its position in RUN_EVENTS), so a run's seen set is one number; other types share OTHER_BIT. */
const bitOf = (event: number): number => (event >= 0 ? 1 << event : OTHER_BIT);
const OTHER_BIT = 1 << 30;

/**
 * The runs of one simulated user. An event is correlated to the message that
 * started its run by `message_id`, else by a `run_id` learned earlier, else by
 * thread (the oldest open run there), else as the connection's only open run.
 * Latencies are measured from the send to the first arrival of each event
 * type, so a user with two tabs is timed by whichever tab saw it first.
 */
export class RunTracker {
  /**
   * Runs not yet ended, oldest first. A user mostly has one run open, so a
   * frame finds its run by comparing ids along this list (and, for late
   * frames, along the kept ended runs): no table to hash fresh strings into, grow and
   * shrink once per run.
   */
  private readonly open: RunRecord[] = [];
  /** Open and kept ended runs by message id and by run id, only while more than INDEXED_FROM runs are open at once. */
  private byMessage: Map<string, RunRecord> | undefined;
  private byRun: Map<string, RunRecord> | undefined;
  private settleWaiters: Array<() => void> = [];
  /** Ended runs whose lifecycle is not judged yet, oldest first (each ended at its `endedAtUs`). */
  private readonly unjudged: RunRecord[] = [];
  /** Runs that completed and are still findable by message and run id, oldest first. */
  private readonly completed: RunRecord[] = [];
  /** Runs that ended otherwise (timed out, failed, stopped, interrupted), still findable, oldest first. */
  private readonly ended: RunRecord[] = [];
  private completedAny = false;

  /** The grammar's end events as bits, and each event's role: which events end a run, and how. */
  private readonly endMask: number;
  private readonly roleOf: readonly number[];

  constructor(
    private readonly metrics: RunMetrics,
    private readonly hooks?: RunHooks,
    grammar: LifecycleGrammar = DEFAULT_LIFECYCLE_GRAMMAR,
  ) {
    this.endMask = grammar.endMask;
    this.roleOf = grammar.roleOf;
  }

  /** Hands ended runs older than `graceUs` (all when omitted) to the lifecycle judge. */
  judgeEnded(nowUs: number, graceUs = 0): void {
    while (this.unjudged.length && (graceUs === 0 || nowUs - this.unjudged[0]!.endedAtUs >= graceUs))
      this.hooks?.onJudge(this.unjudged.shift()!);
  }

  /**
   * Forgets an ended run that needs no judging any more (every connection's
   * lifecycle was judged as its terminal event arrived) instead of holding it
   * through the grace period: held, every run of the last half second
   * outlives the nursery. Only the latest ended run is looked at.
   */
  releaseJudged(rec: RunRecord): void {
    const q = this.unjudged;
    if (q[q.length - 1] !== rec) return;
    for (const st of rec.lc) if (st && !st.finalized) return;
    q.pop();
  }

  /** Runs not yet ended. */
  get openCount(): number {
    return this.open.length;
  }

  /** The most recently started run (for `stopAgent`). */
  last: RunRecord | undefined;

  /** Registers a message just sent; its run is now expected. */
  start(
    messageId: string,
    threadId: string,
    originConn: number,
    sentAtUs: number,
    awaitType: string,
    timeoutMs: number,
  ): RunRecord {
    const awaited = computeRunEventIndex(awaitType);
    const rec = buildRunRecord(
      messageId,
      threadId,
      originConn,
      sentAtUs,
      sentAtUs + timeoutMs * 1000,
      awaitType,
      awaited >= 0 ? bitOf(awaited) : 0,
    );
    this.open.push(rec);
    if (this.byMessage) this.byMessage.set(messageId, rec);
    else if (this.open.length > INDEXED_FROM) this.buildIndex();
    this.last = rec;
    this.metrics.started.add();
    return rec;
  }

  /**
   * Finds the run a frame belongs to; undefined when it is none of this
   * user's. `own` is the run whose stream the frame came on (SSE): a frame
   * there that names no other run is that run's.
   */
  correlate(
    messageId: string | undefined,
    runId: string | undefined,
    threadId: string | undefined,
    conn: number,
    own?: RunRecord,
  ): RunRecord | undefined {
    const open = this.open;
    let rec =
      messageId !== undefined
        ? findRunByMessage(this.byMessage, open, this.completed, this.ended, messageId)
        : undefined;
    if (!rec && runId !== undefined) rec = findRunByRun(this.byRun, open, this.completed, this.ended, runId);
    if (
      !rec &&
      own &&
      messageId === undefined &&
      (runId === undefined || own.runId === undefined || own.runId === runId)
    )
      rec = own;
    if (!rec && threadId !== undefined) {
      for (let i = 0; i < open.length; i++)
        if (open[i]!.threadId === threadId) {
          rec = open[i];
          break;
        }
    }
    if (!rec && messageId === undefined && runId === undefined && threadId === undefined) {
      let only: RunRecord | undefined;
      for (let i = 0; i < open.length; i++) {
        if (open[i]!.originConn !== conn) continue;
        if (only) return undefined;
        only = open[i];
      }
      rec = only;
    }
    if (rec && runId !== undefined && rec.runId === undefined) {
      rec.runId = runId;
      this.byRun?.set(runId, rec);
    }
    return rec;
  }

  /** Indexes open and kept runs: a user with many runs in flight would otherwise compare ids along a long list per frame. */
  private buildIndex(): void {
    const byMessage = new Map<string, RunRecord>();
    const byRun = new Map<string, RunRecord>();
    for (const list of [this.ended, this.completed, this.open]) {
      for (const r of list) {
        byMessage.set(r.messageId, r);
        if (r.runId !== undefined) byRun.set(r.runId, r);
      }
    }
    this.byMessage = byMessage;
    this.byRun = byRun;
  }

  /** Records an event of the run that arrived at `nowUs`: `event` is its position in RUN_EVENTS (-1 for another type). */
  onEvent(rec: RunRecord, event: number, nowUs: number): void {
    if (rec.outcome !== undefined) return;
    const gap = nowUs - rec.lastEventUs;
    if (rec.seen !== 0 && gap > rec.maxGapUs) rec.maxGapUs = gap;
    rec.lastEventUs = nowUs;
    const bit = bitOf(event);
    const firstOfType = (rec.seen & bit) === 0;
    const before = rec.seen;
    rec.seen |= bit;
    if (before === 0) this.metrics.firstEvent.record(nowUs - rec.sentAtUs);
    if (firstOfType) this.metrics.eventTrend(event)?.record(nowUs - rec.sentAtUs);
    if (event === EVENT.content_delta) {
      this.metrics.contentDeltas.add();
      if (rec.lastContentUs === 0) this.metrics.firstContent.record(nowUs - rec.sentAtUs);
      else this.metrics.contentGap.record(nowUs - rec.lastContentUs);
      rec.lastContentUs = nowUs;
    }
    if ((bit & this.endMask) !== 0) {
      // Judged a grace period after it ended (end() sets endedAtUs to this event's time).
      if (this.hooks) this.unjudged.push(rec);
      this.metrics.total.record(nowUs - rec.sentAtUs);
      if (before !== 0) this.metrics.gap.record(rec.maxGapUs);
      const role = this.roleOf[event];
      if (role === ROLE.completed) this.end(rec, 'completed');
      else if (role === ROLE.stopped) this.end(rec, 'stopped');
      else {
        this.metrics.error('agent_error').add();
        this.end(rec, 'failed', 'agent_error');
      }
    } else if (bit === rec.awaitBit && rec.waiter) {
      const w = rec.waiter;
      rec.waiter = undefined;
      w(AWAITED);
    }
  }

  /** The run's id, learned from the answer that started it. */
  learnRunId(rec: RunRecord, runId: string): void {
    if (rec.runId !== undefined) return;
    rec.runId = runId;
    this.byRun?.set(runId, rec);
  }

  /** An `error` frame answered the message (e.g. THREAD_NOT_FOUND). */
  onErrorFrame(rec: RunRecord, code: string): void {
    if (rec.outcome !== undefined) return;
    this.metrics.error('run_error').add();
    this.end(rec, 'failed', code);
  }

  /** Ends every run whose deadline passed; returns how many timed out. */
  expire(nowUs: number): number {
    let n = 0;
    const open = this.open;
    for (let i = 0; i < open.length;) {
      const r = open[i]!;
      if (r.deadlineUs > nowUs) {
        i++;
        continue;
      }
      // end() takes it out of `open`: the next run is now at i.
      this.metrics.error('timeout').add();
      this.end(r, 'timed_out', undefined, nowUs);
      this.hooks?.onTimedOut(r);
      n++;
    }
    return n;
  }

  /** Gives up on every open run (the user stops, or its connections are gone). */
  abandonAll(outcome: 'interrupted' | 'failed', kind?: string): void {
    for (const r of [...this.open]) {
      if (kind) this.metrics.error(kind).add();
      this.end(r, outcome);
    }
  }

  /** Resolves when the run reaches its awaited event or ends. */
  wait(rec: RunRecord): Promise<RunWaitResult> {
    if (rec.outcome !== undefined)
      return Promise.resolve({ outcome: rec.outcome, ...(rec.code ? { code: rec.code } : {}) });
    if ((rec.seen & rec.awaitBit) !== 0) return Promise.resolve(AWAITED);
    return new Promise((resolve) => {
      rec.waiter = resolve;
    });
  }

  /** Calls `fn` for every run still open (e.g. to reset per-connection state after a reconnect). */
  forEachOpen(fn: (rec: RunRecord) => void): void {
    for (const r of this.open) fn(r);
  }

  /** Resolves when the run ends, whatever it awaited. */
  waitEnd(rec: RunRecord): Promise<RunWaitResult> {
    if (rec.outcome !== undefined)
      return Promise.resolve({ outcome: rec.outcome, ...(rec.code ? { code: rec.code } : {}) });
    return new Promise((resolve) => {
      rec.endWaiter = resolve;
    });
  }

  /** Resolves when every open run has ended (each is bounded by its own deadline). */
  settle(): Promise<void> {
    if (this.open.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.settleWaiters.push(resolve);
    });
  }

  private end(rec: RunRecord, outcome: RunOutcome, code?: string, atUs = rec.lastEventUs): void {
    rec.outcome = outcome;
    rec.code = code;
    rec.endedAtUs = atUs;
    const open = this.open;
    // Mostly the only or the oldest run.
    const at = open[0] === rec ? 0 : open.indexOf(rec);
    if (at === 0) open.shift();
    else if (at > 0) open.splice(at, 1);
    keepEndedRun(this.completed, this.ended, rec, atUs, this.byMessage, this.byRun);
    // The burst is over: back to comparing along the lists.
    if (this.byMessage && open.length === 0) this.byMessage = this.byRun = undefined;
    switch (outcome) {
      case 'completed':
        if (!this.completedAny) {
          this.completedAny = true;
          this.hooks?.onFirstCompleted();
        }
        this.metrics.completed.add();
        this.metrics.succeed('send_message');
        break;
      case 'stopped':
        this.metrics.completed.add();
        this.metrics.succeed('send_message');
        break;
      case 'failed':
        this.metrics.failed.add();
        break;
      case 'timed_out':
        this.metrics.timedOut.add();
        break;
      default:
        this.metrics.interrupted.add();
        break;
    }
    if (code !== undefined) this.hooks?.onFailed(rec, code);
    const w = rec.waiter;
    rec.waiter = undefined;
    const result = code ? { outcome, code } : ENDED[outcome];
    w?.(result);
    const ew = rec.endWaiter;
    rec.endWaiter = undefined;
    ew?.(result);
    if (open.length === 0 && this.settleWaiters.length) {
      const ws = this.settleWaiters;
      this.settleWaiters = [];
      for (const f of ws) f();
    }
  }
}
