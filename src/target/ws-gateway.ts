import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { TokenVerifier } from './token-verifier.js';
import type { TicketStore } from './ticket-store.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ThreadStore } from './thread-store.js';
import type { AgentRunner } from './agent-runner.js';
import type { ConnectionHub, TargetConnection } from './connection-hub.js';
import type { FaultInjector, RecentMessages } from './fault-injector.js';
import { readUnverifiedSubject } from './token-verifier.js';
import { formatFrame, type Dialect } from './wire-dialect.js';

/** What the WebSocket side needs from the server around it. */
export interface GatewayContext {
  readonly verifier: TokenVerifier;
  readonly tickets: TicketStore;
  readonly limiter: RateLimiter;
  readonly store: ThreadStore;
  readonly runner: AgentRunner;
  readonly hub: ConnectionHub;
  readonly maxFrameBytes: number;
  readonly logger: Logger;
  readonly dialect: Dialect;
  readonly faults: FaultInjector;
  readonly recent: RecentMessages;
}

const SUBPROTOCOL_PREFIX = 'jwt.';

/** Handles `GET /ws` upgrades (auth by any of the four deliveries) and every client frame. */
export class WsGateway {
  private readonly wss: WebSocketServer;

  constructor(private readonly ctx: GatewayContext) {
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

  /** The `upgrade` listener for the HTTP server. */
  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://target');
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found');
    this.authenticate(req, url).then((userId) => {
      if (userId === undefined) return refuse(socket, 401, 'Unauthorized');
      if (socket.destroyed) return;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, userId));
    }, (err: unknown) => {
      this.ctx.logger.error({ err }, 'upgrade failed');
      refuse(socket, 500, 'Internal Server Error');
    });
  };

  /** Closes every connection with 1001 (going away). */
  closeAll(): void {
    for (const c of this.ctx.hub.all()) c.ws.close(1001, 'server shutting down');
    this.wss.close();
  }

  private async authenticate(req: IncomingMessage, url: URL): Promise<string | undefined> {
    const ticket = url.searchParams.get('ticket');
    if (ticket !== null) {
      const owner = this.ctx.tickets.redeem(ticket);
      if (owner === undefined && this.ctx.faults.roll('auth_bypass')) { this.ctx.faults.leaked(1, 'auth_bypass'); return 'anonymous'; }
      return owner;
    }
    let token = url.searchParams.get('token') ?? undefined;
    if (token === undefined) {
      const auth = req.headers.authorization;
      const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
      if (m) token = m[1];
    }
    if (token === undefined) {
      const offered = req.headers['sec-websocket-protocol'];
      if (offered) {
        for (const p of offered.split(',')) {
          const t = p.trim();
          if (t.startsWith(SUBPROTOCOL_PREFIX)) { token = t.slice(SUBPROTOCOL_PREFIX.length); break; }
        }
      }
    }
    const verdict = await this.ctx.verifier.verify(token);
    if (typeof verdict === 'string') {
      if (this.ctx.faults.roll('auth_bypass')) { this.ctx.faults.leaked(1, 'auth_bypass'); return readUnverifiedSubject(token); }
      this.ctx.logger.debug({ reason: verdict }, 'websocket auth refused');
      return undefined;
    }
    return verdict.userId;
  }

  private open(ws: WebSocket, userId: string): void {
    const conn: TargetConnection = { id: `conn_${randomBytes(8).toString('hex')}`, userId, ws };
    this.ctx.hub.add(conn);
    this.ctx.logger.debug({ connection: conn.id }, 'websocket open');
    ws.send(formatFrame(this.ctx.dialect, 'connection_established', { user_id: userId, connection_id: conn.id, server_time: Date.now() }));
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('close', () => this.ctx.hub.remove(conn));
    ws.on('error', () => this.ctx.hub.remove(conn));
  }

  private onFrame(conn: TargetConnection, data: RawData, isBinary: boolean): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
    if (size > this.ctx.maxFrameBytes) return this.sendError(conn, 'TOO_LARGE', `frame over ${this.ctx.maxFrameBytes} bytes`);
    if (isBinary) return this.sendError(conn, 'BAD_MESSAGE', 'frames must be UTF-8 JSON text');
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return this.sendError(conn, 'BAD_MESSAGE', 'frame is not valid JSON');
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return this.sendError(conn, 'BAD_MESSAGE', 'frame must be a JSON object');
    // Clients may write any envelope the dialects allow: {type,payload}, {type,data} or flat.
    const f = frame as { type?: unknown; event?: unknown; payload?: unknown; data?: unknown };
    const type = f.type ?? f.event;
    const body = f.payload ?? f.data;
    const p = (typeof body === 'object' && body !== null ? body : frame) as Record<string, unknown>;
    switch (type) {
      case 'user_message': return this.onUserMessage(conn, p);
      case 'stop_agent':
        if (typeof p.run_id !== 'string') return this.sendError(conn, 'BAD_MESSAGE', 'stop_agent needs payload.run_id');
        if (!this.ctx.runner.stop(conn.userId, p.run_id)) return this.sendError(conn, 'BAD_MESSAGE', 'no such run in flight', { run_id: p.run_id });
        return;
      case 'ping':
        conn.ws.send(formatFrame(this.ctx.dialect, 'pong', { ts: p.ts ?? null }));
        return;
      default:
        return this.sendError(conn, 'BAD_MESSAGE', typeof type === 'string' ? `unknown type "${type}"` : 'frame has no "type"');
    }
  }

  private sendError(conn: TargetConnection, code: string, message: string, extra?: Record<string, unknown>): void {
    if (conn.ws.readyState === 1) conn.ws.send(formatFrame(this.ctx.dialect, 'error', { code, message, ...extra }));
  }

  private onUserMessage(conn: TargetConnection, p: Record<string, unknown>): void {
    const messageId = typeof p.message_id === 'string' && p.message_id !== '' ? p.message_id : `msg_${randomBytes(8).toString('hex')}`;
    if (typeof p.thread_id !== 'string' || typeof p.content !== 'string' || p.content === '') {
      return this.sendError(conn, 'BAD_MESSAGE', 'user_message needs payload.thread_id and a non-empty payload.content', { message_id: messageId });
    }
    const waitMs = this.ctx.limiter.take(conn.userId);
    if (waitMs > 0) return this.sendError(conn, 'RATE_LIMITED', 'too many messages', { message_id: messageId, retry_after_ms: waitMs });
    if (!this.ctx.store.addMessage(conn.userId, p.thread_id, 'user', p.content, messageId)) {
      return this.sendError(conn, 'THREAD_NOT_FOUND', 'thread not found', { message_id: messageId });
    }
    this.ctx.recent.add(conn.userId, p.content);
    this.ctx.runner.start(conn.userId, p.thread_id, messageId, p.content);
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code: status === 401 ? 'AUTH_FAILED' : 'UPGRADE_REFUSED', message: text } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
