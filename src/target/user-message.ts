import { randomBytes } from 'node:crypto';
import type { RateLimiter } from './rate-limiter.js';
import type { ThreadStore } from './thread-store.js';
import type { RecentMessages } from './fault-injector.js';

/** A user message that may start a run: stored in its thread, remembered for the `content` fault. */
export interface AdmittedMessage {
  readonly ok: true;
  readonly threadId: string;
  readonly content: string;
  readonly messageId: string;
}

/** Why a user message starts no run, with protocol.md's `error` code. */
export interface RefusedMessage {
  readonly ok: false;
  readonly code: 'BAD_MESSAGE' | 'RATE_LIMITED' | 'THREAD_NOT_FOUND';
  readonly message: string;
  readonly messageId: string;
  readonly retryAfterMs?: number;
}

/** What {@link admitUserMessage} needs. */
export interface AdmitContext {
  readonly limiter: RateLimiter;
  readonly store: ThreadStore;
  readonly recent: RecentMessages;
}

/**
 * Checks a `user_message` payload `{ thread_id, content, message_id? }`
 * (a missing message id is made up), takes a rate-limit token unless the
 * caller already did (a REST route), and stores the message in the
 * caller's thread. The same checks on every transport; the caller then
 * starts the run.
 */
export function admitUserMessage(
  ctx: AdmitContext,
  userId: string,
  p: Record<string, unknown>,
  takeRateLimit: boolean,
): AdmittedMessage | RefusedMessage {
  const messageId =
    typeof p.message_id === 'string' && p.message_id !== '' ? p.message_id : `msg_${randomBytes(8).toString('hex')}`;
  if (typeof p.thread_id !== 'string' || typeof p.content !== 'string' || p.content === '') {
    return {
      ok: false,
      code: 'BAD_MESSAGE',
      message: 'user_message needs payload.thread_id and a non-empty payload.content',
      messageId,
    };
  }
  if (takeRateLimit) {
    const waitMs = ctx.limiter.take(userId);
    if (waitMs > 0)
      return { ok: false, code: 'RATE_LIMITED', message: 'too many messages', messageId, retryAfterMs: waitMs };
  }
  if (!ctx.store.addMessage(userId, p.thread_id, 'user', p.content, messageId)) {
    return { ok: false, code: 'THREAD_NOT_FOUND', message: 'thread not found', messageId };
  }
  ctx.recent.add(userId, p.content);
  return { ok: true, threadId: p.thread_id, content: p.content, messageId };
}
