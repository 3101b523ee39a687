// Socket.IO client for tests (socket.io-client over its websocket transport).
// No side effects at import time (node --test also loads this file as a test file).
import { io, type Socket } from 'socket.io-client';
import { rest, type Frame } from './client.js';

/** How {@link openSocketIo} presents the credentials (the target's socketio wire). */
export type IoDelivery = 'auth' | 'header' | 'query' | 'ticket' | 'auth-ticket';

/** The five deliveries, for tests that loop over them. */
export const IO_DELIVERIES: readonly IoDelivery[] = ['auth', 'header', 'query', 'ticket', 'auth-ticket'];

/** The error {@link openSocketIo} rejects with when the handshake is refused; `reason` is the connect_error message. */
export class ConnectRefused extends Error {
  constructor(readonly reason: string) {
    super(`socket.io connection refused: ${reason}`);
    this.name = 'ConnectRefused';
  }
}

/** An open test socket that records every event it receives. */
export interface TestIoSocket {
  readonly socket: Socket;
  /** Every event as `{ type: event name, payload: first argument }`, in arrival order. */
  readonly frames: Frame[];
  /** Each event's name and arguments as JSON text, for leak scans. */
  readonly raw: string[];
  /** From `connection_established`. */
  readonly userId: string;
  readonly connectionId: string;
  emit(type: string, ...args: unknown[]): void;
  /** As the ws helper's: the first recorded frame matching, past or future; rejects on timeout or disconnect. */
  waitFor(predicate: (frame: Frame, index: number) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves with the disconnect reason (`io server disconnect` when the server cut it). */
  readonly disconnected: Promise<string>;
  close(): Promise<void>;
}

/** Options of {@link openSocketIo}. */
export interface OpenIoOptions {
  readonly delivery: IoDelivery;
  /** The token presented (for tickets, the Bearer token that gets one). May be omitted. */
  readonly token?: string;
  /** For ticket deliveries: this ticket instead of a fresh one. */
  readonly ticket?: string;
  readonly timeoutMs?: number;
}

/** Connects to `/socket.io/` and resolves after `connection_established`; rejects with {@link ConnectRefused} on connect_error. */
export async function openSocketIo(baseUrl: string, opts: OpenIoOptions): Promise<TestIoSocket> {
  const auth: Record<string, string> = {};
  const query: Record<string, string> = {};
  const extraHeaders: Record<string, string> = {};
  let ticket = opts.ticket;
  if ((opts.delivery === 'ticket' || opts.delivery === 'auth-ticket') && ticket === undefined) {
    const res = await rest(
      baseUrl,
      'POST',
      '/api/websocket/ticket',
      opts.token !== undefined ? { token: opts.token } : {},
    );
    if (res.status !== 200) throw new ConnectRefused(`ticket refused with HTTP ${res.status}`);
    ticket = String(res.json.ticket_id);
  }
  switch (opts.delivery) {
    case 'auth':
      if (opts.token !== undefined) auth.token = opts.token;
      break;
    case 'header':
      if (opts.token !== undefined) extraHeaders.authorization = `Bearer ${opts.token}`;
      break;
    case 'query':
      if (opts.token !== undefined) query.token = opts.token;
      break;
    case 'ticket':
      query.ticket = ticket!;
      break;
    case 'auth-ticket':
      auth.ticket = ticket!;
      break;
  }
  const socket = io(baseUrl, {
    path: '/socket.io/',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: opts.timeoutMs ?? 5000,
    auth,
    query,
    extraHeaders,
  });
  const frames: Frame[] = [];
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  let gone = false;
  socket.onAny((type: string, ...args: unknown[]) => {
    frames.push({ type, payload: args[0] });
    raw.push(JSON.stringify([type, ...args]));
    for (const w of [...waiters]) w();
  });
  const disconnected = new Promise<string>((resolve) =>
    socket.on('disconnect', (reason) => {
      gone = true;
      for (const w of [...waiters]) w();
      resolve(reason);
    }),
  );
  const waitFor = (predicate: (frame: Frame, index: number) => boolean, timeoutMs = 3000): Promise<Frame> =>
    new Promise<Frame>((resolve, reject) => {
      let checked = 0;
      const check = (): void => {
        for (; checked < frames.length; checked++) {
          if (predicate(frames[checked]!, checked)) {
            stop();
            resolve(frames[checked]!);
            return;
          }
        }
        if (gone) {
          stop();
          reject(
            new Error(
              `socket disconnected while waiting; events: ${frames
                .slice(-8)
                .map((f) => f.type)
                .join(', ')}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(
            `no matching event within ${timeoutMs} ms; events: ${
              frames
                .slice(-8)
                .map((f) => f.type)
                .join(', ') || '(none)'
            }`,
          ),
        );
      }, timeoutMs);
      const stop = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return new Promise<TestIoSocket>((resolve, reject) => {
    socket.once('connect_error', (err) => {
      gone = true;
      socket.close();
      reject(new ConnectRefused(err.message));
      for (const w of [...waiters]) w();
    });
    waitFor((f) => f.type === 'connection_established', (opts.timeoutMs ?? 5000) + 1000).then(
      (f) => {
        resolve({
          socket,
          frames,
          raw,
          disconnected,
          waitFor,
          userId: String(f.payload?.user_id),
          connectionId: String(f.payload?.connection_id),
          emit: (type, ...args) => {
            socket.emit(type, ...args);
          },
          close() {
            if (!socket.connected) {
              socket.close();
              return Promise.resolve();
            }
            socket.close();
            return disconnected.then(() => undefined);
          },
        });
      },
      (err: unknown) => {
        socket.close();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
