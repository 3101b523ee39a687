import type { CompiledRoute, CompiledWire, RenderedRequest } from '../core/compiled-wire.js';
import type { Receiver } from '../core/isolation-types.js';
import type { RunRecord } from '../core/run-record.js';
import type { RunTracker } from '../core/run-tracker.js';
import { readPath, type WireValues } from '../core/wire-template.js';
import type { ErrorKind } from '../core/error-kinds.js';
import { StreamCall, type RestResult, type StreamSink } from '../protocol/rest-client.js';
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
  /** Aborted when the user stops at once. */
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
  private readonly open = new Map<RunRecord, StreamCall>();
  /** Resolves `drain` once the last open stream has ended. */
  private drained: (() => void) | undefined;

  constructor(
    private readonly user: StreamsOwner,
    private readonly conns: UserConnections,
  ) {}

  /** Starts a run by its request; what it ended with is the tracker's to tell. */
  start(rec: RunRecord, start: StartByRequest, values: WireValues): void {
    const req = start.request.render(values);
    if (start.events === 'connection') void this.startOnConnection(rec, start, req);
    else void this.startStream(rec, start.request, req);
  }

  /**
   * Cuts the stream of a run that is over for the user (timed out). A turn of
   * the loop later, as drain does: the deadline's timer can fire before the
   * poll phase reads bytes that already arrived, which a cut would discard.
   */
  cut(rec: RunRecord): void {
    const call = this.open.get(rec);
    if (call) setImmediate(cutCall, call);
  }

  /** Cuts every stream (the user stops at once). */
  cutAll(): void {
    for (const call of this.open.values()) call.cut();
  }

  /**
   * Lets the streams of runs that are over end as the server ends them (at
   * most `ms`), and cuts the rest: whatever the server wrote after a terminal
   * event reached this user and is checked, not thrown away by our close.
   */
  async drain(ms: number): Promise<void> {
    if (this.open.size === 0) return;
    // A cut throws away what the socket holds unread. On a lagging loop a timer can fire before the poll
    // phase reads bytes that arrived earlier, so every cut waits one turn of the loop: what the server
    // wrote before we cut is read and checked, as the target counted it.
    await readArrived();
    for (const [rec, call] of this.open) if (rec.outcome === undefined) call.cut();
    if (this.open.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.drained = undefined;
    if (this.open.size > 0) await readArrived();
    this.cutAll();
  }

  private async startOnConnection(rec: RunRecord, start: StartByRequest, req: RenderedRequest): Promise<void> {
    const res = await this.user.call(req);
    if (!res) return this.user.tracker.onErrorFrame(rec, 'NO_TOKEN');
    this.check(res.text);
    if (!res.ok || !start.request.accepts(res.status))
      return this.user.tracker.onErrorFrame(rec, errorCode(res.json, res.status));
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
    const answer = new RunAnswer(this, rec, route);
    this.open.set(rec, answer.call);
    // The user stopped while the token was coming: the stream is cut as soon as it starts.
    if (u.signal().aborted) answer.call.cut();
    await ctx.rest.openStream(req.method, req.path, token, req.body, answer.call, req.headers);
  }

  /** A run's stream came (read by its `RunAnswer`): its sink for the per-frame path. */
  createStream(rec: RunRecord): SseRunStream {
    const stream = new SseRunStream(
      rec.originConn,
      rec.sentAtUs,
      this.user.ctx.reader,
      this.conns,
      this.user.ctx.wire.transport.done,
      MAX_STREAM_BYTES,
    );
    stream.run = rec;
    return stream;
  }

  /** A run's request ended: what it answered and how it ended say how the run ended, unless a terminal event did. */
  ended(
    rec: RunRecord,
    failure: ErrorKind | undefined,
    stream: SseRunStream | undefined,
    refusal: { status: number; text: string } | undefined,
  ): void {
    const u = this.user;
    this.open.delete(rec);
    if (this.open.size === 0) this.drained?.();
    u.metrics.httpRequests.add();
    if (refusal) {
      // An error answered instead of a stream: scanned like any REST answer, and the run failed.
      this.check(refusal.text);
      let json: unknown;
      try {
        json = JSON.parse(refusal.text);
      } catch {
        json = undefined;
      }
      return u.tracker.onErrorFrame(rec, errorCode(json, refusal.status));
    }
    if (!stream) return u.tracker.onErrorFrame(rec, (failure ?? 'network').toUpperCase());
    if (rec.outcome !== undefined) return;
    // No terminal event came: the adapter says what a stream that ends without one means.
    const end = stream.end(failure === undefined);
    if (end === 'done' || (end === 'closed' && u.ctx.wire.transport.endOnClose === 'completed'))
      this.conns.completeByClose(stream, rec);
    else u.tracker.onErrorFrame(rec, end === 'closed' ? 'STREAM_CLOSED' : 'STREAM_BROKEN');
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

const EVENT_STREAM = /^text\/event-stream/i;

/**
 * The answer to one run's start request, as undici reads it: a stream of the
 * run's events fed to its `SseRunStream`, or a refusal read (bounded) whole.
 */
class RunAnswer implements StreamSink {
  readonly call = new StreamCall(this);
  private stream: SseRunStream | undefined;
  private status = 0;
  private refusal: Buffer[] | undefined;
  private refusalBytes = 0;

  constructor(
    private readonly streams: RunStreams,
    private readonly rec: RunRecord,
    private readonly route: CompiledRoute,
  ) {}

  onHead(status: number, contentType: string): void {
    this.status = status;
    if (this.route.accepts(status) && EVENT_STREAM.test(contentType)) this.stream = this.streams.createStream(this.rec);
    else this.refusal = [];
  }

  onChunk(chunk: Buffer): void {
    if (this.stream) {
      if (!this.stream.feed(chunk)) this.call.cut();
      return;
    }
    if (!this.refusal) return;
    this.refusalBytes += chunk.length;
    // Of a refusal, the first MAX_ERROR_BYTES are read and scanned; the rest is cut off.
    if (this.refusalBytes > MAX_ERROR_BYTES) return this.call.cut();
    this.refusal.push(chunk);
  }

  onEnd(failure: ErrorKind | undefined): void {
    const refusal = this.refusal
      ? { status: this.status, text: Buffer.concat(this.refusal).toString('utf8') }
      : undefined;
    this.streams.ended(this.rec, failure, this.stream, refusal);
  }
}

function cutCall(call: StreamCall): void {
  call.cut();
}

/** Resolves after the loop's next poll phase, in which sockets deliver what has already arrived. */
function readArrived(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
