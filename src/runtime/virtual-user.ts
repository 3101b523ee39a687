import type { Dispatcher } from 'undici';
import type { Operation } from '../core/metric-names.js';
import { randomBetween } from '../core/random.js';
import { RunTracker, type RunHooks, type RunRecord } from '../core/run-tracker.js';
import type { Receiver } from '../core/isolation-oracle.js';
import { formatMessageId } from '../core/ownership-ledger.js';
import type { Cohort, FlowStep } from '../core/scenario-types.js';
import { compileTemplate, renderDeep, renderTemplate, type CompiledTemplate, type TemplateValues } from '../core/templates.js';
import { TokenError } from '../protocol/token-provider.js';
import type { WsSession } from '../protocol/ws-session.js';
import type { CohortMetrics } from './cohort-metrics.js';
import type { RunContext } from './run-context.js';
import { UserConnections, type ConnectionsOwner } from './user-connections.js';

const nowUs = (): number => Math.round(performance.now() * 1000);
const templateCache = new Map<string, CompiledTemplate>();
/** How long after a run's terminal event its completeness is judged (late, reordered events may still come). */
const JUDGE_GRACE_US = 500_000;

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

/** Operations timed as `http.<op>` that a flow step makes. */
type RestOp = Extract<Operation, 'create_thread' | 'list_threads' | 'get_thread' | 'update_thread' | 'delete_thread' | 'list_messages' | 'post_message'>;

/** A sleeping user's timer (one function for all users, not a closure each). */
function wakeUser(vu: VirtualUser): void {
  vu.wake();
}

/**
 * One simulated user: runs its cohort's flow, holds its connections, its
 * current thread and its runs. Failures are recorded as errors with a kind
 * and the flow goes on; nothing here throws to the scheduler.
 */
export class VirtualUser implements ConnectionsOwner, RunHooks {
  readonly tracker: RunTracker;
  /** Its tabs, and the per-frame path. */
  private readonly conns: UserConnections;
  private thread: string | undefined;
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

  constructor(readonly ctx: RunContext, private readonly cohort: Cohort, readonly m: CohortMetrics, readonly userId: string, userNum: number) {
    this.userIndex = userNum;
    this.cohortName = cohort.name;
    ctx.ledger.registerUser(userId, userNum);
    this.restRx = { userId, userIndex: this.userIndex, cohort: cohort.name };
    this.tracker = new RunTracker(m, this, ctx.lifecycleGrammar);
    this.conns = new UserConnections(this);
  }

  /** RunHooks: a run got no terminal event in time. */
  onTimedOut(rec: RunRecord): void {
    this.ctx.lifecycle.timedOut(this.restRx, rec.messageId, Date.now(), `no terminal event within the run's timeout`);
    this.ctx.noteError(this.cohort.name, 'timeout', `no ${rec.awaitType === 'none' ? 'terminal event' : rec.awaitType} within ${(rec.deadlineUs - rec.sentAtUs) / 1000}ms`);
  }

  /** RunHooks: this user's first completed run (coverage counts users that completed one). */
  onFirstCompleted(): void {
    const set = this.ctx.usersWithRun;
    if (set.has(this.userIndex)) return;
    set.add(this.userIndex);
    this.m.usersWithRun.add();
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
  anyOpenSession(): WsSession | undefined {
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
      this.m.startDelay.record(Math.max(0, nowUs() - intendedStartUs));
    }
    this.m.iterations.add();
    this.iterationErrors = 0;
    this.iterationCut = false;
    try {
      await this.runSteps(this.cohort.flow);
      await this.tracker.settle();
    } finally {
      await this.closeAll();
      // From the intended start (open model: the arrival, so a stalled generator shows) to the flow's end, as
      // k6's iteration_duration; an iteration cut short by a stop did not run its flow and is not timed.
      if (!this.iterationCut) this.m.iterationDuration.record(nowUs() - startUs);
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
  }

  /** Ends runs past their deadline; called by the run's shared sweeper. */
  sweep(now: number): void {
    this.tracker.expire(now);
    this.tracker.judgeEnded(now, JUDGE_GRACE_US);
  }

  // ---- steps --------------------------------------------------------------

  private async runSteps(steps: readonly FlowStep[]): Promise<void> {
    for (const step of steps) {
      if (this.stopping) { this.iterationCut = true; return; }
      await this.runStep(step);
    }
  }

  /** Template values; made again only when the iteration or the thread changes. */
  private values(): TemplateValues {
    return this.cachedValues ??= { user: this.userId, cohort: this.cohort.name, iteration: String(this.iteration), ...(this.thread !== undefined ? { thread: this.thread } : {}) };
  }

  // Not async: a step hands back its own promise (or nothing, when it is done already), so a waiting user holds one suspended frame fewer.
  private runStep(step: FlowStep): Promise<unknown> | undefined {
    switch (step.kind) {
      case 'connect': return this.conns.connect(step.connections ?? this.cohort.connectionsPerUser);
      case 'disconnect': return this.disconnect();
      case 'reconnect': return this.reconnect();
      case 'createThread': {
        const v = this.values();
        const body: Record<string, unknown> = {};
        if (step.title !== undefined) body.title = this.mark(render(step.title, v));
        if (step.metadata !== undefined) body.metadata = this.markMetadata(renderDeep(step.metadata, v));
        return this.rest('create_thread', 'POST', '/api/threads', body);
      }
      case 'listThreads': {
        const q = new URLSearchParams();
        if (step.limit !== undefined) q.set('limit', String(step.limit));
        if (step.offset !== undefined) q.set('offset', String(step.offset));
        const qs = q.toString();
        return this.rest('list_threads', 'GET', `/api/threads${qs ? `?${qs}` : ''}`);
      }
      case 'getThread': return this.onThread('get_thread', 'GET', step.thread, '');
      case 'deleteThread': return this.onThread('delete_thread', 'DELETE', step.thread, '');
      case 'updateThread': {
        const v = this.values();
        const body: Record<string, unknown> = {};
        if (step.title !== undefined) body.title = this.mark(render(step.title, v));
        if (step.metadata !== undefined) body.metadata = this.markMetadata(renderDeep(step.metadata, v));
        return this.onThread('update_thread', 'PUT', step.thread, '', body);
      }
      case 'listMessages': return this.onThread('list_messages', 'GET', step.thread, `/messages${step.limit !== undefined ? `?limit=${step.limit}` : ''}`);
      case 'postMessage': return this.onThread('post_message', 'POST', step.thread, '/messages', { content: this.mark(render(step.content, this.values())) });
      case 'sendMessage': return this.sendMessage(step);
      case 'stopAgent': return this.stopAgent(step);
      case 'think': return this.sleep(step.range.minMs === step.range.maxMs ? step.range.minMs : randomBetween(this.ctx.rand, step.range.minMs, step.range.maxMs));
      case 'idle': return this.sleep(step.durationMs);
      case 'repeat': return this.repeat(step);
    }
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
        if (this.stopping) { this.iterationCut = true; return; }
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
    this.m.attempt('send_message');
    const thread = step.thread === '{{thread}}' ? this.thread : render(step.thread, this.values());
    if (!thread) {
      this.fail('no_thread', 'sendMessage without a thread (createThread failed?)');
      return undefined;
    }
    const tab = this.conns.at(step.connection);
    // Only a dropped tab needs the wait of a reconnect; an open one is used as it is.
    if (tab && !tab.dropped) return this.sendOn(tab, step, thread);
    return this.conns.reopenIfDropped(step.connection).then((s) => this.sendOn(s, step, thread));
  }

  private sendOn(session: WsSession | undefined, step: Extract<FlowStep, { kind: 'sendMessage' }>, thread: string): Promise<unknown> | undefined {
    if (!session || !session.isOpen) {
      this.fail('no_connection', `sendMessage on connection ${step.connection}, which is not open`);
      return undefined;
    }
    const messageId = formatMessageId(this.ctx.runTag, this.userIndex, ++this.messageSeq);
    const content = this.mark(render(step.content, this.values()));
    // Claimed again with every message: the ledger forgets the oldest ids, and a long run creates many threads.
    const owner = this.ctx.ledger.claimThread(thread, this.userIndex);
    const startUs = this.takeStart() ?? nowUs();
    const rec = this.tracker.start(messageId, thread, step.connection, startUs, step.await, step.timeoutMs);
    // The run's frames naming this thread need no lookup of their own.
    if (this.ctx.ledger.isUser(owner, this.userIndex, this.userId)) rec.verifiedThread = thread;
    session.send({ type: 'user_message', payload: { thread_id: thread, content, message_id: messageId } });
    return step.await === 'none' ? undefined : this.tracker.wait(rec);
  }

  private async stopAgent(step: Extract<FlowStep, { kind: 'stopAgent' }>): Promise<void> {
    const rec: RunRecord | undefined = this.tracker.last;
    // Nothing to stop when the last run already ended (a fast agent may finish first).
    if (!rec || rec.outcome !== undefined) return;
    this.m.attempt('stop_agent');
    if (rec.runId === undefined) return this.fail('no_run', 'stopAgent before the run announced its run_id');
    const session = this.conns.at(rec.originConn) ?? this.conns.anyOpen();
    if (!session?.send({ type: 'stop_agent', payload: { run_id: rec.runId } })) return this.fail('no_connection', 'stopAgent with no open connection');
    if (step.await === 'none') return this.m.succeed('stop_agent');
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.tracker.waitEnd(rec),
      new Promise<undefined>((resolve) => { timer = setTimeout(resolve, step.timeoutMs, undefined); }),
    ]);
    clearTimeout(timer);
    if (ended === undefined) this.ctx.noteError(this.cohort.name, 'timeout', `run not stopped within ${step.timeoutMs}ms`);
    // A run that finished before the stop reached it ended all the same.
    else if (ended.outcome === 'stopped' || ended.outcome === 'completed') this.m.succeed('stop_agent');
  }

  private async onThread(op: RestOp, method: Dispatcher.HttpMethod, threadRef: string, suffix: string, body?: unknown): Promise<void> {
    const thread = threadRef === '{{thread}}' ? this.thread : render(threadRef, this.values());
    if (!thread) {
      this.m.attempt(op);
      return this.fail('no_thread', `${op} without a thread (createThread failed?)`);
    }
    await this.rest(op, method, `/api/threads/${encodeURIComponent(thread)}${suffix}`, body);
  }

  /** One timed REST call; answers the parsed body of a success, else undefined. */
  private async rest(op: RestOp, method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<unknown> {
    this.m.attempt(op);
    let token: string;
    try {
      token = await this.ctx.tokens.token(this.userId);
    } catch (err) {
      this.fail(err instanceof TokenError ? err.kind : 'token_failed', (err as Error).message);
      return undefined;
    }
    const startUs = this.takeStart();
    const res = await this.ctx.rest.call(method, path, token, body, this.signal());
    this.m.httpRequests.add();
    if (res.latencyUs !== undefined) this.m.http[op].record(startUs === undefined ? res.latencyUs : nowUs() - startUs);
    if (!res.ok) {
      // A call still waiting when the grace period ran out did not get its answer in time.
      this.fail(this.aborted ? 'timeout' : res.kind, `${op} ${method} ${path.replace(/\?.*$/, '')} answered ${this.aborted ? 'nothing before the run ended' : res.status ?? 'nothing'}`);
      return undefined;
    }
    this.m.succeed(op);
    const atMs = Date.now();
    if (op === 'create_thread') {
      const id = (res.json as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string') {
        this.thread = id;
        this.cachedValues = undefined;
        this.ctx.ledger.claimThread(id, this.userIndex);
      }
    }
    if (!this.ctx.checks) return res.json;
    if (op === 'list_threads' && Array.isArray(res.json)) this.ctx.isolation.checkListing(this.restRx, res.json, res.text, atMs, op);
    else this.ctx.isolation.checkBody(this.restRx, res.text, atMs, op);
    this.m.restChecked.add();
    return res.json;
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
    this.m.error(kind).add();
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

  private closeAll(): Promise<void> {
    this.tracker.judgeEnded(nowUs());
    return this.conns.closeAll();
  }
}
