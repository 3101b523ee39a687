// A test-only backend that speaks enough of protocol.md to be a plausible
// target (health, REST threads and messages, WebSocket /ws with
// connection_established and agent runs, HS256 JWTs) and misbehaves on
// request: one switch per misbehaviour. Everything listens on 127.0.0.1 and
// close() tears every socket, timer and pending answer down.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { jwtVerify } from 'jose';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

/** How the WebSocket upgrade is answered. */
export type UpgradeMode = 'accept' | 'hang' | 'status500' | 'status401';

/**
 * How `/api/*` is answered (health `/` and `/health` always answer 200):
 * `ok` properly; `hang` never; `slow` after `slowMs`; `status503` always 503;
 * `endless` 200 with a JSON-looking body that never ends, written as fast as
 * the client reads; `trickle` 200 headers, then one body byte every 500 ms, forever.
 */
export type RestMode = 'ok' | 'hang' | 'slow' | 'status503' | 'endless' | 'trickle';

export interface HostileOptions {
  /** The HS256 secret tokens are verified with. */
  readonly secret: string;
  readonly upgrade?: UpgradeMode;
  readonly rest?: RestMode;
  /** For `rest: 'slow'` (default 60 s). */
  readonly slowMs?: number;
  /** Destroy a WebSocket's TCP socket (no close frame) with this probability per frame sent, once it has sent `wsResetAfterFrames`. */
  readonly wsResetProbability?: number;
  readonly wsResetAfterFrames?: number;
  /** Destroy the socket of an `/api/*` request instead of answering, with this probability. */
  readonly restResetProbability?: number;
  /**
   * Once established, send frames as fast as the client reads, for as long as
   * it stays: `heartbeat` (small, ownerless) or `unknown_thread` (about
   * `floodFrameBytes` each, an ownerless notice that names a thread no
   * simulated user created, each a different one).
   */
  readonly flood?: 'heartbeat' | 'unknown_thread';
  /** Size of each `unknown_thread` flood frame (default 256 KiB). */
  readonly floodFrameBytes?: number;
  /** Stop flooding after this many frames in all (default: never). */
  readonly floodMaxFrames?: number;
  /**
   * After the first completed run for which another user's run is known: send
   * to that connection a burst of garbage frames, then one genuine leak (an
   * event of the other user's run, with the other user's user_id).
   */
  readonly garbage?: boolean;
  /** After the first completed run, send that connection one valid JSON frame of 16 MiB + 1 byte (over the generator's limit). */
  readonly oversizeFrame?: boolean;
  /** Gap between the events of a run (default 20 ms). */
  readonly eventGapMs?: number;
  /**
   * A target stall: `atMs` after the first WebSocket upgrade, hold every
   * answer (WebSocket frames, REST responses) for `forMs`, then send
   * everything held at once, followed by `padFrames` ownerless
   * `heartbeat` frames of about `padBytes` to each open connection, each
   * connection's share in one write.
   */
  readonly stall?: {
    readonly atMs: number;
    readonly forMs: number;
    readonly padFrames?: number;
    readonly padBytes?: number;
  };
}

/** What the server saw and did, for assertions. */
export interface HostileStats {
  upgrades: number;
  restCalls: number;
  restResets: number;
  wsResets: number;
  wsConnections: number;
  framesSent: number;
  runs: number;
  /** Body bytes written by `endless` answers. */
  endlessBytes: number;
  /** Set once the over-limit frame went out. */
  oversize?: { to: string; bytes: number };
  /** Set once the garbage burst went out. */
  garbage?: { to: string; leakedFrom: string; leakedThread: string; leakedRun: string; frames: number; atMs: number };
  /** When the first WebSocket upgrade came (epoch ms): the stall is timed from it. */
  firstUpgradeAtMs?: number;
  /** The stall, once it ended: when (epoch ms) and how many answers it had held. */
  stall?: { fromMs: number; toMs: number; held: number; padded: number };
  /** Per WebSocket: ms from TCP accept to `connection_established` written (this side's connect latency). */
  connectMs: number[];
}

interface Conn {
  readonly id: string;
  readonly userId: string;
  readonly ws: WebSocket;
  sent: number;
  /** Has sent a user_message (only then may an unknown run reach it without being a sentinel leak). */
  hasSent: boolean;
}

interface RunInfo {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly messageId: string;
}

export interface HostileServer {
  readonly url: string;
  readonly port: number;
  readonly stats: HostileStats;
  /** Users seen (token subjects) with their threads and runs. */
  readonly users: ReadonlyMap<string, { threads: Set<string>; runs: RunInfo[] }>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const HEARTBEAT = JSON.stringify({ type: 'heartbeat' });

/** `{"k0":0,...}` with `n` keys, built as text (Object.fromEntries + JSON.stringify of 200,000 keys blocks for over half a second). */
function manyKeys(n: number): string {
  return `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`;
}

let garbageCache: Array<[Buffer, boolean]> | undefined;
/**
 * The garbage burst, built once per process as Buffers (sent as text frames
 * unless marked binary), so the server's event loop never stalls mid-run
 * building or converting tens of megabytes.
 */
function garbageFrames(): Array<[Buffer, boolean]> {
  if (garbageCache) return garbageCache;
  const head = '{"type":"system_notice","payload":{"text":"';
  const tail = '"}}';
  const text = (t: string): [Buffer, boolean] => [Buffer.from(t), false];
  garbageCache = [
    [Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b]), true],
    text('{"type":"agent_thinking","payload":{"user_id":'),
    text('not json at all'),
    // Exactly 16 MiB of text (the generator's limit), not JSON: an unterminated object.
    text(head + 'x'.repeat(16 * MiB - head.length)),
    // Exactly 16 MiB of valid JSON (an ownerless notice): at the limit, so accepted.
    text(head + 'y'.repeat(16 * MiB - head.length - tail.length) + tail),
    text(`${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    text(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`),
    text(manyKeys(200_000)),
    text(`{"type":"system_notice","payload":${manyKeys(200_000)}}`),
  ];
  return garbageCache;
}

let oversizeCache: Buffer | undefined;
/** One valid JSON text frame of 16 MiB + 1 byte. */
function oversizeFrame(): Buffer {
  const head = '{"type":"system_notice","payload":{"text":"';
  const tail = '"}}';
  return (oversizeCache ??= Buffer.from(head + 'z'.repeat(16 * MiB + 1 - head.length - tail.length) + tail));
}

/** A port that accepts TCP connections and never says a word (not even HTTP). */
export async function startSilentServer(): Promise<{
  url: string;
  port: number;
  accepted: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const srv: NetServer = createNetServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    // Read and drop whatever comes; answer nothing.
    s.resume();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** Starts the hostile backend on a free loopback port. */
export async function startHostileServer(opts: HostileOptions): Promise<HostileServer> {
  const key = new TextEncoder().encode(opts.secret);
  const upgradeMode = opts.upgrade ?? 'accept';
  const restMode = opts.rest ?? 'ok';
  const gapMs = opts.eventGapMs ?? 20;
  const stats: HostileStats = {
    upgrades: 0,
    restCalls: 0,
    restResets: 0,
    wsResets: 0,
    wsConnections: 0,
    framesSent: 0,
    runs: 0,
    endlessBytes: 0,
    connectMs: [],
  };
  const users = new Map<string, { threads: Set<string>; runs: RunInfo[] }>();
  const threadOwner = new Map<string, string>();
  const threads = new Map<
    string,
    {
      id: string;
      title: unknown;
      metadata: unknown;
      created_at: number;
      updated_at: number;
      messages: unknown[];
      status: string;
    }
  >();
  const conns = new Set<Conn>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Duplex>();
  let closed = false;
  let garbageDone = false;
  /** While stalled: the answers held, in order. */
  let held: Array<() => void> | undefined;
  let stallArmed = false;
  const ACCEPTED = Symbol('acceptedAt');

  const later = (ms: number, fn: () => void): void => {
    if (closed) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };
  const userEntry = (userId: string): { threads: Set<string>; runs: RunInfo[] } => {
    let u = users.get(userId);
    if (!u) users.set(userId, (u = { threads: new Set(), runs: [] }));
    return u;
  };
  const verify = async (token: string | undefined): Promise<string | undefined> => {
    if (!token) return undefined;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      if (payload.type !== 'access' || typeof payload.sub !== 'string') return undefined;
      return payload.sub;
    } catch {
      return undefined;
    }
  };

  // ---- REST ---------------------------------------------------------------

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    if (held) {
      held.push(() => json(res, status, body));
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MiB) chunks.push(c);
      });
      req.on('end', () => {
        try {
          resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
        } catch {
          resolve(undefined);
        }
      });
      req.on('error', () => resolve(undefined));
    });

  const answerApi = async (req: IncomingMessage, res: ServerResponse, userId: string, url: URL): Promise<void> => {
    const body = req.method === 'POST' || req.method === 'PUT' ? await readBody(req) : undefined;
    const parts = url.pathname.split('/').filter(Boolean); // api, threads, :id, messages
    const now = Date.now();
    const u = userEntry(userId);
    const view = (t: NonNullable<ReturnType<typeof threads.get>>): unknown => ({
      id: t.id,
      object: 'thread',
      title: t.title,
      created_at: t.created_at,
      updated_at: t.updated_at,
      metadata: t.metadata,
      message_count: t.messages.length,
      status: t.status,
    });
    if (parts[1] !== 'threads') return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    if (parts.length === 2) {
      if (req.method === 'POST') {
        const b = (body ?? {}) as { title?: unknown; metadata?: unknown };
        const id = `thr_${randomBytes(6).toString('hex')}`;
        threads.set(id, {
          id,
          title: b.title ?? null,
          metadata: b.metadata ?? {},
          created_at: now,
          updated_at: now,
          messages: [],
          status: 'active',
        });
        threadOwner.set(id, userId);
        u.threads.add(id);
        return json(res, 201, view(threads.get(id)!));
      }
      if (req.method === 'GET')
        return json(
          res,
          200,
          [...u.threads]
            .reverse()
            .map((id) => view(threads.get(id)!))
            .slice(0, 100),
        );
      return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'method' } });
    }
    const id = decodeURIComponent(parts[2] ?? '');
    const t = threads.get(id);
    if (!t || threadOwner.get(id) !== userId)
      return json(res, 404, { error: { code: 'THREAD_NOT_FOUND', message: 'no such thread' } });
    if (parts.length === 3) {
      if (req.method === 'GET') return json(res, 200, view(t));
      if (req.method === 'PUT') {
        const b = (body ?? {}) as { title?: unknown; metadata?: unknown };
        if (b.title !== undefined) t.title = b.title;
        if (b.metadata !== undefined) t.metadata = b.metadata;
        t.updated_at = now;
        return json(res, 200, view(t));
      }
      if (req.method === 'DELETE') {
        t.status = 'archived';
        return json(res, 200, { id, status: 'archived' });
      }
    }
    if (parts[3] === 'messages') {
      if (req.method === 'GET')
        return json(res, 200, { thread_id: id, messages: t.messages, total: t.messages.length });
      if (req.method === 'POST') {
        const m = {
          id: `msg_${randomBytes(6).toString('hex')}`,
          thread_id: id,
          role: 'user',
          content: (body as { content?: unknown } | undefined)?.content ?? '',
          created_at: now,
        };
        t.messages.push(m);
        return json(res, 201, m);
      }
    }
    return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'unsupported' } });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!url.pathname.startsWith('/api/')) {
        // Health (and the generator's reachability check) always answers.
        return json(res, 200, { status: 'ok' });
      }
      stats.restCalls++;
      if (opts.restResetProbability && Math.random() < opts.restResetProbability) {
        stats.restResets++;
        req.socket.destroy();
        return;
      }
      const auth = req.headers.authorization;
      const userId = await verify(auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
      if (!userId) return json(res, 401, { error: { code: 'AUTH_FAILED', message: 'bad token' } });
      switch (restMode) {
        case 'ok':
          return answerApi(req, res, userId, url);
        case 'hang':
          req.resume();
          return; // never answers; close() destroys the socket
        case 'slow':
          req.resume();
          later(opts.slowMs ?? 60_000, () => {
            if (!res.destroyed) void answerApi(req, res, userId, url);
          });
          return;
        case 'status503':
          req.resume();
          return json(res, 503, { error: { code: 'UNAVAILABLE', message: 'try later' } });
        case 'endless': {
          req.resume();
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.from('{"id":"thr_endless","object":"thread","title":"more"},'.repeat(1200));
          res.write('[');
          const pump = (): void => {
            while (!closed && !res.destroyed) {
              stats.endlessBytes += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
          };
          pump();
          return;
        }
        case 'trickle': {
          req.resume();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('[');
          const drip = (): void => {
            if (!res.destroyed) {
              res.write(' ');
              later(500, drip);
            }
          };
          later(500, drip);
          return;
        }
      }
    })().catch(() => {
      if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: 'hostile server bug' } });
    });
  };

  // ---- WebSocket ------------------------------------------------------------

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MiB,
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p.startsWith('jwt.')) return p;
      return false;
    },
  });

  const send = (c: Conn, data: string | Buffer, binary = false): void => {
    if (held) {
      held.push(() => send(c, data, binary));
      return;
    }
    if (c.ws.readyState !== WebSocket.OPEN) return;
    c.ws.send(data, { binary });
    c.sent++;
    stats.framesSent++;
    if (opts.wsResetProbability && c.sent > (opts.wsResetAfterFrames ?? 0) && Math.random() < opts.wsResetProbability) {
      stats.wsResets++;
      // Destroys the TCP socket: no close frame, the client sees 1006.
      c.ws.terminate();
    }
  };
  const runEvent = (type: string, run: RunInfo, seq: number, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      type,
      payload: {
        user_id: run.userId,
        thread_id: run.threadId,
        run_id: run.runId,
        message_id: run.messageId,
        seq,
        timestamp: Date.now(),
        ...extra,
      },
    });
  const toOwner = (run: RunInfo, text: string): void => {
    for (const c of conns) if (c.userId === run.userId) send(c, text);
  };

  const startRun = (c: Conn, p: { thread_id?: unknown; content?: unknown; message_id?: unknown }): void => {
    const threadId = typeof p.thread_id === 'string' ? p.thread_id : '';
    const messageId = typeof p.message_id === 'string' ? p.message_id : '';
    if (threadOwner.get(threadId) !== c.userId) {
      send(c, JSON.stringify({ type: 'error', payload: { code: 'THREAD_NOT_FOUND', message_id: messageId } }));
      return;
    }
    c.hasSent = true;
    const run: RunInfo = { userId: c.userId, threadId, runId: `run_${randomBytes(6).toString('hex')}`, messageId };
    userEntry(c.userId).runs.push(run);
    stats.runs++;
    const content = typeof p.content === 'string' ? p.content : '';
    toOwner(run, runEvent('agent_started', run, 0, { agent_name: 'hostile' }));
    // Chained, not two timers of different lengths: on a busy loop Node may fire a due 40 ms timer before a due 20 ms one.
    later(gapMs, () => {
      toOwner(run, runEvent('agent_thinking', run, 1, { reasoning: `Thinking about: ${content}` }));
      later(gapMs, () => completeRun(c, run, content));
    });
  };

  const completeRun = (c: Conn, run: RunInfo, content: string): void => {
    toOwner(run, runEvent('agent_completed', run, 2, { result: `Done: ${content}`, execution_time_ms: 2 * gapMs }));
    if (opts.garbage && !garbageDone) sendGarbage(c);
    if (opts.oversizeFrame && !stats.oversize && c.ws.readyState === WebSocket.OPEN) {
      const frame = oversizeFrame();
      stats.oversize = { to: c.userId, bytes: frame.length };
      send(c, frame);
    }
  };

  const sendGarbage = (c: Conn): void => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    let other: RunInfo | undefined;
    for (const [uid, u] of users)
      if (uid !== c.userId && u.runs.length) {
        other = u.runs[u.runs.length - 1];
        break;
      }
    if (!other) return;
    garbageDone = true;
    const frames: Array<[string | Buffer, boolean]> = [
      ...garbageFrames(),
      // A run that does not exist, with the receiver's own user_id: no owner, so unattributed, never a leak.
      [
        JSON.stringify({
          type: 'agent_thinking',
          payload: {
            user_id: c.userId,
            thread_id: 'thr_ghost_0000',
            run_id: 'run_ghost_0000',
            message_id: 'm-ghost-0000',
            seq: 7,
            timestamp: Date.now(),
            reasoning: 'who am I',
          },
        }),
        false,
      ],
    ];
    for (const [data, binary] of frames) send(c, data, binary);
    // The genuine leak, after the garbage: another user's run event, with that user's user_id.
    send(c, runEvent('agent_thinking', other, 1, { reasoning: 'this belongs to someone else' }));
    stats.garbage = {
      to: c.userId,
      leakedFrom: other.userId,
      leakedThread: other.threadId,
      leakedRun: other.runId,
      frames: frames.length,
      atMs: Date.now(),
    };
  };

  const flood = (c: Conn): void => {
    let n = 0;
    const pad = 'p'.repeat(Math.max(0, (opts.floodFrameBytes ?? 256 * 1024) - 120));
    const frame = (): string =>
      opts.flood === 'unknown_thread'
        ? JSON.stringify({ type: 'system_notice', payload: { thread_id: `thr_elsewhere_${c.id}_${n++}`, text: pad } })
        : HEARTBEAT;
    const per = opts.flood === 'unknown_thread' ? 4 : 500;
    // Batches; the next batch goes once the last one was handed to the kernel (so the client sets the pace).
    const batch = (): void => {
      if (closed || c.ws.readyState !== WebSocket.OPEN) return;
      if (opts.floodMaxFrames !== undefined && stats.framesSent + per > opts.floodMaxFrames) return;
      for (let i = 1; i < per; i++) {
        c.ws.send(frame());
        c.sent++;
      }
      stats.framesSent += per;
      c.sent++;
      c.ws.send(frame(), (err) => {
        if (!err) setImmediate(batch);
      });
    };
    batch();
  };

  const onConnection = (ws: WebSocket, userId: string): void => {
    stats.wsConnections++;
    const c: Conn = { id: `conn_${randomBytes(4).toString('hex')}`, userId, ws, sent: 0, hasSent: false };
    conns.add(c);
    ws.on('error', () => undefined);
    ws.on('close', () => conns.delete(c));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let f: { type?: unknown; payload?: Record<string, unknown> };
      // ws's default binaryType 'nodebuffer': one Buffer per message.
      try {
        f = JSON.parse((data as Buffer).toString()) as typeof f;
      } catch {
        return send(c, JSON.stringify({ type: 'error', payload: { code: 'BAD_MESSAGE' } }));
      }
      if (f.type === 'user_message') startRun(c, f.payload ?? {});
      else if (f.type === 'ping') send(c, JSON.stringify({ type: 'pong', payload: { ts: f.payload?.ts } }));
      else if (f.type === 'stop_agent')
        send(c, JSON.stringify({ type: 'agent_stopped', payload: { user_id: userId, run_id: f.payload?.run_id } }));
    });
    const acceptedAt = (ws as unknown as { _socket?: { [ACCEPTED]?: number } })._socket?.[ACCEPTED];
    const established = (): void => {
      if (acceptedAt !== undefined && ws.readyState === WebSocket.OPEN)
        stats.connectMs.push(performance.now() - acceptedAt);
      send(
        c,
        JSON.stringify({
          type: 'connection_established',
          payload: { user_id: userId, connection_id: c.id, server_time: Date.now() },
        }),
      );
    };
    // Timed when it is really written, so a held one counts the stall.
    if (held) held.push(established);
    else established();
    if (opts.flood) flood(c);
  };

  const rawAnswer = (socket: Duplex, status: string): void => {
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
  };

  const armStall = (): void => {
    const st = opts.stall;
    stats.firstUpgradeAtMs ??= Date.now();
    if (!st || stallArmed) return;
    stallArmed = true;
    later(st.atMs, () => {
      const fromMs = Date.now();
      held = [];
      later(st.forMs, () => {
        const queue = held ?? [];
        held = undefined;
        // Corked, so each connection's share goes out in one write and the client finds the whole burst waiting.
        const raw = [...conns]
          .map((c) => (c.ws as unknown as { _socket?: Duplex })._socket)
          .filter((x): x is Duplex => x !== undefined);
        for (const r of raw) r.cork();
        for (const fn of queue) fn();
        let padded = 0;
        if (st.padFrames) {
          const frame = JSON.stringify({ type: 'heartbeat', payload: { pad: 'p'.repeat(st.padBytes ?? 64) } });
          for (const c of conns)
            for (let i = 0; i < st.padFrames; i++) {
              send(c, frame);
              padded++;
            }
        }
        for (const r of raw) r.uncork();
        stats.stall = { fromMs, toMs: Date.now(), held: queue.length, padded };
      });
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    stats.upgrades++;
    armStall();
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/ws') return rawAnswer(socket, '404 Not Found');
    switch (upgradeMode) {
      case 'hang':
        return; // holds the socket, answers nothing
      case 'status500':
        return rawAnswer(socket, '500 Internal Server Error');
      case 'status401':
        return rawAnswer(socket, '401 Unauthorized');
      case 'accept':
        break;
    }
    const proto = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .find((s) => s.startsWith('jwt.'));
    const auth = req.headers.authorization;
    const token =
      proto?.slice(4) ??
      (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ??
      url.searchParams.get('token') ??
      undefined;
    void verify(token).then((userId) => {
      if (closed) {
        socket.destroy();
        return;
      }
      if (!userId) return rawAnswer(socket, '401 Unauthorized');
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, userId));
    });
  };

  // Built before any client connects, never in the middle of a run.
  if (opts.garbage) garbageFrames();
  if (opts.oversizeFrame) oversizeFrame();
  const server: Server = createServer(onRequest);
  server.on('upgrade', onUpgrade);
  server.on('connection', (s) => {
    (s as unknown as { [ACCEPTED]: number })[ACCEPTED] = performance.now();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    users,
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of conns) c.ws.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
