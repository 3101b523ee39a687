import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Server as IoServer, type Socket } from 'socket.io';
import type { FrameCodec, TargetConnection } from './connection-hub.js';
import { authenticateConnection, type ConnectionCredentials } from './connection-auth.js';
import { isPlainObject, refuseUpgrade } from './http-util.js';
import type { GatewayContext, TransportGateway } from './transport-gateway.js';
import { admitUserMessage } from './user-message.js';
import { sendWelcome } from './welcome-frame.js';

/**
 * A Socket.IO event: named by the frame type, with the frame's payload as its
 * one argument (an object; in the faults' and noise's forms a JSON string, a
 * Buffer, or an array).
 */
export interface SocketIoFrame {
  readonly type: string;
  readonly payload: unknown;
}

/**
 * The socketio transport's codec; dialects do not apply (the event name
 * carries the type). Its forms reshape the one argument: the payload's JSON
 * as a string (both string forms: the frame is the event, so the payload is
 * all a backend can double-encode), the same JSON as a Buffer (a binary
 * attachment), or the payload inside an array.
 */
export const socketIoCodec: FrameCodec<SocketIoFrame> = {
  encode: (type, payload) => ({ type, payload }),
  encodeForm: (form, type, payload) => {
    switch (form) {
      case 'binary':
        return { type, payload: Buffer.from(JSON.stringify(payload), 'utf8') };
      case 'array':
        return { type, payload: [payload] };
      default:
        return { type, payload: JSON.stringify(payload) };
    }
  },
  binaryFrames: true,
};

const PATH = '/socket.io/';
/** ws's OPEN readyState. */
const WS_OPEN = 1;
/** engine.io's WebSocket transport keeps its ws socket in a field it does not type; polling has none. */
interface EngineWsTransport {
  readonly socket?: { readonly readyState: number };
}
const CLIENT_EVENTS: ReadonlySet<string> = new Set(['user_message', 'stop_agent', 'ping']);

/** One Socket.IO socket on the target; carries every run of its user. */
class SocketIoConnection implements TargetConnection<SocketIoFrame> {
  readonly id = `conn_${randomBytes(8).toString('hex')}`;
  readonly runId = undefined;

  constructor(
    readonly userId: string,
    private readonly socket: Socket,
  ) {}

  /**
   * True while a frame emitted now is written. Socket.IO calls a socket
   * connected until its transport has closed, a round trip after the client's
   * close frame came in; an emit in between reaches a WebSocket that is
   * closing, which drops it unwritten (engine.io's "write error"). Such a
   * frame was never delivered, so it is not sent nor counted.
   */
  isOpen(): boolean {
    if (!this.socket.connected) return false;
    const ws = (this.socket.conn.transport as unknown as EngineWsTransport).socket;
    return ws === undefined || ws.readyState === WS_OPEN;
  }

  send(frame: SocketIoFrame): void {
    this.socket.emit(frame.type, frame.payload);
  }

  /** Socket.IO has no close codes: the server disconnects the socket and its connection. */
  close(): void {
    this.socket.disconnect(true);
  }

  cut(): void {
    this.socket.disconnect(true);
  }
}

/**
 * Serves agent runs over Socket.IO v4 at `/socket.io/` (default namespace):
 * auth in the handshake, client events `user_message`, `stop_agent`, `ping`,
 * server events named by frame type. Refused handshakes get a connect_error
 * whose message is `AUTH_FAILED`.
 */
export class SocketIoGateway implements TransportGateway {
  private io: IoServer | undefined;

  constructor(private readonly ctx: GatewayContext<SocketIoFrame>) {}

  attach(server: Server): void {
    const io = new IoServer(server, {
      path: PATH,
      serveClient: false,
      // Upgrades elsewhere (a WebSocket client at /ws) are answered 404 below, not left hanging.
      destroyUpgrade: false,
      // As ws: frames over the maximum are answered TOO_LARGE; only far larger ones drop the socket.
      maxHttpBufferSize: Math.max(this.ctx.maxFrameBytes * 4, 1024 * 1024),
      perMessageDeflate: false,
    });
    io.use((socket, next) => {
      authenticateConnection(this.ctx, readCredentials(socket)).then(
        (userId) => {
          if (userId === undefined) return next(new Error('AUTH_FAILED'));
          (socket.data as { userId?: string }).userId = userId;
          next();
        },
        (err: unknown) => {
          this.ctx.logger.error({ err }, 'socket.io handshake failed');
          next(new Error('INTERNAL'));
        },
      );
    });
    io.on('connection', (socket) => this.open(socket));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      if (req.url?.startsWith(PATH)) return;
      socket.on('error', () => socket.destroy());
      refuseUpgrade(socket, 404, 'Not Found');
    });
    this.io = io;
  }

  /** Disconnects every socket; the HTTP server is closed by its owner. */
  closeAll(): void {
    for (const c of [...this.ctx.hub.all()]) c.close(1001, 'server shutting down');
    this.io?.engine.close();
  }

  private open(socket: Socket): void {
    const userId = (socket.data as { userId: string }).userId;
    const conn = new SocketIoConnection(userId, socket);
    const { hub } = this.ctx;
    hub.add(conn);
    this.ctx.logger.debug({ connection: conn.id }, 'socket.io open');
    socket.on('disconnect', () => hub.remove(conn));
    sendWelcome(this.ctx, conn);
    socket.on('user_message', (p: unknown) => {
      const checked = this.checkPayload(conn, p, 'user_message');
      if (!checked) return;
      const m = admitUserMessage(this.ctx, userId, checked, true);
      if (!m.ok)
        return this.sendError(
          conn,
          m.code,
          m.message,
          m.retryAfterMs === undefined
            ? { message_id: m.messageId }
            : { message_id: m.messageId, retry_after_ms: m.retryAfterMs },
        );
      this.ctx.runner.start(userId, m.threadId, m.messageId, m.content);
    });
    socket.on('stop_agent', (p: unknown) => {
      const checked = this.checkPayload(conn, p, 'stop_agent');
      if (!checked) return;
      if (typeof checked.run_id !== 'string') return this.sendError(conn, 'BAD_MESSAGE', 'stop_agent needs run_id');
      if (!this.ctx.runner.stop(userId, checked.run_id))
        this.sendError(conn, 'BAD_MESSAGE', 'no such run in flight', { run_id: checked.run_id });
    });
    socket.on('ping', (p: unknown) => {
      conn.send(hub.encode('pong', { ts: isPlainObject(p) ? (p.ts ?? null) : null }));
    });
    socket.onAny((event: unknown) => {
      if (typeof event !== 'string' || !CLIENT_EVENTS.has(event))
        this.sendError(conn, 'BAD_MESSAGE', `unknown type "${String(event)}"`);
    });
  }

  /** The payload as an object, or undefined after answering BAD_MESSAGE / TOO_LARGE. */
  private checkPayload(conn: SocketIoConnection, p: unknown, type: string): Record<string, unknown> | undefined {
    if (!isPlainObject(p) || ArrayBuffer.isView(p)) {
      this.sendError(conn, 'BAD_MESSAGE', `${type} takes one JSON object argument`);
      return undefined;
    }
    // Measured as the JSON a WebSocket client would have sent, so --max-frame means the same on both.
    if (Buffer.byteLength(JSON.stringify(p)) > this.ctx.maxFrameBytes) {
      this.sendError(conn, 'TOO_LARGE', `frame over ${this.ctx.maxFrameBytes} bytes`);
      return undefined;
    }
    return p;
  }

  private sendError(conn: SocketIoConnection, code: string, message: string, extra?: Record<string, unknown>): void {
    if (conn.isOpen()) conn.send(this.ctx.hub.encode('error', { code, message, ...extra }));
  }
}

/** Where the client put its credentials: `auth.ticket` or `?ticket=`; `auth.token`, `?token=` or `Authorization: Bearer`. */
function readCredentials(socket: Socket): ConnectionCredentials {
  const { auth, query, headers } = socket.handshake;
  const ticket = stringOf(auth?.ticket) ?? stringOf(query.ticket);
  if (ticket !== undefined) return { ticket };
  const token = stringOf(auth?.token) ?? stringOf(query.token);
  if (token !== undefined) return { token };
  const m = headers.authorization ? /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization) : null;
  return m ? { token: m[1]! } : {};
}

function stringOf(v: unknown): string | undefined {
  if (Array.isArray(v)) return stringOf(v[0]);
  return typeof v === 'string' ? v : undefined;
}
