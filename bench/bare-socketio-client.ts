/**
 * The floor for the Socket.IO transport: the least a client can do to drive
 * agent runs over Socket.IO (docs/transports.md, `simulate serve --transport
 * socketio`). Only socket.io-client over its WebSocket transport (as
 * crosstalk connects: no polling, no reconnection, a manager per socket),
 * node's fetch (one thread per user) and node:crypto (HS256 tokens). Each
 * user waits for `connection_established`, then loops `user_message`; replies
 * are correlated by `message_id` alone and a run counts as done at
 * `agent_completed`. Socket.IO's parser decodes every event's JSON whether
 * or not a listener wants it. No oracles, no metrics, no histograms.
 *
 *   SIM_JWT_SECRET=... node dist/bench/bare-socketio-client.js --url http://127.0.0.1:PORT --users 50 --seconds 10 [--think 0]
 *
 * Prints one JSON line on stdout (bench/transports.ts reads it): runs,
 * unfinished, cpuUs (process.cpuUsage, whole process), loopCpuUs, loopMs,
 * runsPerSec, firstConnection. Bounded in time; traffic goes only to the
 * --url given, which must be a loopback address.
 */
import { io, type Socket } from 'socket.io-client';
import {
  ConnectionCount,
  cpuNow,
  createBenchThreads,
  measureConnectionRuns,
  fail,
  mintToken,
  parseBareArgs,
  printResult,
  RunLoop,
  runBounded,
  sleep,
} from './bare-client-kit.js';

const NAME = 'bare-socketio-client';
const args = parseBareArgs(NAME, process.argv.slice(2));
const secret = process.env.SIM_JWT_SECRET;
if (!secret) fail(NAME, 'SIM_JWT_SECRET is unset');
const tag = Math.random().toString(36).slice(2, 8);

/** One user's socket and what it waits for. */
interface Conn {
  readonly user: string;
  readonly token: string;
  thread: string;
  socket: Socket | undefined;
  established: boolean;
  seq: number;
}

const count = new ConnectionCount();
const loop: RunLoop<Conn> = new RunLoop(sendNext, args.think);

function sendNext(c: Conn): void {
  if (!loop.active || !c.socket?.connected) return;
  const messageId = `m-${tag}-${c.user}-${++c.seq}`;
  loop.sent(messageId, c);
  c.socket.emit('user_message', { thread_id: c.thread, content: args.content, message_id: messageId });
}

function onCompleted(payload: { message_id?: unknown } | undefined): void {
  loop.completed(payload?.message_id);
}

function connect(c: Conn): void {
  const socket = io(args.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    multiplex: false,
    timeout: args.connectTimeout * 1000,
    auth: { token: c.token },
  });
  c.socket = socket;
  socket.on('connection_established', () => {
    if (c.established) return;
    c.established = true;
    count.onEstablished();
  });
  socket.on('agent_completed', onCompleted);
  socket.on('connect_error', () => {
    if (!c.established) count.onFailed();
  });
}

async function main(): Promise<void> {
  const conns: Conn[] = [];
  for (let i = 0; i < args.users; i++) {
    const user = `u-bare-${tag}-${String(i).padStart(5, '0')}`;
    conns.push({ user, token: mintToken(secret!, user), thread: '', socket: undefined, established: false, seq: 0 });
  }
  await createBenchThreads(args.url, conns);
  const { loopMs, loopCpuUs } = await measureConnectionRuns(conns, { connect, sendNext, count, loop }, args);
  for (const c of conns) c.socket?.disconnect();
  await sleep(50);
  printResult({
    mode: 'runs',
    transport: 'socketio',
    users: args.users,
    runs: loop.runs,
    unfinished: loop.pending.size,
    cpuUs: cpuNow(),
    loopCpuUs,
    loopMs: Math.round(loopMs),
    runsPerSec: Math.round(loop.runs / (loopMs / 1000)),
    firstConnection: count.first,
  });
}

runBounded(NAME, args, main);
