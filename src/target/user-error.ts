import type { ServerResponse } from 'node:http';
import type { FaultInjector } from './fault-injector.js';
import { sendError, sendJson } from './http-util.js';
import type { ThreadStore } from './thread-store.js';

/** What {@link sendUserError} needs. */
export interface UserErrorContext {
  readonly store: ThreadStore;
  readonly faults: FaultInjector;
}

/**
 * Answers an authenticated request with protocol.md's error shape. The
 * `rest_error` fault makes the error body carry another user's thread, as a
 * backend that puts "helpful" context into its errors does; the two forms
 * alternate: `error.details: { thread_id, title }`, then the id and quoted
 * title inside `error.message` (`thread not found (nearest match: thr_… "title")`).
 * The thread is another user's, titled when one is, and never the one the
 * request named (`requestedThreadId`), which an honest error may echo. Each
 * such answer counts as one leak.
 */
export function sendUserError(
  ctx: UserErrorContext,
  userId: string,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  requestedThreadId?: string,
): void {
  const foreign = ctx.faults.roll('rest_error') ? ctx.store.foreignThreadFor(userId, requestedThreadId) : undefined;
  if (foreign === undefined) return sendError(res, status, code, message);
  const error =
    ctx.faults.turn('rest_error') % 2 === 0
      ? { code, message, details: { thread_id: foreign.id, title: foreign.title } }
      : { code, message: `${message} (nearest match: ${foreign.id} ${JSON.stringify(foreign.title ?? 'untitled')})` };
  sendJson(res, status, { error });
  ctx.faults.leaked(1, 'rest_error');
}
