/**
 * One simulated user: who it is, its iterations (stop, abort, the pauses
 * between), the services its helpers use (REST calls as this user, errors,
 * the open model's intended start) and the tracker's hooks. What its flow's
 * steps do is flow-steps.ts; its template values and canaries flow-values.ts.
 */
import type { RunHooks, RunRecord } from '../core/run-record.js';
import { RunTracker } from '../core/run-tracker.js';
import type { Receiver } from '../core/isolation-types.js';
import { formatMessageId } from '../core/ownership-ledger.js';
import type { Cohort } from '../core/scenario-types.js';
import type { Connection } from '../protocol/connection.js';
import { TokenError } from '../protocol/token-provider.js';
import { FlowSteps, type FlowStepsOwner } from './flow-steps.js';
import { FlowValues } from './flow-values.js';
import { RestSteps, type RestStepsOwner } from './rest-steps.js';
import { RunStreams } from './run-streams.js';
import type { CohortMetrics } from './cohort-metrics.js';
import type { RunContext } from './run-context.js';
import { UserConnections, type ConnectionsOwner } from './user-connections.js';
import type { RenderedRequest } from '../core/compiled-wire.js';
import type { RestResult } from '../protocol/rest-client.js';

const nowUs = (): number => Math.round(performance.now() * 1000);
/** How long after a run's terminal event its completeness is judged (late, reordered events may still come). */
const JUDGE_GRACE_US = 500_000;
/** How long a user that is done waits for the streams of its ended runs to end as the server ends them. */
const STREAM_DRAIN_MS = 1000;

/** A sleeping user's timer (one function for all users, not a closure each). */
function wakeUser(vu: VirtualUser): void {
  vu.wake();
}

/**
 * One simulated user: runs its cohort's flow (through FlowSteps), holds its
 * connections, its template values and current thread, and its runs.
 * Failures are recorded as errors with a kind and the flow goes on; nothing
 * here throws to the scheduler.
 */
export class VirtualUser implements ConnectionsOwner, RunHooks, RestStepsOwner, FlowStepsOwner {
  readonly tracker: RunTracker;
  /** Its tabs, and the per-frame path. */
  private readonly conns: UserConnections;
  /** The REST steps, through the adapter's routes. */
  private readonly restSteps: RestSteps;
  /** Run streams in flight (transports whose runs answer with their own stream). */
  private readonly streams: RunStreams;
  /** Template values, the current thread, canaries. */
  private readonly flowValues: FlowValues;
  /** What each step of the flow does. */
  private readonly steps: FlowSteps;
  private messageSeq = 0;
  private iterationErrors = 0;
  /** The current iteration skipped steps because the user was told to stop. */
  private iterationCut = false;
  private stopping = false;
  private aborted = false;
  private sleepTimer: NodeJS.Timeout | undefined;
  private sleepResolve: (() => void) | undefined;
  /** Made with the first REST call: most idle users never need one. */
  private abortController: AbortController | undefined;
  /** When set, the next timed operation is measured from here (open model: the intended arrival). */
  private intendedStartUs: number | undefined;

  /** This user's index in the ownership ledger (encoded in its canaries). */
  readonly userIndex: number;
  /** The receiver for REST answers; each connection has its own. */
  private readonly restRx: Receiver;
  readonly cohortName: string;

  constructor(
    readonly ctx: RunContext,
    private readonly cohort: Cohort,
    readonly metrics: CohortMetrics,
    readonly userId: string,
    userNum: number,
  ) {
    this.userIndex = userNum;
    this.cohortName = cohort.name;
    ctx.ledger.registerUser(userId, userNum);
    this.restRx = { userId, userIndex: this.userIndex, cohort: cohort.name };
    this.tracker = new RunTracker(metrics, this, ctx.lifecycleGrammar);
    this.conns = new UserConnections(this);
    this.streams = new RunStreams(this, this.conns);
    this.restSteps = new RestSteps(this);
    this.flowValues = new FlowValues(ctx, userId, cohort.name, userNum);
    this.steps = new FlowSteps(this, cohort, this.conns, this.restSteps, this.streams, this.flowValues);
  }

  /** RunHooks: a run got no terminal event in time. */
  onTimedOut(rec: RunRecord): void {
    this.streams.cut(rec);
    this.ctx.lifecycle.timedOut(this.restRx, rec.messageId, Date.now(), `no terminal event within the run's timeout`);
    this.ctx.noteError(
      this.cohort.name,
      'timeout',
      `no ${rec.awaitType === 'none' ? 'terminal event' : rec.awaitType} within ${(rec.deadlineUs - rec.sentAtUs) / 1000}ms`,
    );
  }

  /** RunHooks: this user's first completed run (coverage counts users that completed one). */
  onFirstCompleted(): void {
    const set = this.ctx.usersWithRun;
    if (set.has(this.userIndex)) return;
    set.add(this.userIndex);
    this.metrics.usersWithRun.add();
  }

  /** RunHooks: an `error` frame or `agent_error` answered a run. */
  onFailed(_rec: RunRecord, code: string): void {
    this.ctx.noteError(this.cohort.name, 'run_error', `run answered ${code}`);
  }

  /** RunHooks: judges what each connection saw of an ended run. */
  onJudge(rec: RunRecord): void {
    for (let i = 0; i < rec.lc.length; i++) {
      const st = rec.lc[i];
      if (st) this.ctx.lifecycle.finalize(st, this.conns.receiverOf(i), rec.messageId, Date.now());
    }
  }

  /** True once this user has sent a message (a user that never did is a sentinel). */
  get hasSent(): boolean {
    return this.messageSeq > 0;
  }

  /** An open connection, for probes that speak as this user. */
  anyOpenSession(): Connection | undefined {
    return this.conns.anyOpen();
  }

  /** True once abort() was called. */
  get isAborted(): boolean {
    return this.aborted;
  }

  /** The receiver of REST answers (probes report as this user). */
  get receiver(): Receiver {
    return this.restRx;
  }

  /** Runs the flow once; `intendedStartUs` (open model) makes a late start visible in latencies. */
  async runIteration(intendedStartUs?: number): Promise<void> {
    if (this.stopping) return;
    const startUs = intendedStartUs ?? nowUs();
    if (intendedStartUs !== undefined) {
      this.intendedStartUs = intendedStartUs;
      this.metrics.startDelay.record(Math.max(0, nowUs() - intendedStartUs));
    }
    this.metrics.iterations.add();
    this.iterationErrors = 0;
    this.iterationCut = false;
    try {
      await this.steps.run(this.cohort.flow);
      await this.tracker.settle();
    } finally {
      await this.closeAll();
      // From the intended start (open model: the arrival, so a stalled generator shows) to the flow's end, as
      // k6's iteration_duration; an iteration cut short by a stop did not run its flow and is not timed.
      if (!this.iterationCut) this.metrics.iterationDuration.record(nowUs() - startUs);
      this.flowValues.endIteration();
    }
  }

  /** True once stop() or abort() was called. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** True when the last iteration recorded a failed operation. */
  get lastIterationFailed(): boolean {
    return this.iterationErrors > 0;
  }

  /** An interruptible pause (between iterations; think and idle steps). */
  pause(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepResolve = resolve;
      this.sleepTimer = setTimeout(wakeUser, ms, this);
    });
  }

  /** Starts no new step; cuts think and idle short. The step in flight may finish. */
  stop(): void {
    this.stopping = true;
    // A think or idle cut short: the iteration did not run its flow as written.
    if (this.sleepResolve) this.iterationCut = true;
    this.wake();
  }

  /** Stops at once: closes connections, cancels requests, gives up on open runs. */
  abort(): void {
    this.stopping = true;
    this.aborted = true;
    // Whatever was in flight is cancelled: the iteration did not run its flow (and its stop may come in the same turn, after this).
    this.iterationCut = true;
    this.wake();
    this.abortController?.abort();
    this.tracker.abandonAll('interrupted');
    this.conns.terminateAll();
    this.streams.cutAll();
  }

  /** Ends runs past their deadline; called by the run's shared sweeper. */
  sweep(now: number): void {
    this.tracker.expire(now);
    this.tracker.judgeEnded(now, JUDGE_GRACE_US);
  }

  /** Sends a request as this user; undefined (the failure recorded) when no token could be had. */
  async call(req: RenderedRequest): Promise<RestResult | undefined> {
    let token: string;
    try {
      token = await this.ctx.tokens.token(this.userId);
    } catch (err) {
      this.fail(err instanceof TokenError ? err.kind : 'token_failed', (err as Error).message);
      return undefined;
    }
    const res = await this.ctx.rest.call(req.method, req.path, token, req.body, this.signal(), req.headers);
    this.metrics.httpRequests.add();
    return res;
  }

  /** RestStepsOwner: the thread createThread just made is this user's current one. */
  onThreadCreated(id: string): void {
    this.flowValues.setThread(id);
    this.ctx.ledger.claimThread(id, this.userIndex);
  }

  /** FlowStepsOwner: the id of this user's next message (from now on it has sent one). */
  nextMessageId(): string {
    return formatMessageId(this.ctx.runTag, this.userIndex, ++this.messageSeq);
  }

  /** FlowStepsOwner: the current iteration skipped steps because the user was told to stop. */
  cutIteration(): void {
    this.iterationCut = true;
  }

  /** Cancels this user's requests on abort. */
  signal(): AbortSignal {
    if (!this.abortController) {
      this.abortController = new AbortController();
      if (this.aborted) this.abortController.abort();
    }
    return this.abortController.signal;
  }

  /** The intended start of the next timed operation (open model), once. */
  takeStart(): number | undefined {
    const s = this.intendedStartUs;
    this.intendedStartUs = undefined;
    return s;
  }

  /** Records a failed operation of the current iteration. */
  fail(kind: string, detail: string): void {
    this.iterationErrors++;
    this.metrics.error(kind).add();
    this.ctx.noteError(this.cohort.name, kind, detail);
  }

  /** Ends a think or idle at once (or when its timer fires). */
  wake(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    const r = this.sleepResolve;
    this.sleepResolve = undefined;
    r?.();
  }

  /** Judges ended runs, drains run streams and closes the tabs. */
  async closeAll(): Promise<void> {
    this.tracker.judgeEnded(nowUs());
    await Promise.all([this.streams.drain(STREAM_DRAIN_MS), this.conns.closeAll()]);
  }
}
