/**
 * What each step of a cohort's flow does for one simulated user: connect and
 * reconnect its tabs, REST calls through the adapter's routes, think and
 * idle, repeat, and agent runs (sendMessage starts one as the adapter says,
 * stopAgent stops the last one). Failures are recorded and the flow goes on.
 */
import { randomBetween } from '../core/random.js';
import type { RunRecord } from '../core/run-record.js';
import type { RunTracker } from '../core/run-tracker.js';
import type { RenderedRequest } from '../core/compiled-wire.js';
import type { Cohort, FlowStep } from '../core/scenario-types.js';
import type { WireValues } from '../core/wire-template.js';
import type { Connection } from '../protocol/connection.js';
import type { RestResult } from '../protocol/rest-client.js';
import type { CohortMetrics } from './cohort-metrics.js';
import type { FlowValues } from './flow-values.js';
import type { RestOp, RestSteps } from './rest-steps.js';
import type { RunContext } from './run-context.js';
import type { RunStreams } from './run-streams.js';
import type { UserConnections } from './user-connections.js';

const nowUs = (): number => Math.round(performance.now() * 1000);

type SendMessageStep = Extract<FlowStep, { kind: 'sendMessage' }>;

/** What flow steps need from the user that runs them. */
export interface FlowStepsOwner {
  readonly ctx: RunContext;
  readonly metrics: CohortMetrics;
  readonly tracker: RunTracker;
  readonly userId: string;
  readonly userIndex: number;
  /** True once the user was told to stop: no new step starts. */
  readonly isStopping: boolean;
  /** The current iteration skipped steps because the user was told to stop. */
  cutIteration(): void;
  /** An interruptible pause (think, idle). */
  pause(ms: number): Promise<void>;
  /** Judges ended runs, drains run streams and closes the tabs. */
  closeAll(): Promise<void>;
  /** The id of the user's next message (from now on it has sent one). */
  nextMessageId(): string;
  /** Sends a request as this user; undefined (the failure recorded) when no token could be had. */
  call(req: RenderedRequest): Promise<RestResult | undefined>;
  /** The intended start of the next timed operation (open model), once. */
  takeStart(): number | undefined;
  /** Records a failed operation of the current iteration. */
  fail(kind: string, detail: string): void;
}

/** Runs one user's flow steps, with its tabs, REST steps, run streams and template values. */
export class FlowSteps {
  constructor(
    private readonly user: FlowStepsOwner,
    private readonly cohort: Cohort,
    private readonly conns: UserConnections,
    private readonly restSteps: RestSteps,
    private readonly streams: RunStreams,
    private readonly flowValues: FlowValues,
  ) {}

  /** Runs `steps` in order; stops starting new ones once the user is told to stop. */
  async run(steps: readonly FlowStep[]): Promise<void> {
    for (const step of steps) {
      if (this.user.isStopping) {
        this.user.cutIteration();
        return;
      }
      await this.runStep(step);
    }
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
        return this.rest('create_thread', {
          title: this.flowValues.title(step.title),
          metadata: this.flowValues.metadata(step.metadata),
        });
      case 'listThreads':
        return this.rest('list_threads', { limit: step.limit, offset: step.offset });
      case 'getThread':
        return this.onThread('get_thread', step.thread, {});
      case 'deleteThread':
        return this.onThread('delete_thread', step.thread, {});
      case 'updateThread':
        return this.onThread('update_thread', step.thread, {
          title: this.flowValues.title(step.title),
          metadata: this.flowValues.metadata(step.metadata),
        });
      case 'listMessages':
        return this.onThread('list_messages', step.thread, { limit: step.limit });
      case 'postMessage':
        return this.onThread('post_message', step.thread, { content: this.flowValues.content(step.content) });
      case 'sendMessage':
        return this.sendMessage(step);
      case 'stopAgent':
        return this.stopAgent(step);
      case 'think':
        return this.user.pause(
          step.range.minMs === step.range.maxMs
            ? step.range.minMs
            : randomBetween(this.user.ctx.rand, step.range.minMs, step.range.maxMs),
        );
      case 'idle':
        return this.user.pause(step.durationMs);
      case 'repeat':
        return this.repeat(step);
    }
  }

  private async disconnect(): Promise<void> {
    await this.user.tracker.settle();
    return this.user.closeAll();
  }

  private async reconnect(): Promise<void> {
    const n = this.conns.count || this.cohort.connectionsPerUser;
    await this.user.closeAll();
    return this.conns.connect(n);
  }

  private async repeat(step: Extract<FlowStep, { kind: 'repeat' }>): Promise<void> {
    const { steps, times } = step;
    const end = times === undefined ? performance.now() + step.durationMs! : Infinity;
    // The loop of a load test: its steps are awaited here, not through run, which saves a promise per pass.
    for (let n = 0; times === undefined ? performance.now() < end : n < times; n++) {
      for (let i = 0; i < steps.length; i++) {
        if (this.user.isStopping) {
          this.user.cutIteration();
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
  private sendMessage(step: SendMessageStep): Promise<unknown> | undefined {
    this.user.metrics.attempt('send_message');
    const thread = this.flowValues.threadOf(step.thread);
    if (!thread) {
      this.user.fail('no_thread', 'sendMessage without a thread (createThread failed?)');
      return undefined;
    }
    // A run streamed in its own answer needs no open connection.
    if (!this.user.ctx.connect) return this.startRun(undefined, step, thread);
    const tab = this.conns.at(step.connection);
    // Only a dropped tab needs the wait of a reconnect; an open one is used as it is.
    if (tab && !tab.dropped) return this.sendOn(tab, step, thread);
    return this.conns.reopenIfDropped(step.connection).then((s) => this.sendOn(s, step, thread));
  }

  private sendOn(session: Connection | undefined, step: SendMessageStep, thread: string): Promise<unknown> | undefined {
    if (!session || !session.isOpen) {
      this.user.fail('no_connection', `sendMessage on connection ${step.connection}, which is not open`);
      return undefined;
    }
    return this.startRun(session, step, thread);
  }

  /** Starts a run as the adapter says: a message on the tab, or a request (whose answer may be the run's stream). */
  private startRun(
    session: Connection | undefined,
    step: SendMessageStep,
    thread: string,
  ): Promise<unknown> | undefined {
    const u = this.user;
    const ctx = u.ctx;
    const messageId = u.nextMessageId();
    const content = this.flowValues.content(step.content);
    const wire = ctx.wire;
    if (wire.startUsesHistory) this.flowValues.remember(thread, content);
    // Claimed again with every message: the ledger forgets the oldest ids, and a long run creates many threads.
    const owner = ctx.ledger.claimThread(thread, u.userIndex);
    const startUs = u.takeStart() ?? nowUs();
    const rec = u.tracker.start(messageId, thread, step.connection, startUs, step.await, step.timeoutMs);
    // The run's frames naming this thread need no lookup of their own.
    if (ctx.ledger.isUser(owner, u.userIndex, u.userId)) rec.verifiedThread = thread;
    const values: WireValues = {
      ...wire.paramValues,
      ...this.flowValues.current(),
      thread,
      content,
      messageId,
      history: this.flowValues.history,
    };
    const start = wire.start;
    if ('send' in start) session!.send(start.send.render(values));
    else this.streams.start(rec, start, values);
    return step.await === 'none' ? undefined : u.tracker.wait(rec);
  }

  private async stopAgent(step: Extract<FlowStep, { kind: 'stopAgent' }>): Promise<void> {
    const u = this.user;
    const rec: RunRecord | undefined = u.tracker.last;
    // Nothing to stop when the last run already ended (a fast agent may finish first).
    if (!rec || rec.outcome !== undefined) return;
    u.metrics.attempt('stop_agent');
    if (rec.runId === undefined) return u.fail('no_run', 'stopAgent before the run announced its run_id');
    const stop = u.ctx.wire.stop;
    if (!stop) return u.fail('no_route', 'stopAgent: the adapter cannot stop runs on this transport');
    const values: WireValues = {
      ...u.ctx.wire.paramValues,
      ...this.flowValues.current(),
      thread: rec.threadId,
      run: rec.runId,
      messageId: rec.messageId,
    };
    if ('send' in stop) {
      const session = this.conns.at(rec.originConn) ?? this.conns.anyOpen();
      if (!session?.send(stop.send.render(values))) return u.fail('no_connection', 'stopAgent with no open connection');
    } else {
      const req = stop.request.render(values);
      const res = await u.call(req);
      if (!res) return undefined;
      if (res.status === undefined || !stop.request.accepts(res.status))
        return u.fail(
          res.ok ? 'bad_status' : res.kind,
          `stopAgent ${req.method} ${req.path.replace(/\?.*$/, '')} answered ${res.status ?? 'nothing'}`,
        );
    }
    if (step.await === 'none') return u.metrics.succeed('stop_agent');
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      u.tracker.waitEnd(rec),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, step.timeoutMs, undefined);
      }),
    ]);
    clearTimeout(timer);
    if (ended === undefined) u.ctx.noteError(this.cohort.name, 'timeout', `run not stopped within ${step.timeoutMs}ms`);
    // A run that finished before the stop reached it ended all the same.
    else if (ended.outcome === 'stopped' || ended.outcome === 'completed') u.metrics.succeed('stop_agent');
  }

  private async onThread(op: RestOp, threadRef: string, values: WireValues): Promise<void> {
    const thread = this.flowValues.threadOf(threadRef);
    if (!thread) {
      this.user.metrics.attempt(op);
      return this.user.fail('no_thread', `${op} without a thread (createThread failed?)`);
    }
    await this.rest(op, { ...values, thread });
  }

  /** One timed REST call through the adapter's route. */
  private rest(op: RestOp, stepValues: WireValues): Promise<unknown> {
    return this.restSteps.run(op, { ...this.user.ctx.wire.paramValues, ...this.flowValues.current(), ...stepValues });
  }
}
