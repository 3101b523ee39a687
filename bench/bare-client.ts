/**
 * The floor for the scale benchmark: the least a client can do to drive the
 * agent-chat protocol. Only `ws` (frames), node's fetch (one thread per user)
 * and node:crypto (HS256 tokens); replies are correlated by
 * `payload.message_id` alone and a run counts as done at `agent_completed`.
 * No oracles, no metrics, no histograms: whatever crosstalk costs beyond this
 * is the price of what it checks and records.
 *
 *   SIM_JWT_SECRET=... node dist/bench/bare-client.js --url http://127.0.0.1:PORT --mode runs --users 50 --seconds 10 [--think 0]
 *   SIM_JWT_SECRET=... node dist/bench/bare-client.js --url http://127.0.0.1:PORT --mode idle --users 2000 [--ramp 2] [--settle 3] [--hold 10]
 *
 * Prints one JSON line on stdout (the driver, bench/scale.ts, reads it):
 *  - runs: runs, cpuUs (process.cpuUsage, whole process), loopCpuUs (during
 *    the loop only), runsPerSec, firstConnection { wallMs, cpuUs };
 *  - idle: rssBytes, rssPerSessionBytes, memory (process.memoryUsage after a
 *    forced GC when --expose-gc), loopLagP99Ms over the hold (event-loop
 *    delay above the 10 ms sampling interval), firstConnection.
 * Every phase is bounded in time; traffic goes only to the --url given,
 * which must be a loopback address.
 */
import { createHmac } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';

interface Args {
  url: string;
  mode: 'runs' | 'idle';
  users: number;
  seconds: number;
  ramp: number;
  settle: number;
  hold: number;
  connectTimeout: number;
  /** runs mode: pause between a run's end and the user's next message, ms (0: at once). */
  think: number;
  content: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { url: '', mode: 'runs', users: 50, seconds: 10, ramp: 0, settle: 3, hold: 10, connectTimeout: 60, think: 0, content: 'How much did we spend on this thread?' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    const num = (): number => { const n = Number(v); if (!Number.isFinite(n) || n < 0) fail(`${k}: expected a number, got "${v}"`); i++; return n; };
    switch (k) {
      case '--url': a.url = String(v); i++; break;
      case '--mode': if (v !== 'runs' && v !== 'idle') fail(`--mode: runs or idle, got "${v}"`); a.mode = v; i++; break;
      case '--users': a.users = Math.floor(num()); break;
      case '--seconds': a.seconds = num(); break;
      case '--ramp': a.ramp = num(); break;
      case '--settle': a.settle = num(); break;
      case '--hold': a.hold = num(); break;
      case '--connect-timeout': a.connectTimeout = num(); break;
      case '--think': a.think = num(); break;
      case '--content': a.content = String(v); i++; break;
      default: fail(`unknown argument "${k}"`);
    }
  }
  if (!a.url) fail('--url is required');
  const host = new URL(a.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') fail(`--url must be a loopback address, got ${host}`);
  if (a.users < 1 || a.users > 50_000) fail('--users: 1..50000');
  if (a.seconds > 3600 || a.hold > 3600 || a.settle > 600 || a.ramp > 600) fail('durations are capped at an hour (ramp and settle at 10 minutes)');
  return a;
}

function fail(msg: string): never {
  process.stderr.write(`bare-client: ${msg}\n`);
  process.exit(3);
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
const JWT_HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** An HS256 access token as protocol.md describes it. */
function mintToken(secret: string, sub: string, ttlSec = 3600): string {
  const iat = Math.floor(Date.now() / 1000);
  const body = `${JWT_HEADER}.${b64url(JSON.stringify({ sub, iat, exp: iat + ttlSec, type: 'access' }))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

const cpuNow = (): number => { const c = process.cpuUsage(); return c.user + c.system; };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One user's connection and what it waits for. */
interface Conn {
  readonly user: string;
  readonly token: string;
  thread: string;
  ws: WebSocket | undefined;
  established: boolean;
  seq: number;
}

const args = parseArgs(process.argv.slice(2));
const secret = process.env.SIM_JWT_SECRET;
if (!secret) fail('SIM_JWT_SECRET is unset');
const wsUrl = `${args.url.replace(/^http/, 'ws')}/ws`;
const tag = Math.random().toString(36).slice(2, 8);

let firstConnection: { wallMs: number; cpuUs: number } | undefined;
let established = 0;
let failedConnects = 0;
let runs = 0;
let sending = true;
/** In-flight runs: message_id → the connection that sent it. The only correlation there is. */
const pending = new Map<string, Conn>();
let onEstablished: (() => void) | undefined;
let onIdleDrained: (() => void) | undefined;

function sendNext(c: Conn): void {
  if (!sending || !c.ws || c.ws.readyState !== WebSocket.OPEN) return;
  const messageId = `m-${tag}-${c.user}-${++c.seq}`;
  pending.set(messageId, c);
  c.ws.send(JSON.stringify({ type: 'user_message', payload: { thread_id: c.thread, content: args.content, message_id: messageId } }));
}

function onMessage(c: Conn, data: RawData): void {
  let frame: { type?: unknown; payload?: { message_id?: unknown } };
  try { frame = JSON.parse(data.toString()) as typeof frame; } catch { return; }
  const type = frame.type;
  if (type === 'connection_established') {
    if (c.established) return;
    c.established = true;
    established++;
    if (!firstConnection) firstConnection = { wallMs: performance.now(), cpuUs: cpuNow() };
    onEstablished?.();
    return;
  }
  if (type !== 'agent_completed') return;
  const id = frame.payload?.message_id;
  if (typeof id !== 'string') return;
  const owner = pending.get(id);
  if (!owner) return;
  pending.delete(id);
  runs++;
  if (sending) {
    if (args.think > 0) setTimeout(sendNext, args.think, owner);
    else sendNext(owner);
  }
  else if (pending.size === 0) onIdleDrained?.();
}

function connect(c: Conn): void {
  const ws = new WebSocket(wsUrl, [`jwt.${c.token}`], { perMessageDeflate: false, handshakeTimeout: args.connectTimeout * 1000 });
  c.ws = ws;
  ws.on('message', (data) => onMessage(c, data));
  ws.on('error', () => { if (!c.established) failedConnects++; });
  ws.on('close', () => { c.ws = undefined; });
}

/** Waits until every connection is established (or failed), at most `ms`. */
async function waitEstablished(total: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (established + failedConnects < total && performance.now() < deadline) {
    await new Promise<void>((r) => { onEstablished = r; setTimeout(r, 50); });
    onEstablished = undefined;
  }
  return established === total;
}

async function createThread(c: Conn): Promise<void> {
  const ctl = AbortSignal.timeout(10_000);
  const res = await fetch(`${args.url}/api/threads`, {
    method: 'POST', signal: ctl,
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: `Bench ${c.user}` }),
  });
  const body = (await res.json()) as { id?: unknown };
  if (res.status !== 201 || typeof body.id !== 'string') throw new Error(`create thread answered ${res.status}`);
  c.thread = body.id;
}

async function closeAll(conns: readonly Conn[]): Promise<void> {
  for (const c of conns) c.ws?.terminate();
  await sleep(50);
}

async function main(): Promise<void> {
  const conns: Conn[] = [];
  for (let i = 0; i < args.users; i++) {
    const user = `u-bare-${tag}-${String(i).padStart(5, '0')}`;
    conns.push({ user, token: mintToken(secret!, user), thread: '', ws: undefined, established: false, seq: 0 });
  }
  const lagWhole = monitorEventLoopDelay({ resolution: 10 });
  lagWhole.enable();

  if (args.mode === 'runs') {
    // Threads over REST, a few at a time, then the connections.
    for (let i = 0; i < conns.length; i += 32) await Promise.all(conns.slice(i, i + 32).map(createThread));
    for (const c of conns) connect(c);
    if (!(await waitEstablished(conns.length, args.connectTimeout * 1000))) throw new Error(`only ${established} of ${conns.length} connections established`);
    const cpu0 = cpuNow();
    const t0 = performance.now();
    for (const c of conns) sendNext(c);
    await sleep(args.seconds * 1000);
    sending = false;
    const loopMs = performance.now() - t0;
    // Runs in flight finish (each is a handful of frames away), bounded.
    if (pending.size) await Promise.race([new Promise<void>((r) => { onIdleDrained = r; }), sleep(5000)]);
    const loopCpuUs = cpuNow() - cpu0;
    await closeAll(conns);
    lagWhole.disable();
    print({ mode: 'runs', users: args.users, runs, unfinished: pending.size, cpuUs: cpuNow(), loopCpuUs, loopMs: Math.round(loopMs), runsPerSec: Math.round(runs / (loopMs / 1000)), firstConnection });
    return;
  }

  // idle: open every session (spread over --ramp seconds), wait, settle, measure, hold.
  const rampMs = args.ramp * 1000;
  const t0 = performance.now();
  for (let i = 0; i < conns.length; i++) {
    const at = t0 + (rampMs * i) / conns.length;
    const wait = at - performance.now();
    if (wait > 1) await sleep(wait);
    connect(conns[i]!);
  }
  const ok = await waitEstablished(conns.length, args.connectTimeout * 1000);
  const allConnectedMs = performance.now() - t0;
  await sleep(args.settle * 1000);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const mem = process.memoryUsage();
  const hold = monitorEventLoopDelay({ resolution: 10 });
  hold.enable();
  await sleep(args.hold * 1000);
  hold.disable();
  lagWhole.disable();
  const lagMs = (h: ReturnType<typeof monitorEventLoopDelay>, p: number): number => Math.round(Math.max(0, h.percentile(p) - 10e6) / 1e3) / 1e3;
  const open = conns.filter((c) => c.ws?.readyState === WebSocket.OPEN).length;
  print({
    mode: 'idle', users: args.users, established, failedConnects, openAfterHold: open, allConnected: ok, allConnectedMs: Math.round(allConnectedMs),
    rssBytes: mem.rss, rssPerSessionBytes: Math.round(mem.rss / args.users), gcForced: gc !== undefined,
    memory: { rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers },
    loopLagP99Ms: lagMs(hold, 99), loopLagMaxMs: Math.round(Math.max(0, hold.max - 10e6) / 1e3) / 1e3, loopLagP99WholeMs: lagMs(lagWhole, 99),
    firstConnection,
  });
  await closeAll(conns);
}

function print(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

// A hard ceiling on the whole process, whatever happens.
const ceilingMs = (args.connectTimeout + args.seconds + args.ramp + args.settle + args.hold + 30) * 1000;
setTimeout(() => { process.stderr.write('bare-client: hard timeout\n'); process.exit(4); }, ceilingMs).unref();

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bare-client: ${(err as Error).message ?? String(err)}\n`);
  process.exit(4);
});
