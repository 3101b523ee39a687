import { randomBytes } from 'node:crypto';
import { randomInt, type Random } from '../core/random.js';
import { isInstantTiming, type AgentTiming } from './agent-presets.js';

/** The run event types protocol.md names. */
export type RunEventType =
  | 'agent_started'
  | 'agent_thinking'
  | 'tool_executing'
  | 'tool_completed'
  | 'agent_completed'
  | 'agent_error'
  | 'agent_stopped';

interface Step {
  readonly type: RunEventType;
  readonly delayMs: number;
  readonly toolName?: string;
}

/** One agent run in flight. */
export interface AgentRun {
  readonly id: string;
  readonly userId: string;
  readonly threadId: string;
  readonly messageId: string;
  readonly content: string;
  readonly steps: readonly Step[];
  next: number;
  seq: number;
  timer: NodeJS.Timeout | undefined;
  readonly startedAtMs: number;
  /** Set when the run has ended (its terminal event emitted), for faults that act after it. */
  endedAtMs: number | undefined;
}

/** Where the runner sends each event (the delivery decides who gets it and in what shape). */
export type RunEventSink = (run: AgentRun, type: RunEventType, payload: Record<string, unknown>) => void;

/** A fresh run id; a transport that must know a run's id before its first event (SSE) draws it here. */
export function newRunId(): string {
  return `run_${randomBytes(12).toString('hex')}`;
}

const TOOL_NAMES = ['search_documents', 'query_database', 'fetch_url', 'run_python', 'read_spreadsheet'];
const AGENT_NAME = 'crosstalk-agent';

/**
 * Plays agent runs: each run is a precomputed list of steps advanced by one
 * timer at a time (no per-event closures). With instant timing every event of
 * a run is emitted synchronously, which is what throughput tests need.
 */
export class AgentRunner {
  private readonly runs = new Map<string, AgentRun>();
  private readonly instant: boolean;
  private readonly advanceBound = (run: AgentRun): void => this.advance(run);

  constructor(
    private readonly timing: AgentTiming,
    private readonly rand: Random,
    private readonly sink: RunEventSink,
    private readonly onFinished: (run: AgentRun, result: string | undefined) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.instant = isInstantTiming(timing);
  }

  /** Number of runs in flight. */
  get active(): number {
    return this.runs.size;
  }

  /**
   * Starts a run answering `messageId`; its events reach the sink in protocol
   * order (with instant timing, all of them before this returns).
   */
  start(userId: string, threadId: string, messageId: string, content: string, runId: string = newRunId()): AgentRun {
    const run: AgentRun = {
      id: runId,
      userId,
      threadId,
      messageId,
      content,
      steps: this.planSteps(),
      next: 0,
      seq: 0,
      timer: undefined,
      startedAtMs: this.now(),
      endedAtMs: undefined,
    };
    this.runs.set(run.id, run);
    if (this.instant) {
      while (this.runs.has(run.id)) this.emitStep(run);
    } else {
      run.timer = setTimeout(this.advanceBound, run.steps[0]!.delayMs, run);
    }
    return run;
  }

  /** Cancels the caller's run; false when it is unknown, finished or someone else's. */
  stop(userId: string, runId: string): boolean {
    const run = this.runs.get(runId);
    if (!run || run.userId !== userId) return false;
    if (run.timer) clearTimeout(run.timer);
    this.emit(run, 'agent_stopped', { reason: 'stopped_by_user' });
    this.finish(run, undefined);
    return true;
  }

  /** Cancels every run without emitting anything (shutdown). */
  stopAll(): void {
    for (const run of this.runs.values()) if (run.timer) clearTimeout(run.timer);
    this.runs.clear();
  }

  /**
   * A ReAct-style run: the agent thinks before each tool call and again
   * after the last result before it answers (think → tool → think → tool →
   * think → answer), so a run with tools interleaves thinking and tool pairs
   * as protocol.md allows. Thoughts beyond that minimum land between the
   * calls at seeded random.
   */
  private planSteps(): Step[] {
    const t = this.timing;
    const d = (r: readonly [number, number]): number => randomInt(this.rand, r[0], r[1]);
    const steps: Step[] = [{ type: 'agent_started', delayMs: d(t.firstEventMs) }];
    const drawn = d(t.thinkingSteps);
    const tools = d(t.toolCalls);
    // Thoughts per stretch: before tool 1, ..., before tool n, before the answer.
    const thoughts = new Array<number>(tools + 1).fill(1);
    for (let extra = drawn - (tools + 1); extra > 0; extra--) thoughts[randomInt(this.rand, 0, tools)]!++;
    for (let s = 0; s <= tools; s++) {
      for (let i = 0; i < thoughts[s]!; i++) steps.push({ type: 'agent_thinking', delayMs: d(t.thinkingMs) });
      if (s === tools) break;
      const toolName = TOOL_NAMES[randomInt(this.rand, 0, TOOL_NAMES.length - 1)]!;
      steps.push({ type: 'tool_executing', delayMs: d(t.toolStartMs), toolName });
      steps.push({ type: 'tool_completed', delayMs: d(t.toolMs), toolName });
    }
    steps.push({ type: 'agent_completed', delayMs: d(t.finalMs) });
    return steps;
  }

  private advance(run: AgentRun): void {
    run.timer = undefined;
    if (!this.runs.has(run.id)) return;
    this.emitStep(run);
    if (this.runs.has(run.id)) run.timer = setTimeout(this.advanceBound, run.steps[run.next]!.delayMs, run);
  }

  private emitStep(run: AgentRun): void {
    const step = run.steps[run.next++]!;
    const quoted = JSON.stringify(run.content);
    switch (step.type) {
      case 'agent_started':
        this.emit(run, step.type, {});
        break;
      case 'agent_thinking':
        this.emit(run, step.type, { reasoning: `Step ${run.seq}: working out how to answer ${quoted}.` });
        break;
      case 'tool_executing':
        this.emit(run, step.type, { tool_name: step.toolName, parameters: { query: run.content } });
        break;
      case 'tool_completed':
        this.emit(run, step.type, {
          tool_name: step.toolName,
          result: `3 results for ${quoted}`,
          execution_time_ms: step.delayMs,
        });
        break;
      case 'agent_completed': {
        const result = `Here is what I found about ${quoted}.`;
        this.emit(run, step.type, { result, execution_time_ms: this.now() - run.startedAtMs });
        this.finish(run, result);
        break;
      }
      default:
        break;
    }
  }

  private emit(run: AgentRun, type: RunEventType, extra: Record<string, unknown>): void {
    const payload = {
      user_id: run.userId,
      thread_id: run.threadId,
      run_id: run.id,
      message_id: run.messageId,
      seq: run.seq++,
      timestamp: this.now(),
      agent_name: AGENT_NAME,
      ...extra,
    };
    this.sink(run, type, payload);
  }

  private finish(run: AgentRun, result: string | undefined): void {
    this.runs.delete(run.id);
    run.endedAtMs = this.now();
    this.onFinished(run, result);
  }
}
