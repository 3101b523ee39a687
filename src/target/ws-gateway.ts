import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FrameCodec, TargetConnection } from './connection-hub.js';
import type { GatewayContext, TransportGateway } from './transport-gateway.js';
import { authenticateConnection } from './connection-auth.js';
import { refuseUpgrade } from './http-util.js';
import { admitUserMessage } from './user-message.js';
import { sendWelcome } from './welcome-frame.js';
import { formatFrame, formatFrameAs, type Dialect } from './wire-dialect.js';

/** A ws frame as sent: text, or (faults and noise only) the bytes of a binary frame. */
export type WsFrame = string | Buffer;

/**
 * The ws transport's codec: a frame serialized once in the dialect, sent as
 * is on every connection; its other forms are text too, but for `binary`,
 * the same UTF-8 in a binary frame.
 */
export function createWsCodec(dialect: Dialect): FrameCodec<WsFrame> {
  return {
    encode: (type, payload) => formatFrame(dialect, type, payload),
    encodeForm: (form, type, payload) =>
      form === 'binary'
        ? Buffer.from(formatFrame(dialect, type, payload), 'utf8')
        : formatFrameAs(dialect, form, type, payload),
    binaryFrames: true,
  };
}

/** One WebSocket on the target; carries every run of its user. */
class WsConnection implements TargetConnection<WsFrame> {
  readonly id = `conn_${randomBytes(8).toString('hex')}`;
  readonly runId = undefined;

  constructor(
    readonly userId: string,
    readonly ws: WebSocket,
  ) {}

  isOpen(): boolean {
    return this.ws.readyState === 1;
  }

  /** A string goes as a text frame, a Buffer as a binary one (ws tells them apart). */
  send(frame: WsFrame): void {
    this.ws.send(frame);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  cut(): void {
    this.ws.terminate();
  }
}

const SUBPROTOCOL_PREFIX = 'jwt.';

/** Handles `GET /ws` upgrades (auth by any of the four deliveries) and every client frame. */
export class WsGateway implements TransportGateway {
  private readonly wss: WebSocketServer;

  constructor(private readonly ctx: GatewayContext<WsFrame>) {
    this.wss = new WebSocketServer({
      noServer: true,
      // Frames over the configured maximum are answered TOO_LARGE; only far
      // larger ones make ws close the connection (1009) before buffering them.
      maxPayload: Math.max(ctx.maxFrameBytes * 4, 1024 * 1024),
      perMessageDeflate: false,
      handleProtocols: (protocols) => {
        for (const p of protocols) if (p.startsWith(SUBPROTOCOL_PREFIX)) return p;
        const first = protocols.values().next();
        return first.done ? false : first.value;
      },
    });
  }

  attach(server: Server): void {
    server.on('upgrade', this.onUpgrade);
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://target');
    } catch {
      return refuseUpgrade(socket, 400, 'Bad Request');
    }
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found');
    authenticateConnection(this.ctx, readCredentials(req, url)).then(
      (userId) => {
        if (userId === undefined) return refuseUpgrade(socket, 401, 'Unauthorized');
        if (socket.destroyed) return;
        this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, userId));
      },
      (err: unknown) => {
        this.ctx.logger.error({ err }, 'upgrade failed');
        refuseUpgrade(socket, 500, 'Internal Server Error');
      },
    );
  };

  /** Closes every connection with 1001 (going away). */
  closeAll(): void {
    for (const c of [...this.ctx.hub.all()]) c.close(1001, 'server shutting down');
    this.wss.close();
  }

  private open(ws: WebSocket, userId: string): void {
    const conn = new WsConnection(userId, ws);
    this.ctx.hub.add(conn);
    this.ctx.logger.debug({ connection: conn.id }, 'websocket open');
    sendWelcome(this.ctx, conn);
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('close', () => this.ctx.hub.remove(conn));
    ws.on('error', () => this.ctx.hub.remove(conn));
  }

  private onFrame(conn: WsConnection, data: RawData, isBinary: boolean): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
    if (size > this.ctx.maxFrameBytes)
      return this.sendError(conn, 'TOO_LARGE', `frame over ${this.ctx.maxFrameBytes} bytes`);
    if (isBinary) return this.sendError(conn, 'BAD_MESSAGE', 'frames must be UTF-8 JSON text');
    let frame: unknown;
    try {
      // The server keeps ws's default binaryType 'nodebuffer': Array.isArray above only guards the size.
      frame = JSON.parse((data as Buffer).toString());
    } catch {
      return this.sendError(conn, 'BAD_MESSAGE', 'frame is not valid JSON');
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame))
      return this.sendError(conn, 'BAD_MESSAGE', 'frame must be a JSON object');
    // Clients may write any envelope the dialects allow: {type,payload}, {type,data} or flat.
    const f = frame as { type?: unknown; event?: unknown; payload?: unknown; data?: unknown };
    const type = f.type ?? f.event;
    const body = f.payload ?? f.data;
    const p = (typeof body === 'object' && body !== null ? body : frame) as Record<string, unknown>;
    switch (type) {
      case 'user_message':
        return this.onUserMessage(conn, p);
      case 'stop_agent':
        if (typeof p.run_id !== 'string') return this.sendError(conn, 'BAD_MESSAGE', 'stop_agent needs payload.run_id');
        if (!this.ctx.runner.stop(conn.userId, p.run_id))
          return this.sendError(conn, 'BAD_MESSAGE', 'no such run in flight', { run_id: p.run_id });
        return;
      case 'ping':
        conn.send(this.ctx.hub.encode('pong', { ts: p.ts ?? null }));
        return;
      default:
        return this.sendError(
          conn,
          'BAD_MESSAGE',
          typeof type === 'string' ? `unknown type "${type}"` : 'frame has no "type"',
        );
    }
  }

  private sendError(conn: WsConnection, code: string, message: string, extra?: Record<string, unknown>): void {
    if (conn.isOpen()) conn.send(this.ctx.hub.encode('error', { code, message, ...extra }));
  }

  private onUserMessage(conn: WsConnection, p: Record<string, unknown>): void {
    const m = admitUserMessage(this.ctx, conn.userId, p, true);
    if (!m.ok) {
      return this.sendError(
        conn,
        m.code,
        m.message,
        m.retryAfterMs === undefined
          ? { message_id: m.messageId }
          : { message_id: m.messageId, retry_after_ms: m.retryAfterMs },
      );
    }
    this.ctx.runner.start(conn.userId, m.threadId, m.messageId, m.content);
  }
}

/** Where the client put its token or ticket: `?ticket=`, `?token=`, `Authorization: Bearer`, or a `jwt.<token>` subprotocol. */
function readCredentials(req: IncomingMessage, url: URL): { ticket?: string; token?: string } {
  const ticket = url.searchParams.get('ticket');
  if (ticket !== null) return { ticket };
  const query = url.searchParams.get('token');
  if (query !== null) return { token: query };
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  if (m) return { token: m[1]! };
  const offered = req.headers['sec-websocket-protocol'];
  if (offered) {
    for (const p of offered.split(',')) {
      const t = p.trim();
      if (t.startsWith(SUBPROTOCOL_PREFIX)) return { token: t.slice(SUBPROTOCOL_PREFIX.length) };
    }
  }
  return {};
}
