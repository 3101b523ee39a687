/**
 * The floor for the SSE transport: the least a client can do to drive agent
 * runs over Server-Sent Events (docs/transports.md, `simulate serve
 * --transport sse`). Only undici (one keep-alive pool, as crosstalk's REST
 * client), eventsource-parser (the parser crosstalk uses) and node:crypto
 * (HS256 tokens). Each user creates a thread, then loops: POST
 * /api/threads/:id/runs/stream, every event's data parsed as JSON, the run
 * done at its terminal event (the next run starts then, as a crosstalk flow's
 * next step does); one stream is one run, so nothing is correlated. No
 * oracles, no metrics, no histograms: whatever crosstalk costs beyond this is
 * the price of what it checks and records.
 *
 *   SIM_JWT_SECRET=... node dist/bench/bare-sse-client.js --url http://127.0.0.1:PORT --users 50 --seconds 10 [--think 0]
 *
 * Prints one JSON line on stdout (bench/transports.ts reads it): runs
 * (completed), failed (agent_error or agent_stopped), broken (a stream that
 * ended without a terminal event, or a refused start), unfinished, events,
 * cpuUs (process.cpuUsage, whole process), loopCpuUs, loopMs, runsPerSec.
 * Bounded in time; traffic goes only to the --url given, which must be a
 * loopback address.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, request } from 'undici';
import { cpuNow, fail, mintToken, parseBareArgs, printResult, runBounded, sleep } from './bare-client-kit.js';

const NAME = 'bare-sse-client';
const args = parseBareArgs(NAME, process.argv.slice(2));
const secret = process.env.SIM_JWT_SECRET;
if (!secret) fail(NAME, 'SIM_JWT_SECRET is unset');
const tag = Math.random().toString(36).slice(2, 8);
const TERMINAL_OK = 'agent_completed';
const TERMINAL_NOT_OK = new Set(['agent_error', 'agent_stopped']);
const STREAM_HEADERS = { accept: 'text/event-stream', 'content-type': 'application/json' } as const;

const agent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: args.connectTimeout * 1000 });

interface User {
  readonly id: string;
  readonly auth: string;
  thread: string;
  seq: number;
}

let runs = 0;
let failed = 0;
let broken = 0;
let events = 0;
let inFlight = 0;
let sending = true;

type Outcome = 'completed' | 'failed' | 'broken';

/**
 * One run: its stream read event by event; answers at the terminal event
 * (the rest of the response, the end of the chunked body, is read but no
 * longer waited for) or when the stream ends without one.
 */
async function runOnce(u: User): Promise<Outcome> {
  const messageId = `m-${tag}-${u.id}-${++u.seq}`;
  const res = await request(`${args.url}/api/threads/${u.thread}/runs/stream`, {
    method: 'POST',
    dispatcher: agent,
    bodyTimeout: 0,
    headers: { ...STREAM_HEADERS, authorization: u.auth },
    body: JSON.stringify({ content: args.content, message_id: messageId }),
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    return 'broken';
  }
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const settle = (o: Outcome): void => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const parser = createParser({
      onEvent(ev: EventSourceMessage): void {
        events++;
        let frame: unknown;
        try {
          frame = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (typeof frame !== 'object' || frame === null) return;
        const type = ev.event;
        if (type === TERMINAL_OK) settle('completed');
        else if (type !== undefined && TERMINAL_NOT_OK.has(type)) settle('failed');
      },
    });
    const body = res.body;
    // undici's body ignores setEncoding: a decoder per stream keeps a character split across chunks whole.
    const decoder = new StringDecoder('utf8');
    body.on('data', (chunk: Buffer) => parser.feed(decoder.write(chunk)));
    body.on('end', () => settle('broken'));
    body.on('error', () => settle('broken'));
  });
}

async function userLoop(u: User): Promise<void> {
  while (sending) {
    inFlight++;
    let o: Outcome;
    try {
      o = await runOnce(u);
    } catch {
      o = 'broken';
    }
    inFlight--;
    if (o === 'completed') runs++;
    else if (o === 'failed') failed++;
    else broken++;
    if (args.think > 0 && sending) await sleep(args.think);
  }
}

async function createThread(u: User): Promise<void> {
  const res = await request(`${args.url}/api/threads`, {
    method: 'POST',
    dispatcher: agent,
    signal: AbortSignal.timeout(10_000),
    headers: { authorization: u.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ title: `Bench ${u.id}` }),
  });
  const body = (await res.body.json()) as { id?: unknown };
  if (res.statusCode !== 201 || typeof body.id !== 'string')
    throw new Error(`create thread answered ${res.statusCode}`);
  u.thread = body.id;
}

async function main(): Promise<void> {
  const users: User[] = [];
  for (let i = 0; i < args.users; i++) {
    const id = `u-bare-${tag}-${String(i).padStart(5, '0')}`;
    users.push({ id, auth: `Bearer ${mintToken(secret!, id)}`, thread: '', seq: 0 });
  }
  // Threads over REST, a few at a time; SSE has no connection to open before the first run.
  for (let i = 0; i < users.length; i += 32) await Promise.all(users.slice(i, i + 32).map(createThread));
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const loops = users.map(userLoop);
  await sleep(args.seconds * 1000);
  sending = false;
  const loopMs = performance.now() - t0;
  // Runs in flight finish (each is one short stream away), bounded.
  await Promise.race([Promise.all(loops), sleep(5000)]);
  const loopCpuUs = cpuNow() - cpu0;
  await agent.destroy();
  printResult({
    mode: 'runs',
    transport: 'sse',
    users: args.users,
    runs,
    failed,
    broken,
    unfinished: inFlight,
    events,
    cpuUs: cpuNow(),
    loopCpuUs,
    loopMs: Math.round(loopMs),
    runsPerSec: Math.round(runs / (loopMs / 1000)),
  });
}

runBounded(NAME, args, main);
