import type { CompiledRoute, CompiledWire, RenderedRequest } from '../core/compiled-wire.js';
import type { Receiver } from '../core/isolation-oracle.js';
import type { RunRecord, RunTracker } from '../core/run-tracker.js';
import { readPath, type WireValues } from '../core/wire-template.js';
import type { RestResult } from '../protocol/rest-client.js';
import { readBounded } from '../protocol/read-bounded.js';
import { SseRunStream } from '../protocol/sse-stream.js';
import { TokenError } from '../protocol/token-provider.js';
import type { RunContext } from './run-context.js';
import type { UserConnections } from './user-connections.js';

/** A run stream's answers are bounded like REST bodies: a target cannot make the generator buffer without end. */
const MAX_STREAM_BYTES = 64 * 1024 * 1024;
/** Of an answer that is not a stream (an error), this much is read and scanned. */
const MAX_ERROR_BYTES = 1024 * 1024;

/** What run streams need from the user that starts them. */
export interface StreamsOwner {
  readonly ctx: RunContext;
  readonly userId: string;
  readonly tracker: RunTracker;
  readonly receiver: Receiver;
  readonly metrics: { readonly httpRequests: { add(): void }; readonly restChecked: { add(): void } };
  fail(kind: string, detail: string): void;
  signal(): AbortSignal;
  /** Sends a request as this user (token and all); undefined when no token could be had. */
  call(req: RenderedRequest): Promise<RestResult | undefined>;
}

type StartByRequest = Extract<CompiledWire['start'], { request: CompiledRoute }>;

/**
 * Runs started by an HTTP request (adapters whose `start` is a `request`):
 * either the answer is the run's Server-Sent Events stream, read here frame
 * by frame into the user's per-frame path, or the answer only says the run
 * started and its events come on the open connection.
 */
export class RunStreams {
  private readonly open = new Map<RunRecord, { stream?: SseRunStream; ctl: AbortController }>();

  constructor(private readonly user: StreamsOwner, private readonly conns: UserConnections) {}

  /** Starts a run by its request; what it ended with is the tracker's to tell. */
  start(rec: RunRecord, start: StartByRequest, values: WireValues): void {
    const req = start.request.render(values);
    if (start.events === 'connection') void this.startOnConnection(rec, start, req);
    else void this.startStream(rec, start.request, req);
  }

  /** Cuts the stream of a run that is over for the user (timed out). */
  cut(rec: RunRecord): void {
    this.open.get(rec)?.ctl.abort();
  }

  /** Cuts every stream (the user stops or moves on). */
  cutAll(): void {
    for (const s of this.open.values()) s.ctl.abort();
  }

  private async startOnConnection(rec: RunRecord, start: StartByRequest, req: RenderedRequest): Promise<void> {
    const res = await this.user.call(req);
    if (!res) return this.user.tracker.onErrorFrame(rec, 'NO_TOKEN');
    this.check(res.text);
    if (!res.ok || !start.request.accepts(res.status!)) return this.user.tracker.onErrorFrame(rec, errorCode(res.json, res.status));
    const runId = start.runId === undefined ? undefined : readPath(res.json, start.runId);
    if (typeof runId === 'string') this.user.tracker.learnRunId(rec, runId);
  }

  private async startStream(rec: RunRecord, route: CompiledRoute, req: RenderedRequest): Promise<void> {
    const u = this.user;
    const ctx = u.ctx;
    let token: string;
    try {
      token = await ctx.tokens.token(u.userId);
    } catch (err) {
      u.fail(err instanceof TokenError ? err.kind : 'token_failed', (err as Error).message);
      return u.tracker.onErrorFrame(rec, 'NO_TOKEN');
    }
    const ctl = new AbortController();
    const outer = u.signal();
    const onOuter = (): void => ctl.abort();
    if (outer.aborted) ctl.abort();
    else outer.addEventListener('abort', onOuter, { once: true });
    const entry: { stream?: SseRunStream; ctl: AbortController } = { ctl };
    this.open.set(rec, entry);
    try {
      const answer = await ctx.rest.stream(req.method, req.path, token, req.body, ctl.signal, req.headers);
      u.metrics.httpRequests.add();
      if (!answer.ok) return u.tracker.onErrorFrame(rec, answer.kind.toUpperCase());
      if (!route.accepts(answer.status) || !/^text\/event-stream/i.test(answer.contentType)) {
        // An error answered instead of a stream: scanned like any REST answer, and the run failed.
        const text = await readBounded(answer.body, MAX_ERROR_BYTES);
        this.check(text);
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        return u.tracker.onErrorFrame(rec, errorCode(json, answer.status));
      }
      const t = ctx.wire.transport;
      const stream = new SseRunStream(rec.originConn, rec.sentAtUs, ctx.reader, this.conns, t.done, MAX_STREAM_BYTES);
      stream.run = rec;
      entry.stream = stream;
      const end = await stream.read(answer);
      if (rec.outcome !== undefined) return;
      // No terminal event came: the adapter says what a stream that ends without one means.
      if (end === 'done' || (end === 'closed' && t.endOnClose === 'completed')) this.conns.completeByClose(stream, rec);
      else u.tracker.onErrorFrame(rec, end === 'closed' ? 'STREAM_CLOSED' : 'STREAM_BROKEN');
    } finally {
      this.open.delete(rec);
      outer.removeEventListener('abort', onOuter);
    }
  }

  /** Scans an answer for other users' data. */
  private check(text: string): void {
    const ctx = this.user.ctx;
    if (!ctx.checks || !text) return;
    ctx.isolation.checkBody(this.user.receiver, text, Date.now(), 'send_message');
    this.user.metrics.restChecked.add();
  }
}

/** The error code of an answer that refused a run: its `error.code` or `code`, else its status. */
function errorCode(json: unknown, status: number | undefined): string {
  const c = readPath(json, 'error.code') ?? readPath(json, 'code');
  return typeof c === 'string' ? c : `HTTP_${status ?? 'NONE'}`;
}
