// Checks a run's events against protocol.md, whatever transport carried them.
// No side effects at import time (node --test also loads this file as a test file).
import assert from 'node:assert/strict';
import type { Frame } from './client.js';

/** The run event types protocol.md names. */
export const RUN_EVENT_TYPES: ReadonlySet<string> = new Set([
  'agent_started',
  'agent_thinking',
  'tool_executing',
  'tool_completed',
  'agent_completed',
  'agent_error',
  'agent_stopped',
]);
/** The events that end a run. */
export const TERMINAL_TYPES: ReadonlySet<string> = new Set(['agent_completed', 'agent_error', 'agent_stopped']);
const LETTER: Record<string, string> = {
  agent_started: 'S',
  agent_thinking: 'T',
  tool_executing: 'E',
  tool_completed: 'C',
  agent_completed: 'D',
  agent_error: 'X',
  agent_stopped: 'P',
};

/** The run events answering `messageId`, in arrival order. */
export function runEventsOf(frames: readonly Frame[], messageId: string): Frame[] {
  return frames.filter(
    (f) => f.type !== undefined && RUN_EVENT_TYPES.has(f.type) && f.payload?.message_id === messageId,
  );
}

/** A run's shape in letters: S started, T thinking, E/C a tool pair, D completed, X error, P stopped. */
export function formatRunShape(events: readonly Frame[]): string {
  return events.map((f) => LETTER[f.type ?? ''] ?? '?').join('');
}

/** What a completed run must say about itself. */
export interface RunExpectation {
  readonly userId: string;
  readonly threadId: string;
  readonly messageId: string;
  readonly content: string;
  /**
   * When the run was asked for (epoch ms): every timestamp must then lie
   * between a second before it and a second after the check, and never go
   * back. Without it only the type of each timestamp is checked (a target
   * in another process may have another clock).
   */
  readonly startedAtMs?: number;
}

/**
 * Asserts one completed run: ReAct order (started, thinking and tool pairs,
 * completed), owner fields on every event, seq 0, 1, 2..., the fields each
 * type carries, the user's words quoted in the reasoning and the answer.
 * Returns its run_id.
 */
export function assertCompletedRun(events: readonly Frame[], exp: RunExpectation): string {
  const shape = formatRunShape(events);
  // ReAct: at least one thought before each tool call and one after the last result, before the answer.
  assert.match(
    shape,
    /^S(T+EC)*T+D$/,
    `run events in protocol order (S started, T thinking, E/C tool pair, D completed): ${events.map((f) => f.type).join(', ')}`,
  );
  const runId = events[0]!.payload.run_id;
  assert.equal(typeof runId, 'string');
  assert.ok(runId.length > 0);
  const checkedAtMs = Date.now();
  let lastTs = -Infinity;
  events.forEach((f, i) => {
    const p = f.payload;
    assert.equal(p.user_id, exp.userId, `${f.type}: user_id`);
    assert.equal(p.thread_id, exp.threadId, `${f.type}: thread_id`);
    assert.equal(p.run_id, runId, `${f.type}: run_id is the run's`);
    assert.equal(p.message_id, exp.messageId, `${f.type}: message_id`);
    assert.equal(p.seq, i, `${f.type}: seq is consecutive from 0`);
    assert.equal(typeof p.timestamp, 'number', `${f.type}: numeric timestamp`);
    if (exp.startedAtMs !== undefined) {
      assert.ok(
        p.timestamp >= exp.startedAtMs - 1000 && p.timestamp <= checkedAtMs + 1000,
        `${f.type}: timestamp ${p.timestamp} is epoch ms of the run`,
      );
      assert.ok(p.timestamp >= lastTs, `${f.type}: timestamps do not go back`);
      lastTs = p.timestamp;
    }
    assertTypeFields(f, events[i + 1], exp.content);
  });
  return runId;
}

/** The fields protocol.md gives each run event type. */
function assertTypeFields(f: Frame, next: Frame | undefined, content: string): void {
  const p = f.payload;
  switch (f.type) {
    case 'agent_started':
      assert.equal(typeof p.agent_name, 'string');
      break;
    case 'agent_thinking':
      assert.equal(typeof p.reasoning, 'string');
      assert.ok(p.reasoning.includes(content), `reasoning quotes the user's message: ${p.reasoning}`);
      break;
    case 'tool_executing':
      assert.equal(typeof p.tool_name, 'string');
      assert.equal(typeof p.parameters, 'object');
      assert.equal(next?.payload.tool_name, p.tool_name, 'tool_completed names the tool that was executing');
      break;
    case 'tool_completed':
      assert.equal(typeof p.tool_name, 'string');
      assert.ok('result' in p, 'tool_completed has a result');
      assert.equal(typeof p.execution_time_ms, 'number');
      break;
    case 'agent_completed':
      assert.equal(typeof p.result, 'string');
      assert.ok(p.result.includes(content), `the answer quotes the user's message: ${p.result}`);
      assert.equal(typeof p.execution_time_ms, 'number');
      assert.ok(p.execution_time_ms >= 0);
      break;
    default:
      break;
  }
}

/** Frames that are not the receiver's: run events of another user or of another run than `ownRunIds`. */
export function foreignFrames(frames: readonly Frame[], userId: string, ownRunIds?: ReadonlySet<string>): Frame[] {
  return frames.filter(
    (f) =>
      f.type !== undefined &&
      RUN_EVENT_TYPES.has(f.type) &&
      (f.payload?.user_id !== userId || (ownRunIds !== undefined && !ownRunIds.has(f.payload?.run_id))),
  );
}
