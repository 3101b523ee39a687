// The state the hostile backend's parts share (REST, WebSocket, runs, stall):
// what it has seen, what is open, the timers close() clears, and the answers
// a stall holds back; and the one path every WebSocket frame goes out by.
import type { Duplex } from 'node:stream';
import { jwtVerify } from 'jose';
import { WebSocket } from 'ws';
import type { HostileOptions, HostileStats, UserSeen } from './hostile-types.js';

/** 1 MiB, the unit of the frame and body limits. */
export const MiB = 1024 * 1024;

/** Where the server's `connection` handler stamps a socket's accept time (performance.now()). */
export const ACCEPTED_AT = Symbol('acceptedAt');

/** One open WebSocket of a user. */
export interface Conn {
  readonly id: string;
  readonly userId: string;
  readonly ws: WebSocket;
  sent: number;
  /** Has sent a user_message (only then may an unknown run reach it without being a sentinel leak). */
  hasSent: boolean;
}

/** The shared state of one hostile server; `closed` and `held` change as it runs. */
export interface HostileContext {
  readonly opts: HostileOptions;
  readonly stats: HostileStats;
  readonly users: Map<string, UserSeen>;
  /** Thread id → the user who created it. */
  readonly threadOwner: Map<string, string>;
  readonly conns: Set<Conn>;
  /** Every raw socket, HTTP and upgraded, for close() to destroy. */
  readonly sockets: Set<Duplex>;
  readonly timers: Set<NodeJS.Timeout>;
  /** Set by close(): nothing is scheduled or run after it. */
  closed: boolean;
  /** While stalled: the answers held, in order. */
  held: Array<() => void> | undefined;
  /** Runs `fn` after `ms` unless the server closed by then. */
  later(ms: number, fn: () => void): void;
  /** The record of `userId`, created on first sight. */
  userEntry(userId: string): UserSeen;
  /** The subject of a valid HS256 access token, else undefined. */
  verify(token: string | undefined): Promise<string | undefined>;
}

/** Fresh state for a server built with `opts`. */
export function createHostileContext(opts: HostileOptions): HostileContext {
  const key = new TextEncoder().encode(opts.secret);
  const ctx: HostileContext = {
    opts,
    stats: {
      upgrades: 0,
      restCalls: 0,
      restResets: 0,
      wsResets: 0,
      wsConnections: 0,
      framesSent: 0,
      runs: 0,
      endlessBytes: 0,
      connectMs: [],
    },
    users: new Map(),
    threadOwner: new Map(),
    conns: new Set(),
    sockets: new Set(),
    timers: new Set(),
    closed: false,
    held: undefined,
    later(ms, fn) {
      if (ctx.closed) return;
      const t = setTimeout(() => {
        ctx.timers.delete(t);
        if (!ctx.closed) fn();
      }, ms);
      ctx.timers.add(t);
    },
    userEntry(userId) {
      let u = ctx.users.get(userId);
      if (!u) ctx.users.set(userId, (u = { threads: new Set(), runs: [] }));
      return u;
    },
    async verify(token) {
      if (!token) return undefined;
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        if (payload.type !== 'access' || typeof payload.sub !== 'string') return undefined;
        return payload.sub;
      } catch {
        return undefined;
      }
    },
  };
  return ctx;
}

/**
 * Sends one frame to `c`: held while stalled, counted, and with
 * `wsResetProbability` followed by a reset of the connection.
 */
export function sendFrame(ctx: HostileContext, c: Conn, data: string | Buffer, binary = false): void {
  if (ctx.held) {
    ctx.held.push(() => sendFrame(ctx, c, data, binary));
    return;
  }
  if (c.ws.readyState !== WebSocket.OPEN) return;
  c.ws.send(data, { binary });
  c.sent++;
  ctx.stats.framesSent++;
  const { wsResetProbability, wsResetAfterFrames } = ctx.opts;
  if (wsResetProbability && c.sent > (wsResetAfterFrames ?? 0) && Math.random() < wsResetProbability) {
    ctx.stats.wsResets++;
    // Destroys the TCP socket: no close frame, the client sees 1006.
    c.ws.terminate();
  }
}
