import type { WebSocket } from 'ws';

/** One authenticated WebSocket connection on the target. */
export interface TargetConnection {
  readonly id: string;
  readonly userId: string;
  readonly ws: WebSocket;
}

/**
 * Who is connected, indexed by user. Run events are delivered through
 * `sendToUser`, which is the one place that decides who receives a run's
 * events: every open connection of its owner and nobody else.
 */
export class ConnectionHub {
  private readonly byUser = new Map<string, Set<TargetConnection>>();
  private count = 0;

  /** Registers an open connection. */
  add(conn: TargetConnection): void {
    let set = this.byUser.get(conn.userId);
    if (!set) this.byUser.set(conn.userId, (set = new Set()));
    set.add(conn);
    this.count++;
  }

  /** Forgets a closed connection. */
  remove(conn: TargetConnection): void {
    const set = this.byUser.get(conn.userId);
    if (!set || !set.delete(conn)) return;
    this.count--;
    if (set.size === 0) this.byUser.delete(conn.userId);
  }

  /** Sends one serialized frame to every open connection of `userId`; returns how many got it. */
  sendToUser(userId: string, frame: string): number {
    const set = this.byUser.get(userId);
    if (!set) return 0;
    let sent = 0;
    for (const c of set) if (c.ws.readyState === 1) { c.ws.send(frame); sent++; }
    return sent;
  }

  /** Sends one frame to every open connection (server-wide, ownerless frames only). */
  broadcast(frame: string): void {
    for (const set of this.byUser.values()) for (const c of set) if (c.ws.readyState === 1) c.ws.send(frame);
  }

  /** Sends one frame to every open connection of users other than `userId` (the broadcast fault); returns how many got it. */
  sendToOthers(userId: string, frame: string): number {
    let sent = 0;
    for (const [u, set] of this.byUser) {
      if (u === userId) continue;
      for (const c of set) if (c.ws.readyState === 1) { c.ws.send(frame); sent++; }
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

  /** Closes one connection of a user (fault injection). */
  closeOneOf(userId: string, code: number, reason: string): void {
    const set = this.byUser.get(userId);
    const c = set?.values().next().value;
    if (c) c.ws.close(code, reason);
  }

  /** Every open connection, for shutdown. */
  *all(): IterableIterator<TargetConnection> {
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
