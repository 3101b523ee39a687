// The built-in `langgraph` adapter against a real LangGraph API server (test/interop/langgraph/, its own npm
// package): the flagship's shape runs clean on the owner-filtered server, the leaky variant is caught, and the
// stock server's two findings are reported with the adapter's probes on. Skipped, saying how to install it,
// when that package is not installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { counter, readSummary, removeTempDirs, trend, trendCount, writeScenario } from '../helpers/sim.js';
import { envWithout, ROOT, runCli } from '../helpers/cli.js';

const PACKAGE = join(ROOT, 'test', 'interop', 'langgraph');
const INSTALLED = existsSync(join(PACKAGE, 'node_modules', '@langchain', 'langgraph-api', 'package.json'));
const SKIP = INSTALLED
  ? false
  : 'the LangGraph interop package is not installed: run `npm ci --prefix test/interop/langgraph`';

/** What start-server.mjs's startLangGraph() resolves to. */
interface LangGraphServer {
  readonly url: string;
  readonly startupMs: number;
  stderrTail(): string;
  close(): Promise<void>;
}
type StartLangGraph = (options: {
  secret: string;
  dropOwnerFilter?: boolean;
  studioAuth?: boolean;
  env?: Record<string, string>;
}) => Promise<LangGraphServer>;
/** client.mjs of the interop package: what the warm-up run needs. */
interface LangGraphClient {
  mintToken(secret: string, sub: string): Promise<string>;
  api(
    base: string,
    method: string,
    path: string,
    opts: { token: string; body?: unknown },
  ): Promise<{ status: number; json: unknown }>;
  readSse(
    base: string,
    method: string,
    path: string,
    opts: { token: string; body?: unknown; timeoutMs?: number },
  ): Promise<{ status: number }>;
}

/**
 * One run on a fresh server, as a deployed server has had: its first run loads the graph and warms the
 * worker (seconds on a busy machine), which would otherwise eat most of a short scenario's duration.
 */
async function warmUp(client: LangGraphClient, server: LangGraphServer, secret: string): Promise<void> {
  const token = await client.mintToken(secret, 'u-warm-up');
  const thread = await client.api(server.url, 'POST', '/threads', { token, body: {} });
  assert.equal(thread.status, 200);
  const body = {
    assistant_id: 'echo',
    input: { messages: [{ role: 'user', content: 'warm up' }] },
    stream_mode: ['values'],
  };
  const run = await client.readSse(
    server.url,
    'POST',
    `/threads/${(thread.json as { thread_id: string }).thread_id}/runs/stream`,
    { token, body, timeoutMs: 30_000 },
  );
  assert.equal(run.status, 200);
}

/** One isolation line of violations.jsonl, as a user reads it. */
interface ViolationLine {
  readonly kind: string;
  readonly kinds: ReadonlyArray<{ kind: string; field: string; value: string; owner?: string }>;
  readonly receiver: { user: string };
  readonly owner?: string;
  readonly channel: string;
  readonly op?: string;
  readonly frame?: string;
}

function readViolations(out: string): ViolationLine[] {
  const file = join(out, 'violations.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ViolationLine);
}

/**
 * The flagship's shape, short and on LangGraph: chatters loop runs on their thread and read their threads back,
 * lurkers (sentinels: they never send) idle and list threads, which must hold none of theirs; `probes` as given.
 * Nothing in it names LangGraph's wire but `api` and its parameter.
 */
const flagship = (probes: string, duration = '8s'): string => `name: langgraph-flagship
target: { api: langgraph, params: { assistant_id: echo } }
auth: { kind: jwt, delivery: header }
cohorts:
  chatters:
    users: 4
    duration: ${duration}
    gracefulStop: 20s
    flow:
      - connect
      - createThread: { title: "Cost review {{user}}", metadata: { team: finance } }
      - repeat:
          times: 2
          steps:
            - sendMessage: { content: "Summarise last month's cloud spend for {{user}}", await: agent_completed, timeout: 20s }
      - listThreads
      - getThread
      - disconnect
  lurkers:
    users: 2
    duration: ${duration}
    flow: [connect, { idle: 2s }, listThreads]
probes: ${probes}
thresholds:
  run.agent_started: ["p(95) < 15s"]
  run.first_content: ["p(95) < 15s"]
  errors: ["rate < 0.01"]
  isolation.violations: ["count == 0"]
`;

const PROBES = '{ crossUserRead: { rate: 10/s }, forgedTokens: { rate: 10/s } }';

describe('the langgraph adapter on a real LangGraph server', { skip: SKIP, concurrency: 3 }, () => {
  const secret = randomBytes(32).toString('base64url');
  const env = { ...envWithout('SIM_JWT_SECRET'), SIM_JWT_SECRET: secret };
  let strict: LangGraphServer;
  let leaky: LangGraphServer;
  let studio: LangGraphServer;
  let client: LangGraphClient;

  before(async () => {
    const { startLangGraph } = (await import(pathToFileURL(join(PACKAGE, 'start-server.mjs')).href)) as {
      startLangGraph: StartLangGraph;
    };
    client = (await import(pathToFileURL(join(PACKAGE, 'client.mjs')).href)) as LangGraphClient;
    [strict, leaky, studio] = await Promise.all([
      startLangGraph({ secret }),
      startLangGraph({ secret, dropOwnerFilter: true }),
      startLangGraph({ secret, studioAuth: true }),
    ]);
    await Promise.all([strict, leaky, studio].map((server) => warmUp(client, server, secret)));
  });
  after(async () => {
    await Promise.all([strict?.close(), leaky?.close(), studio?.close()]);
    removeTempDirs();
  });

  const run = async (
    yaml: string,
    server: LangGraphServer,
  ): Promise<{ code: number | null; out: string; log: string }> => {
    const f = writeScenario(yaml);
    const r = await runCli(['run', f.file, '--target', server.url, '--out', f.out, '--no-progress'], {
      env,
      timeoutMs: 120_000,
    });
    return {
      code: r.code,
      out: f.out,
      log: `${r.stdout}${r.stderr}\n--- server stderr ---\n${server.stderrTail().slice(-2000)}`,
    };
  };

  test('clean: every run completes, timed by role, with probes on and no violation', async () => {
    const r = await run(flagship(PROBES), strict);
    assert.equal(r.code, 0, r.log);
    const s = readSummary(r.out);
    const runs = s.runs.completed;
    // Every chatter ran (how many times depends on the machine: a run is ~1 s idle, several when it is busy), and every run that started completed.
    assert.ok(
      runs >= 4 && runs === s.runs.started,
      `${JSON.stringify(s.runs)}, run.total p50 ${trend(s, 'run.total').p50} ms`,
    );
    assert.equal(s.runs.failed + s.runs.timedOut, 0);
    // metadata (started), then one messages frame per token (content), then the stream closes (completed).
    assert.equal(trendCount(s, 'run.first_event'), runs);
    assert.equal(trendCount(s, 'run.agent_started'), runs);
    assert.equal(trendCount(s, 'run.first_content'), runs);
    assert.ok(trendCount(s, 'run.content_gap') >= runs * 10, `content gaps: ${trendCount(s, 'run.content_gap')}`);
    // One per token the model streams (~20 a run: the tool call's chunks, the tool's answer, the answer's words); a
    // [chunk, metadata] frame read as a batch of two would count each twice.
    const deltas = counter(s, 'run.content_deltas');
    assert.ok(deltas >= runs * 15 && deltas <= runs * 30, `content deltas: ${deltas} for ${runs} runs`);
    // The first token comes before the run ends, which waits ~500 ms for the server to close the stream.
    assert.ok(trend(s, 'run.first_content').p50 < trend(s, 'run.total').p50);
    assert.equal(s.isolation.verdict, 'clean');
    assert.equal(s.isolation.violations, 0, JSON.stringify(s.isolation));
    assert.equal(s.lifecycle.violations, 0, JSON.stringify(s.lifecycle));
    // Owner fields were there to check: the messages frames' data[1].owner, the threads' metadata.owner.
    assert.ok((s.coverage?.framesChecked ?? 0) >= runs * 15);
    const ops = s.coverage?.operations ?? {};
    for (const op of ['create_thread', 'send_message', 'list_threads']) {
      assert.ok(
        (ops[op]?.succeeded ?? 0) > 0 && ops[op]?.succeeded === ops[op]?.attempted,
        `${op}: ${JSON.stringify(ops[op])}`,
      );
    }
    // A chatter whose slot ends skips the rest of its iteration, so its reads after the runs may be few on a busy machine; none failed.
    assert.equal(ops.get_thread?.succeeded, ops.get_thread?.attempted, JSON.stringify(ops.get_thread));
    // Probes tried other users' threads and forged tokens (and the studio header, refused here): all answered, none let through.
    assert.ok((s.coverage?.probesAnswered ?? 0) >= 20, JSON.stringify(s.coverage));
    assert.equal(s.coverage?.probesAnswered, s.coverage?.probesSent);
    assert.equal(counter(s, 'ws.connections'), 0, 'plain SSE: connect and disconnect do nothing');
  });

  test('owner filter dropped: rest_foreign_listing and rest_cross_user_read, with the other user in the evidence', async () => {
    const r = await run(flagship(PROBES), leaky);
    assert.equal(r.code, 2, r.log);
    const s = readSummary(r.out);
    assert.ok((s.isolation.byKind.rest_foreign_listing ?? 0) > 0, JSON.stringify(s.isolation));
    assert.ok((s.isolation.byKind.rest_cross_user_read ?? 0) > 0, JSON.stringify(s.isolation));
    const lines = readViolations(r.out);
    // A listing that holds another user's thread, caught by the owner LangGraph stamped at metadata.owner.
    const listing = lines.find((v) => v.kind === 'rest_foreign_listing');
    assert.ok(listing, 'a rest_foreign_listing line');
    const foreign = listing.kinds.find((k) => k.kind === 'rest_foreign_listing')!;
    assert.notEqual(foreign.owner, listing.receiver.user);
    assert.match(listing.frame ?? '', new RegExp(`"owner":"${foreign.owner}"`));
    // Another user's thread read (or changed) by id through the adapter's routes, answered 200.
    const read = lines.find((v) => v.kind === 'rest_cross_user_read');
    assert.ok(read, 'a rest_cross_user_read line');
    assert.match(read.op ?? '', /^crossUserRead (getThread|updateThread|deleteThread|listMessages|startRun)$/);
    assert.match(read.frame ?? '', /^HTTP 2\d\d /);
    assert.notEqual(read.owner, read.receiver.user);
  });

  test("stock finding: protocol v2 lets another user open a thread's event stream (adapter probes, owner filter on)", async () => {
    const r = await run(flagship('{ adapter: { rate: 10/s } }', '4s'), strict);
    assert.equal(r.code, 2, r.log);
    const s = readSummary(r.out);
    assert.ok((s.isolation.byKind.rest_cross_user_read ?? 0) > 0, JSON.stringify(s.isolation));
    // The owner filter itself holds: nothing else leaked.
    assert.deepEqual(
      Object.keys(s.isolation.byKind).filter((k) => (s.isolation.byKind[k] ?? 0) > 0),
      ['rest_cross_user_read'],
    );
    const lines = readViolations(r.out);
    const stream = lines.find((v) => v.op === 'adapterProbe threadStream');
    assert.ok(stream, `an adapterProbe threadStream line among ${lines.map((v) => v.op).join(', ')}`);
    assert.equal(stream.channel, 'ws');
    assert.match(stream.frame ?? '', /^GET \/threads\/[0-9a-f-]{36}\/stream\/events answered 101/);
    assert.equal(stream.kinds[0]!.field, 'thread_id');
    assert.notEqual(stream.owner, stream.receiver.user);
    // The users' own runs were not disturbed by it.
    assert.equal(s.runs.completed, s.runs.started);
  });

  test('stock finding: with studio auth on, x-auth-scheme: langsmith needs no token (auth_bypass naming the header)', async () => {
    // The header is one slot of the forgery cycle (each forgery of the catalogue on each way in, then it): a brisk rate.
    const r = await run(flagship('{ forgedTokens: { rate: 60/s } }', '4s'), studio);
    assert.equal(r.code, 2, r.log);
    const s = readSummary(r.out);
    assert.ok((s.isolation.byKind.auth_bypass ?? 0) > 0, JSON.stringify(s.isolation));
    const lines = readViolations(r.out).filter((v) => v.kind === 'auth_bypass');
    assert.ok(lines.length > 0);
    // Only the header got in: every forged token of the catalogue was still refused.
    for (const v of lines) assert.equal(v.kinds[0]!.value, 'forgedTokens REST bypass x-auth-scheme: langsmith');
    // Answered as if by the owner, on whichever reading route it was tried.
    assert.ok(
      lines.some((v) => /^HTTP 200 (listThreads \[|getThread \{|listMessages \{)/.test(v.frame ?? '')),
      lines.map((v) => v.frame?.slice(0, 40)).join(' | '),
    );
  });

  test('stopAgent cancels a streaming run; the thread takes the next message', async () => {
    const users = [`stopper-${randomBytes(4).toString('hex')}-a`, `stopper-${randomBytes(4).toString('hex')}-b`];
    const r = await run(
      `name: langgraph-stop
target: { api: langgraph, params: { assistant_id: echo } }
auth: { kind: jwt, delivery: header }
users: { ids: [${users.join(', ')}] }
cohorts:
  stoppers:
    users: 2
    duration: 6s
    gracefulStop: 20s
    flow:
      - createThread
      - sendMessage: { content: "A long answer for {{user}} [[slow]]", await: content_delta, timeout: 20s }
      - stopAgent: { timeout: 10s }
      - sendMessage: { content: "Thanks, {{user}}", timeout: 20s }
      # One pass each: the idle is cut short when the slot ends.
      - idle: 30s
`,
      strict,
    );
    assert.equal(r.code, 0, r.log);
    const s = readSummary(r.out);
    const ops = s.coverage?.operations ?? {};
    assert.deepEqual(
      [ops.stop_agent, ops.send_message],
      [
        { attempted: 2, succeeded: 2 },
        { attempted: 4, succeeded: 4 },
      ],
      JSON.stringify(ops),
    );
    assert.equal(s.lifecycle.violations, 0, JSON.stringify(s.lifecycle));
    // What the server says: on each user's thread the first run was cancelled, the second answered.
    for (const user of users) {
      const token = await client.mintToken(secret, user);
      const threads = await client.api(strict.url, 'POST', '/threads/search', { token, body: {} });
      assert.equal(threads.status, 200);
      const list = threads.json as Array<{ thread_id: string }>;
      assert.equal(list.length, 1, `${user}'s threads: ${JSON.stringify(list)}`);
      const runs = await client.api(strict.url, 'GET', `/threads/${list[0]!.thread_id}/runs`, { token });
      assert.deepEqual(
        (runs.json as Array<{ status: string }>).map((x) => x.status),
        ['interrupted', 'success'],
        JSON.stringify(runs.json),
      );
    }
  });
});

describe('the langgraph adapter without a server', () => {
  test('a step LangGraph has no honest route for (postMessage) is exit 3 naming the scenario and the adapter', async () => {
    const f = writeScenario(`name: lg
target: { api: langgraph, params: { assistant_id: echo } }
auth: { kind: jwt, delivery: header }
cohorts:
  c:
    users: 1
    duration: 1s
    flow: [createThread, { postMessage: { content: hi } }]
`);
    const r = await runCli(['validate', f.file]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /scenario\.yaml:\d+:\d+: cohorts\.c\.flow\[1\]: adapter "langgraph" \(built-in\) has no route for postMessage/,
    );
  });

  test('assistant_id is required, and probes.adapter needs an adapter that declares probes', async () => {
    const f = writeScenario(`name: lg
target: { api: langgraph }
auth: { kind: jwt, delivery: header }
cohorts:
  c: { users: 1, duration: 1s, flow: [createThread] }
`);
    const r = await runCli(['validate', f.file]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /scenario\.yaml:\d+:\d+: target\.params: adapter "langgraph" needs parameter "assistant_id"/,
    );
    const g = writeScenario(`name: ct
auth: { kind: jwt }
cohorts:
  c: { users: 1, duration: 1s, flow: [connect] }
probes: { adapter: true }
`);
    const q = await runCli(['validate', g.file]);
    assert.equal(q.code, 3, q.stderr);
    assert.match(q.stderr, /probes\.adapter: adapter "crosstalk" \(built-in\) declares no probes of its own/);
  });
});
