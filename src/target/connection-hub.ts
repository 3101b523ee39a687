/**
 * One authenticated connection on the target, whatever carries it (a
 * WebSocket, an SSE run stream, a Socket.IO socket). `F` is a frame as its
 * transport writes it, made once per frame by the hub's encoder and shared by
 * every connection that receives it.
 */
export interface TargetConnection<F> {
  readonly id: string;
  readonly userId: string;
  /**
   * The one run this connection carries (an SSE stream is one run);
   * undefined for a connection that carries every run of its user.
   */
  readonly runId: string | undefined;
  /** True while frames can be written. */
  isOpen(): boolean;
  /** Writes one encoded frame. */
  send(frame: F): void;
  /**
   * Ends the connection from the server: a WebSocket close frame with `code`
   * and `reason`; transports without one end it the only way they can (SSE:
   * the stream is cut, no terminal event; Socket.IO: the socket is disconnected).
   */
  close(code: number, reason: string): void;
  /** Drops the connection at once (shutdown stragglers). */
  cut(): void;
}

/** Turns a frame into what a transport writes; called once per frame, whatever the number of receivers. */
export type FrameEncoder<F> = (type: string, payload: Record<string, unknown>) => F;

/**
 * Shapes a frame can take on the wire besides its plain one, as real
 * backends send them (the leak-form faults and noise mode): `payload_string`
 * the payload replaced by its JSON text, `frame_string` the whole frame sent
 * as a JSON string, `binary` the frame's UTF-8 in a binary frame, `array`
 * the frame inside a JSON array.
 */
export type FrameForm = 'payload_string' | 'frame_string' | 'binary' | 'array';

/** Encodes a frame in one of the {@link FrameForm}s (`binary` only where the transport has binary frames). */
export type FormEncoder<F> = (form: FrameForm, type: string, payload: Record<string, unknown>) => F;

/** A transport's encoders. */
export interface FrameCodec<F> {
  readonly encode: FrameEncoder<F>;
  readonly encodeForm: FormEncoder<F>;
  /** False where there are no binary frames (SSE): `binary` is then never asked for. */
  readonly binaryFrames: boolean;
}

/**
 * Who is connected, indexed by user. Run events are delivered through
 * `sendToOwner`, which is the one place that decides who receives a run's
 * events: every open connection of its owner that carries the run, and
 * nobody else.
 */
export class ConnectionHub<F> {
  private readonly byUser = new Map<string, Set<TargetConnection<F>>>();
  private count = 0;
  /** The transport's encoder: a string in the dialect for ws, an SSE event, a Socket.IO event. */
  readonly encode: FrameEncoder<F>;
  /** The same frame in another shape (faults and noise only). */
  readonly encodeForm: FormEncoder<F>;
  /** Whether `encodeForm('binary', ...)` may be asked for. */
  readonly binaryFrames: boolean;

  constructor(codec: FrameCodec<F>) {
    this.encode = codec.encode;
    this.encodeForm = codec.encodeForm;
    this.binaryFrames = codec.binaryFrames;
  }

  /** Registers an open connection. */
  add(conn: TargetConnection<F>): void {
    let set = this.byUser.get(conn.userId);
    if (!set) this.byUser.set(conn.userId, (set = new Set()));
    set.add(conn);
    this.count++;
  }

  /** Forgets a closed connection (idempotent). */
  remove(conn: TargetConnection<F>): void {
    const set = this.byUser.get(conn.userId);
    if (!set || !set.delete(conn)) return;
    this.count--;
    if (set.size === 0) this.byUser.delete(conn.userId);
  }

  /** Sends a frame of run `runId` to every open connection of its owner `userId` that carries it; returns how many got it. */
  sendToOwner(userId: string, runId: string, frame: F): number {
    const set = this.byUser.get(userId);
    if (!set) return 0;
    let sent = 0;
    for (const c of set) {
      if ((c.runId === undefined || c.runId === runId) && c.isOpen()) {
        c.send(frame);
        sent++;
      }
    }
    return sent;
  }

  /** Sends one frame to every open connection of `userId`, whatever run it carries (faults only); returns how many got it. */
  sendToUser(userId: string, frame: F): number {
    const set = this.byUser.get(userId);
    if (!set) return 0;
    let sent = 0;
    for (const c of set)
      if (c.isOpen()) {
        c.send(frame);
        sent++;
      }
    return sent;
  }

  /** Sends one frame to every open connection (server-wide, ownerless frames only). */
  broadcast(frame: F): void {
    for (const set of this.byUser.values()) for (const c of set) if (c.isOpen()) c.send(frame);
  }

  /** Sends one frame to every open connection of users other than `userId` (the broadcast fault); returns how many got it. */
  sendToOthers(userId: string, frame: F): number {
    let sent = 0;
    for (const [u, set] of this.byUser) {
      if (u === userId) continue;
      for (const c of set)
        if (c.isOpen()) {
          c.send(frame);
          sent++;
        }
    }
    return sent;
  }

  /** A connected user other than `userId`, chosen at random (faults only). */
  randomUserOtherThan(userId: string, rand: () => number): string | undefined {
    const n = this.byUser.size - (this.byUser.has(userId) ? 1 : 0);
    if (n <= 0) return undefined;
    let k = Math.floor(rand() * n);
    for (const u of this.byUser.keys()) {
      if (u === userId) continue;
      if (k-- === 0) return u;
    }
    return undefined;
  }

  /** Closes one connection of `userId` that carries run `runId` (the disconnect fault). */
  closeOneOf(userId: string, runId: string, code: number, reason: string): void {
    const set = this.byUser.get(userId);
    if (!set) return;
    for (const c of set) {
      if (c.runId === undefined || c.runId === runId) {
        c.close(code, reason);
        return;
      }
    }
  }

  /** Every open connection, for shutdown. */
  *all(): IterableIterator<TargetConnection<F>> {
    for (const set of this.byUser.values()) yield* set;
  }

  /** Open connections. */
  get size(): number {
    return this.count;
  }

  /** Users with at least one open connection. */
  get users(): number {
    return this.byUser.size;
  }
}
