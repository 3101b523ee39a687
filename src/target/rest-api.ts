import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { SignJWT } from 'jose';
import { bearerToken, isPlainObject, readJsonBody, sendError, sendJson } from './http-util.js';
import type { ThreadStore } from './thread-store.js';
import type { TokenVerifier } from './token-verifier.js';
import type { TicketStore } from './ticket-store.js';
import type { RateLimiter } from './rate-limiter.js';
import type { FaultInjector } from './fault-injector.js';
import { readUnverifiedSubject } from './token-verifier.js';
import type { RunRoutes } from './transport-gateway.js';
import { sendUserError } from './user-error.js';

/** What the REST handler needs from the server around it. */
export interface RestContext {
  readonly store: ThreadStore;
  readonly verifier: TokenVerifier;
  readonly tickets: TicketStore;
  readonly limiter: RateLimiter;
  readonly secret: string;
  readonly testLogin: boolean;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly health: () => Record<string, unknown>;
  readonly faults: FaultInjector;
  /** The run routes of the served transport (SSE), behind the same auth, faults and rate limit. */
  readonly runRoutes?: RunRoutes;
}

/** Answers the request with an error (status, code, message). */
type ErrorAnswer = (status: number, code: string, message: string) => void;

const THREAD_PATH = /^\/api\/threads\/([^/]+)$/;
const MESSAGES_PATH = /^\/api\/threads\/([^/]+)\/messages$/;
const TITLE_MAX = 1000;

/** Builds the request handler for every REST endpoint of protocol.md. */
export function createRestHandler(ctx: RestContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      ctx.logger.error({ err }, 'request failed');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'internal error');
      else res.destroy();
    });
  };
}

async function handle(ctx: RestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://target');
  } catch {
    req.resume();
    return sendError(res, 400, 'BAD_REQUEST', 'request target is not a valid URL');
  }
  const path = url.pathname;
  const method = req.method ?? 'GET';
  ctx.logger.debug({ method, path }, 'request');

  if (path === '/health' && method === 'GET') return sendJson(res, 200, { status: 'ok', ...ctx.health() });
  if (path === '/auth/test-login') {
    if (!ctx.testLogin)
      return sendError(res, 404, 'NOT_FOUND', 'test login is disabled (start the target with --test-login)');
    if (method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
    return testLogin(ctx, req, res);
  }
  // What the isolation faults leaked, for checking the simulator against the truth (test mode only).
  if (path === '/auth/test-leaks') {
    if (!ctx.testLogin)
      return sendError(res, 404, 'NOT_FOUND', 'test endpoints are disabled (start the target with --test-login)');
    req.resume();
    return sendJson(res, 200, ctx.faults.leaks());
  }
  if (!path.startsWith('/api/')) return sendError(res, 404, 'NOT_FOUND', `no route ${method} ${path}`);

  const token = bearerToken(req);
  const verdict = await ctx.verifier.verify(token);
  let userId: string;
  if (typeof verdict === 'string') {
    if (ctx.faults.roll('auth_bypass')) {
      userId = readUnverifiedSubject(token);
      ctx.faults.leaked(1, 'auth_bypass');
    } else {
      req.resume();
      return sendError(res, 401, 'AUTH_FAILED', `token refused: ${verdict}`, { 'www-authenticate': 'Bearer' });
    }
  } else {
    userId = verdict.userId;
  }
  if (ctx.faults.roll('http_500')) {
    req.resume();
    return sendError(res, 500, 'INTERNAL', 'injected failure');
  }
  const caller = userId;
  let requested: string | undefined;
  // Errors from here on answer an authenticated user: the rest_error fault can put another user's thread in them.
  const fail = (status: number, code: string, message: string): void =>
    sendUserError(ctx, caller, res, status, code, message, requested);
  const waitMs = ctx.limiter.take(userId);
  if (waitMs > 0) {
    req.resume();
    return sendError(res, 429, 'RATE_LIMITED', 'too many requests', {
      'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
    });
  }

  if (ctx.runRoutes && (await ctx.runRoutes(userId, method, path, req, res))) return;
  if (path === '/api/websocket/ticket') {
    if (method !== 'POST') return fail(405, 'METHOD_NOT_ALLOWED', 'use POST');
    req.resume();
    return sendJson(res, 200, ctx.tickets.issue(userId));
  }
  if (path === '/api/threads') {
    if (method === 'POST') return createThread(ctx, userId, req, res, fail);
    if (method === 'GET') {
      const page = readPage(url, 20, 100);
      if (typeof page === 'string') return fail(400, 'BAD_REQUEST', page);
      const list = ctx.store.list(userId, page.limit, page.offset);
      if (ctx.faults.roll('rest_list')) {
        const foreign = ctx.store.anyThreadNotOf(userId);
        if (foreign) {
          list.push(foreign);
          ctx.faults.leaked(1, 'rest_list');
        }
      }
      return sendJson(res, 200, list);
    }
    return fail(405, 'METHOD_NOT_ALLOWED', 'use GET or POST');
  }
  let m = MESSAGES_PATH.exec(path);
  if (m) {
    const threadId = decodeSegment(m[1]!);
    if (threadId === undefined) {
      req.resume();
      return fail(404, 'THREAD_NOT_FOUND', 'thread not found');
    }
    requested = threadId;
    userId = applyIdor(ctx, userId, threadId);
    if (method === 'GET') {
      const page = readPage(url, 50, 100);
      if (typeof page === 'string') return fail(400, 'BAD_REQUEST', page);
      const found = ctx.store.messages(userId, threadId, page.limit, page.offset);
      if (!found) return fail(404, 'THREAD_NOT_FOUND', 'thread not found');
      return sendJson(res, 200, { thread_id: threadId, messages: found.messages, total: found.total });
    }
    if (method === 'POST') {
      const body = await readJsonBody(req, ctx.maxBodyBytes);
      if (!body.ok) return fail(body.status, body.code, body.message);
      if (!isPlainObject(body.value) || typeof body.value.content !== 'string' || body.value.content === '') {
        return fail(400, 'BAD_REQUEST', 'expected { "content": non-empty string }');
      }
      const msg = ctx.store.addMessage(userId, threadId, 'user', body.value.content);
      if (!msg) return fail(404, 'THREAD_NOT_FOUND', 'thread not found');
      return sendJson(res, 201, msg);
    }
    return fail(405, 'METHOD_NOT_ALLOWED', 'use GET or POST');
  }
  m = THREAD_PATH.exec(path);
  if (m) {
    const threadId = decodeSegment(m[1]!);
    if (threadId === undefined) {
      req.resume();
      return fail(404, 'THREAD_NOT_FOUND', 'thread not found');
    }
    requested = threadId;
    userId = applyIdor(ctx, userId, threadId);
    if (method === 'GET') {
      const t = ctx.store.get(userId, threadId);
      return t ? sendJson(res, 200, t) : fail(404, 'THREAD_NOT_FOUND', 'thread not found');
    }
    if (method === 'PUT' || method === 'PATCH') {
      const body = await readJsonBody(req, ctx.maxBodyBytes);
      if (!body.ok) return fail(body.status, body.code, body.message);
      const patch = readThreadBody(body.value);
      if (typeof patch === 'string') return fail(400, 'BAD_REQUEST', patch);
      const t = ctx.store.update(userId, threadId, patch);
      return t ? sendJson(res, 200, t) : fail(404, 'THREAD_NOT_FOUND', 'thread not found');
    }
    if (method === 'DELETE') {
      req.resume();
      const t = ctx.store.archive(userId, threadId);
      return t ? sendJson(res, 200, { id: t.id, status: t.status }) : fail(404, 'THREAD_NOT_FOUND', 'thread not found');
    }
    return fail(405, 'METHOD_NOT_ALLOWED', 'use GET, PUT or DELETE');
  }
  req.resume();
  return fail(404, 'NOT_FOUND', `no route ${method} ${path}`);
}

async function createThread(
  ctx: RestContext,
  userId: string,
  req: IncomingMessage,
  res: ServerResponse,
  fail: ErrorAnswer,
): Promise<void> {
  const body = await readJsonBody(req, ctx.maxBodyBytes);
  if (!body.ok) return fail(body.status, body.code, body.message);
  const fields = readThreadBody(body.value);
  if (typeof fields === 'string') return fail(400, 'BAD_REQUEST', fields);
  sendJson(res, 201, ctx.store.create(userId, fields.title ?? null, fields.metadata ?? {}));
}

function readThreadBody(v: unknown): { title?: string | null; metadata?: Record<string, unknown> } | string {
  if (!isPlainObject(v)) return 'expected a JSON object { "title"?, "metadata"? }';
  const out: { title?: string | null; metadata?: Record<string, unknown> } = {};
  if (v.title !== undefined) {
    if (v.title !== null && typeof v.title !== 'string') return '"title" must be a string';
    if (typeof v.title === 'string' && v.title.length > TITLE_MAX)
      return `"title" is longer than ${TITLE_MAX} characters`;
    out.title = v.title;
  }
  if (v.metadata !== undefined) {
    if (!isPlainObject(v.metadata)) return '"metadata" must be an object';
    out.metadata = v.metadata;
  }
  return out;
}

/** The idor fault: an access by id skips the ownership check (answers as the thread's owner). */
function applyIdor(ctx: RestContext, userId: string, threadId: string): string {
  if (ctx.store.get(userId, threadId) || !ctx.faults.roll('idor')) return userId;
  const owner = ctx.store.ownerOf(threadId);
  if (owner === undefined) return userId;
  ctx.faults.leaked(1, 'idor');
  return owner;
}

/** A path segment decoded, or undefined when its percent-encoding is broken (no such thread). */
function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function readPage(url: URL, defLimit: number, maxLimit: number): { limit: number; offset: number } | string {
  const l = url.searchParams.get('limit');
  const o = url.searchParams.get('offset');
  const limit = l === null ? defLimit : Number(l);
  const offset = o === null ? 0 : Number(o);
  if (!Number.isInteger(limit) || limit < 1) return '"limit" must be a positive integer';
  if (!Number.isInteger(offset) || offset < 0) return '"offset" must be a non-negative integer';
  return { limit: Math.min(limit, maxLimit), offset };
}

async function testLogin(ctx: RestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, ctx.maxBodyBytes);
  if (!body.ok) return sendError(res, body.status, body.code, body.message);
  if (!isPlainObject(body.value) || typeof body.value.user_id !== 'string' || body.value.user_id === '') {
    return sendError(res, 400, 'BAD_REQUEST', 'expected { "user_id": non-empty string }');
  }
  const expiresIn = 900;
  const token = await new SignJWT({ type: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(body.value.user_id)
    .setIssuedAt()
    .setExpirationTime(`${expiresIn}s`)
    .sign(new TextEncoder().encode(ctx.secret));
  sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn });
}
