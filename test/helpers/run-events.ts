// Checks a run's events against protocol.md, whatever transport carried them.
// No side effects at import time (node --test also loads this file as a test file).
import assert from 'node:assert/strict';
import type { Frame } from './client.js';

/** The run event types protocol.md names. */
export const RUN_EVENT_TYPES: ReadonlySet<string> = new Set(['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed', 'agent_error', 'agent_stopped']);
/** The events that end a run. */
export const TERMINAL_TYPES: ReadonlySet<string> = new Set(['agent_completed', 'agent_error', 'agent_stopped']);
const LETTER: Record<string, string> = {
  agent_started: 'S', agent_thinking: 'T', tool_executing: 'E', tool_completed: 'C', agent_completed: 'D', agent_error: 'X', agent_stopped: 'P',
};

/** What a completed run must say about itself. */
export interface RunExpectation {
  readonly userId: string;
  readonly threadId: string;
  readonly messageId: string;
  readonly content: string;
}

/**
 * Asserts one completed run: ReAct order (started, thinking and tool pairs,
 * completed), owner fields on every event, seq 0, 1, 2..., the user's words
 * quoted in the answer. Returns its run_id.
 */
export function assertCompletedRun(events: readonly Frame[], exp: RunExpectation): string {
  const shape = events.map((f) => LETTER[f.type ?? ''] ?? '?').join('');
  assert.match(shape, /^S(T+EC)*T+D$/, `run events in protocol order: ${events.map((f) => f.type).join(', ')}`);
  const runId = events[0]!.payload.run_id;
  assert.equal(typeof runId, 'string');
  events.forEach((f, i) => {
    const p = f.payload;
    assert.equal(p.user_id, exp.userId, `${f.type}: user_id`);
    assert.equal(p.thread_id, exp.threadId, `${f.type}: thread_id`);
    assert.equal(p.run_id, runId, `${f.type}: run_id is the run's`);
    assert.equal(p.message_id, exp.messageId, `${f.type}: message_id`);
    assert.equal(p.seq, i, `${f.type}: seq is consecutive from 0`);
    assert.equal(typeof p.timestamp, 'number', `${f.type}: numeric timestamp`);
  });
  const last = events[events.length - 1]!.payload;
  assert.ok(String(last.result).includes(exp.content), `the answer quotes the user's message: ${last.result}`);
  return runId;
}

/** Frames that are not the receiver's: run events of another user or of another run than `ownRunIds`. */
export function foreignFrames(frames: readonly Frame[], userId: string, ownRunIds?: ReadonlySet<string>): Frame[] {
  return frames.filter((f) => f.type !== undefined && RUN_EVENT_TYPES.has(f.type)
    && (f.payload?.user_id !== userId || (ownRunIds !== undefined && !ownRunIds.has(f.payload?.run_id))));
}
