// A test-only backend that speaks enough of protocol.md to be a plausible
// target (health, REST threads and messages, WebSocket /ws with
// connection_established and agent runs, HS256 JWTs) and misbehaves on
// request: one switch per misbehaviour (hostile-types.ts). Everything listens
// on 127.0.0.1 and close() tears every socket, timer and pending answer down.
// Its parts: hostile-rest.ts (the REST API), hostile-ws.ts (upgrade and
// connections), hostile-runs.ts (agent runs, garbage and leaks),
// hostile-stall.ts (the stall), hostile-frames.ts (the garbage payloads).
import { createServer, type Server } from 'node:http';
import { ACCEPTED_AT, createHostileContext } from './hostile-context.js';
import { garbageFrames, oversizeFrame } from './hostile-frames.js';
import { createRestHandler } from './hostile-rest.js';
import type { HostileOptions, HostileStats, UserSeen } from './hostile-types.js';
import { createWsSide } from './hostile-ws.js';

/** A running hostile backend. */
export interface HostileServer {
  readonly url: string;
  readonly port: number;
  readonly stats: HostileStats;
  /** Users seen (token subjects) with their threads and runs. */
  readonly users: ReadonlyMap<string, UserSeen>;
  close(): Promise<void>;
}

/** Starts the hostile backend on a free loopback port. */
export async function startHostileServer(opts: HostileOptions): Promise<HostileServer> {
  const ctx = createHostileContext(opts);
  const ws = createWsSide(ctx);

  // Built before any client connects, never in the middle of a run.
  if (opts.garbage) garbageFrames();
  if (opts.oversizeFrame) oversizeFrame();
  const server: Server = createServer(createRestHandler(ctx));
  server.on('upgrade', ws.onUpgrade);
  server.on('connection', (s) => {
    (s as unknown as { [ACCEPTED_AT]: number })[ACCEPTED_AT] = performance.now();
    ctx.sockets.add(s);
    s.on('close', () => ctx.sockets.delete(s));
  });
  server.on('clientError', (_err, s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats: ctx.stats,
    users: ctx.users,
    async close() {
      ctx.closed = true;
      for (const t of ctx.timers) clearTimeout(t);
      ctx.timers.clear();
      for (const c of ctx.conns) c.ws.terminate();
      for (const s of ctx.sockets) s.destroy();
      ws.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
