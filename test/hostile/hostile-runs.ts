// The hostile backend's agent runs: a user_message on the sender's own thread
// plays agent_started, agent_thinking and agent_completed to every connection
// of its owner, `eventGapMs` apart. After a completed run it can throw the
// garbage burst and one genuine leak, or an over-limit frame, at the sender.
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { sendFrame, type Conn, type HostileContext } from './hostile-context.js';
import { garbageFrames, oversizeFrame } from './hostile-frames.js';
import type { RunInfo } from './hostile-types.js';

/** What a user_message payload may carry; anything else is ignored. */
type UserMessage = { thread_id?: unknown; content?: unknown; message_id?: unknown };

/** Starts a run for each user_message a connection sends. */
export function createRunPlayer(ctx: HostileContext): (c: Conn, p: UserMessage) => void {
  const gapMs = ctx.opts.eventGapMs ?? 20;
  let garbageDone = false;

  const runEvent = (type: string, run: RunInfo, seq: number, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      type,
      payload: {
        user_id: run.userId,
        thread_id: run.threadId,
        run_id: run.runId,
        message_id: run.messageId,
        seq,
        timestamp: Date.now(),
        ...extra,
      },
    });
  const toOwner = (run: RunInfo, text: string): void => {
    for (const c of ctx.conns) if (c.userId === run.userId) sendFrame(ctx, c, text);
  };

  const startRun = (c: Conn, p: UserMessage): void => {
    const threadId = typeof p.thread_id === 'string' ? p.thread_id : '';
    const messageId = typeof p.message_id === 'string' ? p.message_id : '';
    if (ctx.threadOwner.get(threadId) !== c.userId) {
      sendFrame(
        ctx,
        c,
        JSON.stringify({ type: 'error', payload: { code: 'THREAD_NOT_FOUND', message_id: messageId } }),
      );
      return;
    }
    c.hasSent = true;
    const run: RunInfo = { userId: c.userId, threadId, runId: `run_${randomBytes(6).toString('hex')}`, messageId };
    ctx.userEntry(c.userId).runs.push(run);
    ctx.stats.runs++;
    const content = typeof p.content === 'string' ? p.content : '';
    toOwner(run, runEvent('agent_started', run, 0, { agent_name: 'hostile' }));
    // Chained, not two timers of different lengths: on a busy loop Node may fire a due 40 ms timer before a due 20 ms one.
    ctx.later(gapMs, () => {
      toOwner(run, runEvent('agent_thinking', run, 1, { reasoning: `Thinking about: ${content}` }));
      ctx.later(gapMs, () => completeRun(c, run, content));
    });
  };

  const completeRun = (c: Conn, run: RunInfo, content: string): void => {
    toOwner(run, runEvent('agent_completed', run, 2, { result: `Done: ${content}`, execution_time_ms: 2 * gapMs }));
    if (ctx.opts.garbage && !garbageDone) sendGarbage(c);
    if (ctx.opts.oversizeFrame && !ctx.stats.oversize && c.ws.readyState === WebSocket.OPEN) {
      const frame = oversizeFrame();
      ctx.stats.oversize = { to: c.userId, bytes: frame.length };
      sendFrame(ctx, c, frame);
    }
  };

  const sendGarbage = (c: Conn): void => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    let other: RunInfo | undefined;
    for (const [uid, u] of ctx.users)
      if (uid !== c.userId && u.runs.length) {
        other = u.runs[u.runs.length - 1];
        break;
      }
    if (!other) return;
    garbageDone = true;
    const frames: Array<[string | Buffer, boolean]> = [
      ...garbageFrames(),
      // A run that does not exist, with the receiver's own user_id: no owner, so unattributed, never a leak.
      [
        JSON.stringify({
          type: 'agent_thinking',
          payload: {
            user_id: c.userId,
            thread_id: 'thr_ghost_0000',
            run_id: 'run_ghost_0000',
            message_id: 'm-ghost-0000',
            seq: 7,
            timestamp: Date.now(),
            reasoning: 'who am I',
          },
        }),
        false,
      ],
    ];
    for (const [data, binary] of frames) sendFrame(ctx, c, data, binary);
    // The genuine leak, after the garbage: another user's run event, with that user's user_id.
    sendFrame(ctx, c, runEvent('agent_thinking', other, 1, { reasoning: 'this belongs to someone else' }));
    ctx.stats.garbage = {
      to: c.userId,
      leakedFrom: other.userId,
      leakedThread: other.threadId,
      leakedRun: other.runId,
      frames: frames.length,
      atMs: Date.now(),
    };
  };
  return startRun;
}
