import { randomBetween } from '../core/random.js';
import { RunTracker, type RunHooks, type RunRecord } from '../core/run-tracker.js';
import type { Receiver } from '../core/isolation-types.js';
import { formatMessageId } from '../core/ownership-ledger.js';
import type { Cohort, FlowStep } from '../core/scenario-types.js';
import {
  compileTemplate,
  renderDeep,
  renderTemplate,
  type CompiledTemplate,
  type TemplateValues,
} from '../core/templates.js';
import type { WireValues } from '../core/wire-template.js';
import type { Connection } from '../protocol/connection.js';
import { TokenError } from '../protocol/token-provider.js';
import { RestSteps, type RestOp, type RestStepsOwner } from './rest-steps.js';
import { RunStreams } from './run-streams.js';
import type { CohortMetrics } from './cohort-metrics.js';
import type { RunContext } from './run-context.js';
import { UserConnections, type ConnectionsOwner } from './user-connections.js';
import type { RenderedRequest } from '../core/compiled-wire.js';
import type { RestResult } from '../protocol/rest-client.js';

const nowUs = (): number => Math.round(performance.now() * 1000);
const templateCache = new Map<string, CompiledTemplate>();
/** How long after a run's terminal event its completeness is judged (late, reordered events may still come). */
const JUDGE_GRACE_US = 500_000;
/** How long a user that is done waits for the streams of its ended runs to end as the server ends them. */
const STREAM_DRAIN_MS = 1000;

/** Renders a flow template (compiled once per distinct text). */
function render(text: string, values: TemplateValues): string {
  let t = templateCache.get(text);
  if (!t) {
    const c = compileTemplate(text);
    // The config layer rejected bad templates; anything left renders as is.
    t = Array.isArray(c) ? { parts: [text], names: [] } : c;
    templateCache.set(text, t);
  }
  return renderTemplate(t, values);
}

/** A sleeping user's timer (one function for all users, not a closure each). */
function wakeUser(vu: VirtualUser): void {
  vu.wake();
}

/**
 * One simulated user: runs its cohort's flow, holds its connections, its
 * current thread and its runs. Failures are recorded as errors with a kind
 * and the flow goes on; nothing here throws to the scheduler.
 */
export class VirtualUser implements ConnectionsOwner, RunHooks, RestStepsOwner {
  readonly tracker: RunTracker;
  /** Its tabs, and the per-frame path. */
  private readonly conns: UserConnections;
  /** The REST steps, through the adapter's routes. */
  private readonly restSteps: RestSteps;
  /** Run streams in flight (transports whose runs answer with their own stream). */
  private readonly streams: RunStreams;
  private thread: string | undefined;
  /** What this user said in the current thread, oldest first (`{{history}}` of stateless chat routes). */
  private history: Array<{ role: 'user'; content: string }> = [];
  private historyThread: string | undefined;
  private iteration = 0;
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
  private canarySeq = 0;
  private cachedValues: TemplateValues | undefined;
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

  /** This user's next canary word. */
  private nextCanary(): string {
    return this.ctx.canaries.encode(this.userIndex, this.canarySeq++);
  }

  /** Metadata with this user's next canary under `canary`. */
  private markMetadata(meta: unknown): Record<string, unknown> {
    const m = { ...(meta as Record<string, unknown>) };
    if (this.ctx.checks) m.canary = this.nextCanary();
    return m;
  }

  /** Appends this user's next canary to a piece of text it sends. */
  private mark(text: string): string {
    if (!this.ctx.checks) return text;
    return `${text} ${this.nextCanary()}`;
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
      await this.runSteps(this.cohort.flow);
      await this.tracker.settle();
    } finally {
      await this.closeAll();
      // From the intended start (open model: the arrival, so a stalled generator shows) to the flow's end, as
      // k6's iteration_duration; an iteration cut short by a stop did not run its flow and is not timed.
      if (!this.iterationCut) this.metrics.iterationDuration.record(nowUs() - startUs);
      this.iteration++;
      this.cachedValues = undefined;
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

  /** An interruptible pause between iterations. */
  pause(ms: number): Promise<void> {
    return this.sleep(ms);
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

  // ---- steps --------------------------------------------------------------

  private async runSteps(steps: readonly FlowStep[]): Promise<void> {
    for (const step of steps) {
      if (this.stopping) {
        this.iterationCut = true;
        return;
      }
      await this.runStep(step);
    }
  }

  /** Template values; made again only when the iteration or the thread changes. */
  private values(): TemplateValues {
    return (this.cachedValues ??= {
      user: this.userId,
      cohort: this.cohort.name,
      iteration: String(this.iteration),
      ...(this.thread !== undefined ? { thread: this.thread } : {}),
    });
  }

  // Not async: a step hands back its own promise (or nothing, when it is done already), so a waiting user holds one suspended frame fewer.
  private runStep(step: FlowStep): Promise<unknown> | undefined {
    switch (step.kind) {
      case 'connect':
        return this.conns.connect(step.connections ?? this.cohort.connectionsPerUser);
      case 'disconnect':
        return this.disconnect();
      case 'reconnect':
        return this.reconnect();
      case 'createThread':
        return this.rest('create_thread', { title: this.text(step.title), metadata: this.meta(step.metadata) });
      case 'listThreads':
        return this.rest('list_threads', { limit: step.limit, offset: step.offset });
      case 'getThread':
        return this.onThread('get_thread', step.thread, {});
      case 'deleteThread':
        return this.onThread('delete_thread', step.thread, {});
      case 'updateThread':
        return this.onThread('update_thread', step.thread, {
          title: this.text(step.title),
          metadata: this.meta(step.metadata),
        });
      case 'listMessages':
        return this.onThread('list_messages', step.thread, { limit: step.limit });
      case 'postMessage':
        return this.onThread('post_message', step.thread, { content: this.mark(render(step.content, this.values())) });
      case 'sendMessage':
        return this.sendMessage(step);
      case 'stopAgent':
        return this.stopAgent(step);
      case 'think':
        return this.sleep(
          step.range.minMs === step.range.maxMs
            ? step.range.minMs
            : randomBetween(this.ctx.rand, step.range.minMs, step.range.maxMs),
        );
      case 'idle':
        return this.sleep(step.durationMs);
      case 'repeat':
        return this.repeat(step);
    }
  }

  /** A title as sent: rendered and marked with a canary; undefined when the step has none. */
  private text(title: string | undefined): string | undefined {
    return title === undefined ? undefined : this.mark(render(title, this.values()));
  }

  /** Metadata as sent: rendered, with a canary; undefined when the step has none. */
  private meta(metadata: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
    return metadata === undefined ? undefined : this.markMetadata(renderDeep(metadata, this.values()));
  }

  private async disconnect(): Promise<void> {
    await this.tracker.settle();
    return this.closeAll();
  }

  private async reconnect(): Promise<void> {
    const n = this.conns.count || this.cohort.connectionsPerUser;
    await this.closeAll();
    return this.conns.connect(n);
  }

  private async repeat(step: Extract<FlowStep, { kind: 'repeat' }>): Promise<void> {
    const { steps, times } = step;
    const end = times === undefined ? performance.now() + step.durationMs! : Infinity;
    // The loop of a load test: its steps are awaited here, not through runSteps, which saves a promise per pass.
    for (let n = 0; times === undefined ? performance.now() < end : n < times; n++) {
      for (let i = 0; i < steps.length; i++) {
        if (this.stopping) {
          this.iterationCut = true;
          return;
        }
        await this.runStep(steps[i]!);
      }
    }
  }

  /**
   * Not async: the step's promise is the run's own wait (what the run ended
   * with is logged by the tracker's hooks), so a loop of agent runs costs one
   * promise and one resumption per run.
   */
  private sendMessage(step: Extract<FlowStep, { kind: 'sendMessage' }>): Promise<unknown> | undefined {
    this.metrics.attempt('send_message');
    const thread = step.thread === '{{thread}}' ? this.thread : render(step.thread, this.values());
    if (!thread) {
      this.fail('no_thread', 'sendMessage without a thread (createThread failed?)');
      return undefined;
    }
    // A run streamed in its own answer needs no open connection.
    if (!this.ctx.connect) return this.startRun(undefined, step, thread);
    const tab = this.conns.at(step.connection);
    // Only a dropped tab needs the wait of a reconnect; an open one is used as it is.
    if (tab && !tab.dropped) return this.sendOn(tab, step, thread);
    return this.conns.reopenIfDropped(step.connection).then((s) => this.sendOn(s, step, thread));
  }

  private sendOn(
    session: Connection | undefined,
    step: Extract<FlowStep, { kind: 'sendMessage' }>,
    thread: string,
  ): Promise<unknown> | undefined {
    if (!session || !session.isOpen) {
      this.fail('no_connection', `sendMessage on connection ${step.connection}, which is not open`);
      return undefined;
    }
    return this.startRun(session, step, thread);
  }

  /** Starts a run as the adapter says: a message on the tab, or a request (whose answer may be the run's stream). */
  private startRun(
    session: Connection | undefined,
    step: Extract<FlowStep, { kind: 'sendMessage' }>,
    thread: string,
  ): Promise<unknown> | undefined {
    const messageId = formatMessageId(this.ctx.runTag, this.userIndex, ++this.messageSeq);
    const content = this.mark(render(step.content, this.values()));
    const wire = this.ctx.wire;
    if (wire.startUsesHistory) {
      if (thread !== this.historyThread) {
        this.history = [];
        this.historyThread = thread;
      }
      this.history.push({ role: 'user', content });
    }
    // Claimed again with every message: the ledger forgets the oldest ids, and a long run creates many threads.
    const owner = this.ctx.ledger.claimThread(thread, this.userIndex);
    const startUs = this.takeStart() ?? nowUs();
    const rec = this.tracker.start(messageId, thread, step.connection, startUs, step.await, step.timeoutMs);
    // The run's frames naming this thread need no lookup of their own.
    if (this.ctx.ledger.isUser(owner, this.userIndex, this.userId)) rec.verifiedThread = thread;
    const values: WireValues = {
      ...wire.paramValues,
      ...this.values(),
      thread,
      content,
      messageId,
      history: this.history,
    };
    const start = wire.start;
    if ('send' in start) session!.send(start.send.render(values));
    else this.streams.start(rec, start, values);
    return step.await === 'none' ? undefined : this.tracker.wait(rec);
  }

  private async stopAgent(step: Extract<FlowStep, { kind: 'stopAgent' }>): Promise<void> {
    const rec: RunRecord | undefined = this.tracker.last;
    // Nothing to stop when the last run already ended (a fast agent may finish first).
    if (!rec || rec.outcome !== undefined) return;
    this.metrics.attempt('stop_agent');
    if (rec.runId === undefined) return this.fail('no_run', 'stopAgent before the run announced its run_id');
    const stop = this.ctx.wire.stop;
    if (!stop) return this.fail('no_route', 'stopAgent: the adapter cannot stop runs on this transport');
    const values: WireValues = {
      ...this.ctx.wire.paramValues,
      ...this.values(),
      thread: rec.threadId,
      run: rec.runId,
      messageId: rec.messageId,
    };
    if ('send' in stop) {
      const session = this.conns.at(rec.originConn) ?? this.conns.anyOpen();
      if (!session?.send(stop.send.render(values)))
        return this.fail('no_connection', 'stopAgent with no open connection');
    } else {
      const req = stop.request.render(values);
      const res = await this.call(req);
      if (!res) return undefined;
      if (res.status === undefined || !stop.request.accepts(res.status))
        return this.fail(
          res.ok ? 'bad_status' : res.kind,
          `stopAgent ${req.method} ${req.path.replace(/\?.*$/, '')} answered ${res.status ?? 'nothing'}`,
        );
    }
    if (step.await === 'none') return this.metrics.succeed('stop_agent');
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.tracker.waitEnd(rec),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, step.timeoutMs, undefined);
      }),
    ]);
    clearTimeout(timer);
    if (ended === undefined)
      this.ctx.noteError(this.cohort.name, 'timeout', `run not stopped within ${step.timeoutMs}ms`);
    // A run that finished before the stop reached it ended all the same.
    else if (ended.outcome === 'stopped' || ended.outcome === 'completed') this.metrics.succeed('stop_agent');
  }

  private async onThread(op: RestOp, threadRef: string, values: WireValues): Promise<void> {
    const thread = threadRef === '{{thread}}' ? this.thread : render(threadRef, this.values());
    if (!thread) {
      this.metrics.attempt(op);
      return this.fail('no_thread', `${op} without a thread (createThread failed?)`);
    }
    await this.rest(op, { ...values, thread });
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

  /** One timed REST call through the adapter's route. */
  private rest(op: RestOp, stepValues: WireValues): Promise<unknown> {
    return this.restSteps.run(op, { ...this.ctx.wire.paramValues, ...this.values(), ...stepValues });
  }

  /** RestStepsOwner: the thread createThread just made is this user's current one. */
  onThreadCreated(id: string): void {
    this.thread = id;
    this.cachedValues = undefined;
    this.ctx.ledger.claimThread(id, this.userIndex);
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

  private sleep(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepResolve = resolve;
      this.sleepTimer = setTimeout(wakeUser, ms, this);
    });
  }

  /** Ends a think or idle at once (or when its timer fires). */
  wake(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    const r = this.sleepResolve;
    this.sleepResolve = undefined;
    r?.();
  }

  private async closeAll(): Promise<void> {
    this.tracker.judgeEnded(nowUs());
    await Promise.all([this.streams.drain(STREAM_DRAIN_MS), this.conns.closeAll()]);
  }
}
