import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { newRunId, type AgentRun } from './agent-runner.js';
import type { FrameCodec, TargetConnection } from './connection-hub.js';
import { isPlainObject, readJsonBody, refuseUpgrade, sendJson } from './http-util.js';
import type { GatewayContext, RunRoutes, TransportGateway } from './transport-gateway.js';
import { admitUserMessage } from './user-message.js';
import { sendUserError } from './user-error.js';
import { formatFrame, formatFrameAs, type Dialect } from './wire-dialect.js';

/** One SSE event as written, and the run it ends when it is that run's terminal event. */
export interface SseFrame {
  readonly text: string;
  readonly endsRun: string | undefined;
}

const TERMINAL: ReadonlySet<string> = new Set(['agent_completed', 'agent_error', 'agent_stopped']);
const STREAM_PATH = /^\/api\/threads\/([^/]+)\/runs\/stream$/;
const STOP_PATH = /^\/api\/runs\/([^/]+)\/stop$/;
/** A reader this far behind is cut rather than buffered for (a test server; a real one would too). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/**
 * A stream whose terminal event never came (dropped or misrouted by a fault)
 * ends this long after its run did: past the longest `delay` fault (3 s), so
 * delayed events still make it.
 */
const END_GRACE_MS = 5000;

/**
 * The sse transport's codec: `event: <type>`, `id: <seq>` (run events only)
 * and the frame as the ws transport would send it, in the dialect, on one
 * `data:` line (JSON.stringify escapes every newline). Made once per frame.
 * Its other forms change only the `data:` line; SSE has no binary frames.
 */
export function createSseCodec(dialect: Dialect): FrameCodec<SseFrame> {
  return {
    encode: (type, payload) => sseFrame(type, payload, formatFrame(dialect, type, payload)),
    encodeForm: (form, type, payload) => {
      if (form === 'binary') throw new Error('SSE has no binary frames');
      return sseFrame(type, payload, formatFrameAs(dialect, form, type, payload));
    },
    binaryFrames: false,
  };
}

function sseFrame(type: string, payload: Record<string, unknown>, data: string): SseFrame {
  const text =
    typeof payload.seq === 'number'
      ? `event: ${type}\nid: ${payload.seq}\ndata: ${data}\n\n`
      : `event: ${type}\ndata: ${data}\n\n`;
  return { text, endsRun: TERMINAL.has(type) && typeof payload.run_id === 'string' ? payload.run_id : undefined };
}

/** One run's event stream, a connection of its user while it is open. */
class SseStream implements TargetConnection<SseFrame> {
  readonly id = `sse_${randomBytes(8).toString('hex')}`;
  /** Set once the run's terminal event is written; the response ends on the next turn of the loop. */
  ending = false;
  private closed = false;

  constructor(
    readonly userId: string,
    readonly runId: string,
    private readonly res: ServerResponse,
  ) {}

  isOpen(): boolean {
    return !this.closed && !this.res.writableEnded && !this.res.destroyed;
  }

  send(frame: SseFrame): void {
    this.res.write(frame.text);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) return this.cut();
    // Ended a turn later, so what the same delivery writes right after (a duplicate,
    // an event a reorder fault held back) still goes out, as it would on ws.
    if (frame.endsRun === this.runId && !this.ending) {
      this.ending = true;
      setImmediate(endResponse, this.res);
    }
  }

  /**
   * SSE has no close frame: the connection is closed after what was written,
   * mid-response (no terminal event, no end of the chunked body), as a
   * crashed backend or a cut proxy would.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.res.socket;
    if (socket) socket.end();
    else this.res.destroy();
  }

  cut(): void {
    this.closed = true;
    this.res.destroy();
  }

  /** Ends the stream cleanly where it stands (no terminal event). */
  end(): void {
    if (this.isOpen()) this.res.end();
  }
}

function endResponse(res: ServerResponse): void {
  if (!res.writableEnded && !res.destroyed) res.end();
}

function endStream(stream: SseStream): void {
  stream.end();
}

/**
 * Serves agent runs over Server-Sent Events: `POST /api/threads/:id/runs/stream`
 * answers one run as an event stream that ends after its terminal event;
 * `POST /api/runs/:id/stop` stops it. Each open stream is a hub connection of
 * its user, so faults land on streams exactly as on WebSockets.
 */
export class SseGateway implements TransportGateway {
  private readonly streams = new Map<string, SseStream>();

  constructor(private readonly ctx: GatewayContext<SseFrame>) {}

  /** No WebSocket on an SSE target: every upgrade is answered 404. */
  attach(server: Server): void {
    server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => socket.destroy());
      refuseUpgrade(socket, 404, 'Not Found');
    });
  }

  readonly runRoutes: RunRoutes = async (userId, method, path, req, res) => {
    let m = STREAM_PATH.exec(path);
    if (m) {
      if (method !== 'POST') {
        req.resume();
        sendUserError(this.ctx, userId, res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
        return true;
      }
      await this.openStream(userId, decodeSegment(m[1]!), req, res);
      return true;
    }
    m = STOP_PATH.exec(path);
    if (m) {
      req.resume();
      if (method !== 'POST') {
        sendUserError(this.ctx, userId, res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
        return true;
      }
      const runId = decodeSegment(m[1]!);
      if (runId === undefined || !this.ctx.runner.stop(userId, runId))
        sendUserError(this.ctx, userId, res, 404, 'RUN_NOT_FOUND', 'run not found');
      else sendJson(res, 202, { run_id: runId, status: 'stopping' });
      return true;
    }
    return false;
  };

  runFinished(run: AgentRun): void {
    const stream = this.streams.get(run.id);
    if (stream && !stream.ending) setTimeout(endStream, END_GRACE_MS, stream).unref();
  }

  closeAll(): void {
    for (const s of [...this.streams.values()]) s.cut();
  }

  private async openStream(
    userId: string,
    threadId: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const body = await readJsonBody(req, this.ctx.maxBodyBytes);
    if (!body.ok) return sendUserError(this.ctx, userId, res, body.status, body.code, body.message, threadId);
    const v = body.value;
    if (
      !isPlainObject(v) ||
      typeof v.content !== 'string' ||
      v.content === '' ||
      (v.message_id !== undefined && (typeof v.message_id !== 'string' || v.message_id === ''))
    ) {
      return sendUserError(
        this.ctx,
        userId,
        res,
        400,
        'BAD_REQUEST',
        'expected { "content": non-empty string, "message_id"?: non-empty string }',
        threadId,
      );
    }
    if (threadId === undefined)
      return sendUserError(this.ctx, userId, res, 404, 'THREAD_NOT_FOUND', 'thread not found');
    const m = admitUserMessage(
      this.ctx,
      userId,
      { thread_id: threadId, content: v.content, message_id: v.message_id },
      false,
    );
    if (!m.ok)
      return sendUserError(
        this.ctx,
        userId,
        res,
        m.code === 'THREAD_NOT_FOUND' ? 404 : 400,
        m.code,
        m.message,
        threadId,
      );
    if (res.destroyed) return;
    const runId = newRunId();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const stream = new SseStream(userId, runId, res);
    this.ctx.hub.add(stream);
    this.streams.set(runId, stream);
    res.on('close', () => {
      this.ctx.hub.remove(stream);
      this.streams.delete(runId);
      // A reader that went away cancels its run, as closing a chat tab stops the agent
      // (a no-op when the run already ended).
      if (this.ctx.runner.stop(userId, runId)) this.ctx.logger.debug({ run: runId }, 'sse reader gone; run cancelled');
    });
    // Registered before the run starts: an instant run emits every event inside start().
    this.ctx.runner.start(userId, m.threadId, m.messageId, m.content, runId);
  }
}

/** A path segment decoded, or undefined when its percent-encoding is broken. */
function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
