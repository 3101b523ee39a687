import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
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
const SESSION = Symbol('crosstalk.session');
type OwnedSocket = WebSocket & { [SESSION]: WsSession };
type OwnedNetSocket = Socket & { [SESSION]?: WsSession };

// One set of listeners for every socket (EventEmitter calls them with the socket as `this`):
// 10,000 sessions would otherwise hold 50,000 closures.
function onSocketOpen(this: WebSocket): void {
  (this as OwnedSocket)[SESSION].handleOpen();
}
function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as OwnedSocket)[SESSION].handleMessage(data, isBinary);
}
function onSocketClose(this: WebSocket, code: number): void {
  (this as OwnedSocket)[SESSION].handleClose(code);
}
function onSocketError(this: WebSocket, err: Error & { code?: string }): void {
  (this as OwnedSocket)[SESSION].handleError(err);
}
function onSocketUnexpectedResponse(
  this: WebSocket,
  _req: unknown,
  res: { statusCode?: number; resume(): void },
): void {
  (this as OwnedSocket)[SESSION].handleUnexpectedResponse(res);
}
function onOpenTimeout(session: WsSession): void {
  session.handleOpenTimeout();
}
// Receive time is taken once per socket read, before ws parses the chunk: every frame of the chunk gets it, so a
// frame is not charged for the time its handler and the frames before it took. The upgrade is stamped too, so a
// session never times a frame by its previous socket's read; frames that came in the 101 answer's own chunk are
// handed on by ws as a 'data' event in the same tick, stamped then (microseconds after the upgrade).
function onSocketUpgrade(this: WebSocket, res: IncomingMessage): void {
  const session = (this as OwnedSocket)[SESSION];
  session.readAtUs = nowUs();
  const raw = res.socket as OwnedNetSocket;
  raw[SESSION] = session;
  raw.prependListener('data', onRawData);
}
function onRawData(this: Socket): void {
  (this as OwnedNetSocket)[SESSION]!.readAtUs = nowUs();
}

/**
 * One WebSocket connection of a simulated user. Connect latency runs from
 * opening the TCP connection to the socket read that brought the adapter's
 * handshake frame (`connection_established`), or to the upgrade when it has none; every frame is timed by the read that brought
 * it, not by when its turn came to be handled. Each frame is
 * parsed once and handed to the handler; the socket listeners are shared
 * by every session, never made per session or per frame.
 */
export class WsSession implements Connection {
  private ws: WebSocket | undefined;
  private closing = false;
  private readonly opening = new PendingOpen(onOpenTimeout, this);
  private startedUs = 0;
  connectionId: string | undefined;
  /** The frame type that says the connection is ready; undefined: ready at the upgrade. */
  private handshakeType: string | undefined;
  private connectionIdPath: string | undefined;
  /** When it became ready (µs, performance clock). */
  openedAtUs = 0;
  /** The server closed it after it was established. */
  dropped = false;
  /** The connection became ready on the current socket. */
  private established = false;
  /** The last socket error after the open (ws's own limit errors come before its close). */
  private lastErrorCode: string | undefined;
  /** Frames received on this connection. */
  frames = 0;
  /** When the socket read that brought the frames being handled was taken (µs, performance clock). */
  readAtUs = 0;

  constructor(
    readonly index: number,
    private readonly reader: FrameReader,
    private readonly handler: FrameHandler,
  ) {}

  /** True while the connection is open and established. */
  get isOpen(): boolean {
    return this.ws !== undefined && this.ws.readyState === WebSocket.OPEN && !this.opening.waiting && !this.closing;
  }

  /** Connects and waits for the handshake frame (or a failure, or the timeout). */
  open(opts: ConnectOptions): Promise<OpenResult> {
    this.handshakeType = opts.handshake?.type;
    this.connectionIdPath = opts.handshake?.connectionId;
    this.closing = false;
    this.established = false;
    this.lastErrorCode = undefined;
    return new Promise<OpenResult>((resolve) => {
      this.startedUs = nowUs();
      let url = opts.url;
      const headers: Record<string, string> = {};
      let protocols: string[] | undefined;
      switch (opts.delivery) {
        case 'subprotocol':
          protocols = [`jwt.${opts.credential}`];
          break;
        case 'header':
          headers.authorization = `Bearer ${opts.credential}`;
          break;
        case 'query':
          url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(opts.credential)}`;
          break;
        case 'ticket':
          url += `${url.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(opts.credential)}`;
          break;
      }
      const ws = new WebSocket(url, protocols, {
        headers,
        perMessageDeflate: false,
        maxPayload: opts.maxPayloadBytes,
        handshakeTimeout: opts.connectTimeoutMs,
      }) as OwnedSocket;
      ws[SESSION] = this;
      this.ws = ws;
      ws.binaryType = 'nodebuffer';
      ws.on('upgrade', onSocketUpgrade);
      if (this.handshakeType === undefined) ws.on('open', onSocketOpen);
      ws.on('message', onSocketMessage);
      ws.on('close', onSocketClose);
      ws.on('error', onSocketError);
      ws.on('unexpected-response', onSocketUnexpectedResponse);
      this.opening.begin(resolve, opts.connectTimeoutMs);
    });
  }

  /** Sends one message's data as JSON text; false when the connection is not open. */
  send(message: OutgoingMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message.data));
    return true;
  }

  /** Closes on purpose (1000) and waits until closed (at most 2 s, then terminates). */
  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.closing = true;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'done');
    });
  }

  /** Drops the connection at once. */
  terminate(): void {
    this.closing = true;
    this.ws?.terminate();
  }

  /** @internal The upgrade completed; with no handshake frame the connection is ready now. */
  handleOpen(): void {
    if (!this.opening.waiting) return;
    this.openedAtUs = this.readAtUs;
    this.established = true;
    this.opening.finish({ ok: true, connectUs: this.readAtUs - this.startedUs, connectionId: undefined });
  }

  /** @internal The socket's message listener. */
  handleMessage(data: RawData, isBinary: boolean): void {
    const t = this.readAtUs;
    this.frames++;
    // Binary frames are read as UTF-8 like text ones: a leak may come either way.
    // binaryType is 'nodebuffer' (set at connect), so a message is one Buffer, never fragments.
    const text = (data as Buffer).toString();
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.handler.onMalformed(this, isBinary ? 'binary frame, not JSON' : 'not JSON', text);
    }
    // A JSON object is a frame (protocol.md); double-encoded ones are read as what they encode.
    if (
      typeof frame !== 'object' ||
      frame === null ||
      Array.isArray(frame) ||
      typeof (frame as { payload?: unknown }).payload === 'string' ||
      typeof (frame as { data?: unknown }).data === 'string'
    )
      frame = decodeNested(frame);
    if (Array.isArray(frame) && !this.reader.arraysAreFrames) return this.handleBatch(frame, text, t);
    if (typeof frame !== 'object' || frame === null) return this.handler.onMalformed(this, 'not a JSON object', text);
    const view = this.reader.read(frame);
    if (this.opening.waiting) {
      if (view.type === this.handshakeType) {
        this.connectionId = readConnectionId(frame, this.connectionIdPath);
        this.openedAtUs = t;
        this.established = true;
        this.opening.finish({ ok: true, connectUs: t - this.startedUs, connectionId: this.connectionId });
        // Received like any other frame, and checked like one: a handshake naming someone else is a leak too.
        this.handler.onFrame(this, view, frame, text, t);
        return;
      }
      if (view.type === 'error' && view.code === 'AUTH_FAILED') {
        this.opening.finish({ ok: false, kind: 'auth_rejected', detail: 'AUTH_FAILED error frame' });
        return;
      }
    }
    this.handler.onFrame(this, view, frame, text, t);
  }

  /** A list of frames (a batch) is that many frames; any other list is scanned as text and counted malformed. */
  private handleBatch(list: unknown[], text: string, t: number): void {
    const batch = readBatch(list);
    if (!batch) return this.handler.onMalformed(this, 'a list, not frames', text);
    for (const f of batch)
      this.handler.onFrame(this, this.reader.read(f), f, batch.length === 1 ? text : JSON.stringify(f), t);
  }

  /** @internal The socket's close listener. */
  handleClose(code: number): void {
    if (this.opening.waiting) {
      this.opening.finish({
        ok: false,
        kind: code === 1008 ? 'auth_rejected' : 'connect_reset',
        detail: `closed with ${code} before ${this.handshakeType ?? 'the upgrade'}`,
      });
      return;
    }
    // Only a connection that was established can drop; a failed open was counted once already.
    if (!this.closing && this.established) {
      this.dropped = true;
      this.established = false;
      // ws closes with 1006 after its own max-payload error: report it as the 1009 it is.
      this.handler.onUnexpectedClose(this, this.lastErrorCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : code);
    }
  }

  /** @internal The socket's error listener. */
  handleError(err: Error & { code?: string }): void {
    if (!this.opening.waiting) {
      this.lastErrorCode = err.code;
      return;
    }
    const kind: ErrorKind =
      err.code === 'ECONNREFUSED'
        ? 'connect_refused'
        : err.code === 'ECONNRESET'
          ? 'connect_reset'
          : /timed out|timeout/i.test(err.message)
            ? 'connect_timeout'
            : 'network';
    // The message may carry the URL (a ?token= delivery), so only the code is turned into words.
    this.opening.finish({ ok: false, kind, detail: formatNetworkError(err.code, 'connection error') });
  }

  /** @internal The upgrade was answered with something other than 101. */
  handleUnexpectedResponse(res: { statusCode?: number; resume(): void }): void {
    res.resume();
    const status = res.statusCode ?? 0;
    this.opening.finish({
      ok: false,
      kind: status === 401 || status === 403 ? 'auth_rejected' : 'upgrade_failed',
      status,
      detail: `upgrade answered ${status}`,
    });
    this.ws?.terminate();
  }

  /** @internal Not ready within the connect timeout. */
  handleOpenTimeout(): void {
    this.opening.finish({
      ok: false,
      kind: 'connect_timeout',
      detail: `no ${this.handshakeType ?? 'upgrade'} in time`,
    });
    this.ws?.terminate();
  }
}
