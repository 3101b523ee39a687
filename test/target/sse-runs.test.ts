// Agent runs over Server-Sent Events (`--transport sse`): one stream per run,
// auth and refusals before any event, stop, readers that leave, heartbeat.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openWs, rest, uniqueId, UpgradeRefused } from '../helpers/client.js';
import { openRunStream, type TestSseStream } from '../helpers/sse-client.js';
import { assertCompletedRun, TERMINAL_TYPES } from '../helpers/run-events.js';
import { SLOW_AGENT, startTestTarget, type TestTarget } from '../helpers/target.js';

interface User {
  readonly id: string;
  readonly token: string;
  readonly threadId: string;
}

async function newUser(target: TestTarget): Promise<User> {
  const id = uniqueId('u');
  const token = await target.token(id);
  const res = await rest(target.url, 'POST', '/api/threads', { token, body: { title: 'sse' } });
  assert.equal(res.status, 201);
  return { id, token, threadId: res.json.id as string };
}

/** Polls `/health` until `check` holds (3 s at most); returns the last answer. */
async function healthUntil(
  target: TestTarget,
  check: (h: Record<string, number>) => boolean,
): Promise<Record<string, number>> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const h = (await rest(target.url, 'GET', '/health')).json as Record<string, number>;
    if (check(h) || Date.now() > deadline) return h;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('SSE runs', () => {
  let target: TestTarget;
  let slow: TestTarget;
  const streams: TestSseStream[] = [];
  before(async () => {
    target = await startTestTarget({ transport: 'sse', agent: 'fast', seed: 11 });
    slow = await startTestTarget({ transport: 'sse', agent: SLOW_AGENT, seed: 12 });
  });
  after(async () => {
    for (const s of streams) s.abort();
    await Promise.all([target.close(), slow.close()]);
  });
  const open = async (
    t: TestTarget,
    threadId: string,
    opts: Parameters<typeof openRunStream>[2],
  ): Promise<TestSseStream> => {
    const s = await openRunStream(t.url, threadId, opts);
    streams.push(s);
    return s;
  };

  test("a run streams protocol.md's events in order, named by type with the seq as id, and the stream ends after the terminal event", async () => {
    const u = await newUser(target);
    const content = `What is the capital of ${uniqueId('country')}?`;
    const s = await open(target, u.threadId, { token: u.token, content, messageId: 'msg-sse-1' });
    assert.equal(s.status, 200);
    assert.equal(s.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(s.headers['cache-control'], 'no-cache');
    assert.equal(await s.finished, 'end', 'the server ends the stream cleanly');
    assertCompletedRun(s.frames, { userId: u.id, threadId: u.threadId, messageId: 'msg-sse-1', content });
    s.events.forEach((ev, i) => {
      assert.equal(ev.event, s.frames[i]!.type, 'the SSE event name is the frame type');
      assert.equal(ev.id, String(s.frames[i]!.payload.seq), 'the SSE id is the frame seq');
      assert.ok(!ev.data.includes('\n'), 'one data line per event');
    });
    assert.ok(TERMINAL_TYPES.has(s.frames.at(-1)!.type!), 'the terminal event is the last one');
    const msgs = await rest(target.url, 'GET', `/api/threads/${u.threadId}/messages`, { token: u.token });
    assert.deepEqual(
      msgs.json.messages.map((m: { role: string }) => m.role),
      ['user', 'assistant'],
      'the message and its answer are stored',
    );
  });

  test("two users, three streams at once: each stream carries its own run only, and nobody gets another user's events", async () => {
    const [a, b] = [await newUser(target), await newUser(target)];
    const [a1, a2, b1] = await Promise.all([
      open(target, a.threadId, { token: a.token, content: `a one ${a.id}`, messageId: 'a1' }),
      open(target, a.threadId, { token: a.token, content: `a two ${a.id}`, messageId: 'a2' }),
      open(target, b.threadId, { token: b.token, content: `b one ${b.id}`, messageId: 'b1' }),
    ]);
    await Promise.all([a1.finished, a2.finished, b1.finished]);
    const runA1 = assertCompletedRun(a1.frames, {
      userId: a.id,
      threadId: a.threadId,
      messageId: 'a1',
      content: `a one ${a.id}`,
    });
    const runA2 = assertCompletedRun(a2.frames, {
      userId: a.id,
      threadId: a.threadId,
      messageId: 'a2',
      content: `a two ${a.id}`,
    });
    assertCompletedRun(b1.frames, { userId: b.id, threadId: b.threadId, messageId: 'b1', content: `b one ${b.id}` });
    assert.notEqual(runA1, runA2, 'two runs');
    for (const ev of b1.events)
      assert.ok(!ev.data.includes(a.id) && !ev.data.includes(a.threadId), `b got a frame naming a: ${ev.data}`);
  });

  test("refused before any event, as plain JSON: 401 for each bad token, 404 for a thread that is not the caller's, 400 for a bad body", async () => {
    const [a, b] = [await newUser(target), await newUser(target)];
    const bad: Array<[string, string | undefined]> = [
      ['no token', undefined],
      ['badly signed', await target.token(a.id, { wrongSecret: true })],
      ['expired', await target.token(a.id, { expiresInSec: -60 })],
      ['not an access token', await target.token(a.id, { type: 'refresh' })],
    ];
    for (const [what, token] of bad) {
      const s = await open(target, a.threadId, { ...(token !== undefined ? { token } : {}), content: 'hi' });
      assert.equal(s.status, 401, what);
      assert.equal(s.json.error.code, 'AUTH_FAILED', what);
    }
    const foreign = await open(target, a.threadId, { token: b.token, content: 'let me in' });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json.error.code, 'THREAD_NOT_FOUND');
    assert.equal((await open(target, 'thr_nope', { token: a.token, content: 'hi' })).status, 404);
    for (const body of [{}, { content: '' }, { content: 3 }, { content: 'hi', message_id: 7 }, ['content']]) {
      const s = await open(target, a.threadId, { token: a.token, body });
      assert.equal(s.status, 400, JSON.stringify(body));
      assert.equal(s.json.error.code, 'BAD_REQUEST');
    }
    const msgs = await rest(target.url, 'GET', `/api/threads/${a.threadId}/messages`, { token: a.token });
    assert.equal(msgs.json.total, 0, 'no refused request stored a message or started a run');
  });

  test("stop: 202, then the stream carries agent_stopped and ends; another user's stop is 404 and leaves the run going", async () => {
    const [a, b] = [await newUser(slow), await newUser(slow)];
    const s = await open(slow, a.threadId, { token: a.token, content: 'stop me', messageId: 'm-stop' });
    const started = await s.waitFor((f) => f.type === 'agent_started', 3000);
    const runId = started.payload.run_id as string;
    const foreign = await rest(slow.url, 'POST', `/api/runs/${runId}/stop`, { token: b.token });
    assert.equal(foreign.status, 404, 'another user cannot stop the run');
    const stopped = await rest(slow.url, 'POST', `/api/runs/${runId}/stop`, { token: a.token });
    assert.equal(stopped.status, 202);
    assert.deepEqual(stopped.json, { run_id: runId, status: 'stopping' });
    assert.equal(await s.finished, 'end');
    assert.equal(s.frames.at(-1)!.type, 'agent_stopped');
    assert.equal(s.frames.at(-1)!.payload.run_id, runId);
    assert.ok(!s.frames.some((f) => f.type === 'agent_completed'));
    assert.equal(
      (await rest(slow.url, 'POST', `/api/runs/${runId}/stop`, { token: a.token })).status,
      404,
      'an ended run is 404',
    );
    assert.equal((await rest(slow.url, 'POST', '/api/runs/run_nope/stop', { token: a.token })).status, 404);
    assert.equal((await rest(slow.url, 'POST', `/api/runs/${runId}/stop`, {})).status, 401);
  });

  test('a reader that goes away mid-run cancels the run and leaves no connection behind', async () => {
    const a = await newUser(slow);
    const s = await open(slow, a.threadId, { token: a.token, content: 'walk away', messageId: 'm-gone' });
    await s.waitFor((f) => f.type === 'agent_started', 3000);
    s.abort();
    assert.equal(await s.finished, 'aborted');
    const h = await healthUntil(slow, (x) => x.connections === 0 && x.runsInFlight === 0);
    assert.equal(h.connections, 0, 'the stream is forgotten');
    assert.equal(h.runsInFlight, 0, 'the run is cancelled');
    const msgs = await rest(slow.url, 'GET', `/api/threads/${a.threadId}/messages`, { token: a.token });
    assert.deepEqual(
      msgs.json.messages.map((m: { role: string }) => m.role),
      ['user'],
      'a cancelled run stores no answer',
    );
    const again = await open(slow, a.threadId, { token: a.token, content: 'back again', messageId: 'm-back' });
    assert.equal(await again.finished, 'end', 'the target serves the next stream');
    assert.equal(again.frames.at(-1)!.type, 'agent_completed');
  });

  test('only SSE serves runs: /ws answers 404, and a WebSocket target has no stream route', async () => {
    const a = await newUser(target);
    await assert.rejects(
      openWs(target.url, { delivery: 'header', token: a.token }),
      (err: unknown) => err instanceof UpgradeRefused && err.status === 404,
    );
    const ws = await startTestTarget({ agent: 'instant' });
    try {
      const u = await newUser(ws);
      const s = await openRunStream(ws.url, u.threadId, { token: u.token, content: 'hi' });
      assert.equal(s.status, 404);
      assert.equal((await rest(ws.url, 'POST', '/api/runs/run_x/stop', { token: u.token })).status, 404);
    } finally {
      await ws.close();
    }
  });
});

describe('SSE: rate limit, injected 500, heartbeat', () => {
  test('a stream request over the rate limit is answered 429 with Retry-After, not a stream', async () => {
    const t = await startTestTarget({ transport: 'sse', agent: 'instant', rateLimitPerSec: 0.5 });
    try {
      const a = await newUser(t);
      const s = await openRunStream(t.url, a.threadId, { token: a.token, content: 'too soon' });
      assert.equal(s.status, 429);
      assert.equal(s.json.error.code, 'RATE_LIMITED');
      assert.ok(Number(s.headers['retry-after']) >= 1);
    } finally {
      await t.close();
    }
  });

  test('the http_500 fault answers the stream request 500 JSON before any event', async () => {
    const t = await startTestTarget({ transport: 'sse', agent: 'instant', faults: { http_500: 1 } });
    try {
      const s = await openRunStream(t.url, 'thr_any', { token: await t.token(uniqueId('u')), content: 'hi' });
      assert.equal(s.status, 500);
      assert.equal(s.json.error.code, 'INTERNAL');
      assert.equal(s.events.length, 0);
    } finally {
      await t.close();
    }
  });

  test('--heartbeat sends ownerless heartbeat events on every open stream', async () => {
    const t = await startTestTarget({ transport: 'sse', agent: SLOW_AGENT, heartbeatMs: 50 });
    try {
      const [a, b] = [await newUser(t), await newUser(t)];
      const streams = await Promise.all(
        [a, b].map((u) => openRunStream(t.url, u.threadId, { token: u.token, content: 'wait' })),
      );
      for (const s of streams) {
        const hb = await s.waitFor((f) => f.type === 'heartbeat', 2000);
        const ev = s.events[s.frames.indexOf(hb)]!;
        assert.equal(ev.event, 'heartbeat');
        assert.equal(ev.id, undefined, 'a heartbeat has no seq, so no id');
        for (const key of ['user_id', 'thread_id', 'run_id'])
          assert.equal(hb.payload?.[key], undefined, `heartbeat has no ${key}`);
        s.abort();
      }
    } finally {
      await t.close();
    }
  });
});
