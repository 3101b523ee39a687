import { io, type Socket } from 'socket.io-client';
import type { ErrorKind } from '../core/error-kinds.js';
import { formatNetworkError } from '../core/network-errors.js';
import {
  decodeNested,
  readBatch,
  readConnectionId,
  type Connection,
  type ConnectOptions,
  type FrameHandler,
  type OpenResult,
  type OutgoingMessage,
} from './connection.js';
import type { FrameReader } from './frame-reader.js';
import { PendingOpen } from './pending-open.js';

const nowUs = (): number => Math.round(performance.now() * 1000);

/** The session a socket belongs to, on the socket itself: listeners are shared, not bound per session. */
const SESSION = Symbol('crosstalk.socketio-session');
type OwnedSocket = Socket & { [SESSION]: SocketIoSession };

function onConnect(this: OwnedSocket): void {
  this[SESSION].handleConnect();
}
function onConnectError(this: OwnedSocket, err: Error & { description?: unknown; context?: unknown }): void {
  this[SESSION].handleConnectError(err);
}
function onDisconnect(this: OwnedSocket, reason: string): void {
  this[SESSION].handleDisconnect(reason);
}
function onOpenTimeout(session: SocketIoSession): void {
  session.handleOpenTimeout();
}

/**
 * One Socket.IO connection of a simulated user (socket.io-client over its
 * WebSocket transport, no reconnection: a tab that drops is reopened by the
 * flow, as for a WebSocket). The event name is the frame's type as its
 * carrier names it; its first argument is the frame. Connect latency runs
 * from the connect call to the adapter's handshake event, or to Socket.IO's
 * own `connect` when it has none.
 */
export class SocketIoSession implements Connection {
  private socket: OwnedSocket | undefined;
  private closing = false;
  private readonly opening = new PendingOpen(onOpenTimeout, this);
  private startedUs = 0;
  private handshakeType: string | undefined;
  private connectionIdPath: string | undefined;
  private established = false;
  openedAtUs = 0;
  dropped = false;
  connectionId: string | undefined;
  /** Frames received on this connection. */
  frames = 0;
  /** The listener of every event, bound once per session (Socket.IO calls it without the socket). */
  private readonly onAnyEvent = (event: string, ...args: unknown[]): void => this.handleEvent(event, args[0]);

  constructor(
    readonly index: number,
    private readonly reader: FrameReader,
    private readonly handler: FrameHandler,
  ) {}

  get isOpen(): boolean {
    return this.socket !== undefined && this.socket.connected && !this.opening.waiting && !this.closing;
  }

  open(opts: ConnectOptions): Promise<OpenResult> {
    this.handshakeType = opts.handshake?.type;
    this.connectionIdPath = opts.handshake?.connectionId;
    this.closing = false;
    this.established = false;
    return new Promise<OpenResult>((resolve) => {
      this.startedUs = nowUs();
      const extraHeaders: Record<string, string> = {};
      const query: Record<string, string> = {};
      const auth: Record<string, string> = {};
      switch (opts.delivery) {
        case 'header':
          extraHeaders.authorization = `Bearer ${opts.credential}`;
          break;
        case 'query':
          query.token = opts.credential;
          break;
        case 'ticket':
          query.ticket = opts.credential;
          break;
        // Socket.IO has no subprotocols; its handshake payload is where browsers put a token.
        case 'subprotocol':
          auth.token = opts.credential;
          break;
      }
      const socket = io(opts.url, {
        path: opts.path ?? '/socket.io/',
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        multiplex: false,
        timeout: opts.connectTimeoutMs,
        extraHeaders,
        query,
        auth,
      }) as OwnedSocket;
      socket[SESSION] = this;
      this.socket = socket;
      socket.on('connect', onConnect);
      socket.on('connect_error', onConnectError);
      socket.on('disconnect', onDisconnect);
      socket.onAny(this.onAnyEvent);
      this.opening.begin(resolve, opts.connectTimeoutMs);
    });
  }

  send(message: OutgoingMessage): boolean {
    if (!this.socket?.connected) return false;
    this.socket.emit(message.event ?? 'message', message.data);
    return true;
  }

  /**
   * Closes on purpose. Socket.IO's own disconnect() drops whatever the server
   * sent while its disconnect packet was on the way, which a WebSocket's
   * close handshake would still deliver: so the underlying WebSocket is
   * closed instead, and frames keep arriving until the server's close reply
   * (at most 2 s, then the socket is dropped).
   */
  close(): Promise<void> {
    const s = this.socket;
    if (!s) return Promise.resolve();
    this.closing = true;
    const raw = (s.io as unknown as { engine?: { transport?: { ws?: { close(code?: number): void } | null } } }).engine
      ?.transport?.ws;
    if (!s.connected || !raw) {
      s.disconnect();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        s.disconnect();
        resolve();
      };
      const timer = setTimeout(done, 2000);
      s.once('disconnect', done);
      raw.close(1000);
    });
  }

  terminate(): void {
    this.closing = true;
    this.socket?.disconnect();
  }

  private ready(t: number, frame: unknown): void {
    this.openedAtUs = t;
    this.established = true;
    this.connectionId = readConnectionId(frame, this.connectionIdPath);
    this.opening.finish({ ok: true, connectUs: t - this.startedUs, connectionId: this.connectionId });
  }

  /** @internal Socket.IO's own connect. */
  handleConnect(): void {
    if (this.opening.waiting && this.handshakeType === undefined) this.ready(nowUs(), undefined);
  }

  /** @internal Every event the server emits. */
  handleEvent(event: string, arg: unknown): void {
    const t = nowUs();
    this.frames++;
    let text: string;
    let data = arg;
    try {
      // A binary argument is read as UTF-8 text, and JSON if it is.
      if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
        text = Buffer.from(
          data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        ).toString('utf8');
        try {
          data = JSON.parse(text);
        } catch {
          return this.handler.onMalformed(this, 'binary, not JSON', text);
        }
      } else {
        text = typeof data === 'string' ? data : (JSON.stringify(data) ?? '');
      }
    } catch {
      return this.handler.onMalformed(this, 'not JSON-serialisable');
    }
    data = decodeNested(data);
    if (Array.isArray(data) && !this.reader.arraysAreFrames) {
      const batch = readBatch(data);
      if (!batch) return this.handler.onMalformed(this, 'a list, not frames', text);
      for (const f of batch)
        this.handler.onFrame(this, this.reader.read(f, event), f, batch.length === 1 ? text : JSON.stringify(f), t);
      return;
    }
    const view = this.reader.read(data, event);
    if (this.opening.waiting && view.type === this.handshakeType) this.ready(t, data);
    this.handler.onFrame(this, view, data, text, t);
  }

  /** @internal The server refused the connection (middleware error) or the network failed. */
  handleConnectError(err: Error & { description?: unknown; context?: unknown }): void {
    const msg = err.message ?? '';
    const code =
      (err as { code?: string }).code ??
      (typeof err.description === 'object' && err.description !== null
        ? (err.description as { code?: string }).code
        : undefined);
    const kind: ErrorKind = /AUTH|unauthori[sz]ed|forbidden|401|403/i.test(msg)
      ? 'auth_rejected'
      : code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)
        ? 'connect_refused'
        : /timeout/i.test(msg)
          ? 'connect_timeout'
          : 'upgrade_failed';
    this.opening.finish({
      ok: false,
      kind,
      detail:
        kind === 'auth_rejected'
          ? `connect_error ${msg.slice(0, 80)}`
          : formatNetworkError(code, 'Socket.IO connect error'),
    });
    this.socket?.disconnect();
  }

  /** @internal The socket went away. */
  handleDisconnect(reason: string): void {
    if (this.opening.waiting) {
      this.opening.finish({
        ok: false,
        kind: 'connect_reset',
        detail: `disconnected (${reason}) before ${this.handshakeType ?? 'connect'}`,
      });
      return;
    }
    if (!this.closing && this.established) {
      this.dropped = true;
      this.established = false;
      // Socket.IO has no close codes: a server-side disconnect reads as 1000, a lost transport as 1006.
      this.handler.onUnexpectedClose(this, reason === 'io server disconnect' ? 1000 : 1006);
    }
  }

  /** @internal Not ready in time. */
  handleOpenTimeout(): void {
    this.opening.finish({
      ok: false,
      kind: 'connect_timeout',
      detail: `no ${this.handshakeType ?? 'connect'} in time`,
    });
    this.socket?.disconnect();
  }
}
