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
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import {
  ConnectionCount,
  cpuNow,
  createBenchThreads,
  measureConnectionRuns,
  fail as failAs,
  mintToken,
  parseBareArgs,
  printResult,
  RunLoop,
  sleep,
} from './bare-client-kit.js';

function fail(msg: string): never {
  return failAs('bare-client', msg);
}

/** One user's connection and what it waits for. */
interface Conn {
  readonly user: string;
  readonly token: string;
  thread: string;
  ws: WebSocket | undefined;
  established: boolean;
  seq: number;
}

const args = parseBareArgs('bare-client', process.argv.slice(2), ['runs', 'idle'], 50_000);
const secret = process.env.SIM_JWT_SECRET;
if (!secret) fail('SIM_JWT_SECRET is unset');
const wsUrl = `${args.url.replace(/^http/, 'ws')}/ws`;
const tag = Math.random().toString(36).slice(2, 8);

const count = new ConnectionCount();
const loop: RunLoop<Conn> = new RunLoop(sendNext, args.think);

function sendNext(c: Conn): void {
  if (!loop.active || !c.ws || c.ws.readyState !== WebSocket.OPEN) return;
  const messageId = `m-${tag}-${c.user}-${++c.seq}`;
  loop.sent(messageId, c);
  c.ws.send(
    JSON.stringify({
      type: 'user_message',
      payload: { thread_id: c.thread, content: args.content, message_id: messageId },
    }),
  );
}

function onMessage(c: Conn, data: RawData): void {
  let frame: { type?: unknown; payload?: { message_id?: unknown } };
  // ws's default binaryType 'nodebuffer': one Buffer per message.
  try {
    frame = JSON.parse((data as Buffer).toString()) as typeof frame;
  } catch {
    return;
  }
  const type = frame.type;
  if (type === 'connection_established') {
    if (c.established) return;
    c.established = true;
    count.onEstablished();
    return;
  }
  if (type === 'agent_completed') loop.completed(frame.payload?.message_id);
}

function connect(c: Conn): void {
  const ws = new WebSocket(wsUrl, [`jwt.${c.token}`], {
    perMessageDeflate: false,
    handshakeTimeout: args.connectTimeout * 1000,
  });
  c.ws = ws;
  ws.on('message', (data) => onMessage(c, data));
  ws.on('error', () => {
    if (!c.established) count.onFailed();
  });
  ws.on('close', () => {
    c.ws = undefined;
  });
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
    await createBenchThreads(args.url, conns);
    const { loopMs, loopCpuUs } = await measureConnectionRuns(conns, { connect, sendNext, count, loop }, args);
    await closeAll(conns);
    lagWhole.disable();
    printResult({
      mode: 'runs',
      users: args.users,
      runs: loop.runs,
      unfinished: loop.pending.size,
      cpuUs: cpuNow(),
      loopCpuUs,
      loopMs: Math.round(loopMs),
      runsPerSec: Math.round(loop.runs / (loopMs / 1000)),
      firstConnection: count.first,
    });
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
  const ok = await count.waitAll(conns.length, args.connectTimeout * 1000);
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
  const lagMs = (h: ReturnType<typeof monitorEventLoopDelay>, p: number): number =>
    Math.round(Math.max(0, h.percentile(p) - 10e6) / 1e3) / 1e3;
  const open = conns.filter((c) => c.ws?.readyState === WebSocket.OPEN).length;
  printResult({
    mode: 'idle',
    users: args.users,
    established: count.established,
    failedConnects: count.failed,
    openAfterHold: open,
    allConnected: ok,
    allConnectedMs: Math.round(allConnectedMs),
    rssBytes: mem.rss,
    rssPerSessionBytes: Math.round(mem.rss / args.users),
    gcForced: gc !== undefined,
    memory: {
      rss: mem.rss,
      heapTotal: mem.heapTotal,
      heapUsed: mem.heapUsed,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
    },
    loopLagP99Ms: lagMs(hold, 99),
    loopLagMaxMs: Math.round(Math.max(0, hold.max - 10e6) / 1e3) / 1e3,
    loopLagP99WholeMs: lagMs(lagWhole, 99),
    firstConnection: count.first,
  });
  await closeAll(conns);
}

// A hard ceiling on the whole process, whatever happens.
const ceilingMs = (args.connectTimeout + args.seconds + args.ramp + args.settle + args.hold + 30) * 1000;
setTimeout(() => {
  process.stderr.write('bare-client: hard timeout\n');
  process.exit(4);
}, ceilingMs).unref();

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bare-client: ${(err as Error).message ?? String(err)}\n`);
    process.exit(4);
  },
);
