// WebSocket agent runs: event order and fields, concurrency on one connection,
// tabs, stop, ping, error frames.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openWs, rest, uniqueId, type Frame, type TestSocket } from '../helpers/client.js';
import { assertCompletedRun, formatRunShape, runEventsOf } from '../helpers/run-events.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

async function newThread(target: TestTarget, token: string): Promise<string> {
  const res = await rest(target.url, 'POST', '/api/threads', { token, body: { title: 'ws' } });
  assert.equal(res.status, 201);
  return res.json.id as string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('WebSocket runs (fast agent)', () => {
  let target: TestTarget;
  const sockets: TestSocket[] = [];
  before(async () => {
    target = await startTestTarget({ agent: 'fast', seed: 7 });
  });
  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await target.close();
  });

  /** A fresh user with a token, a thread and `n` open connections. */
  async function user(n = 1): Promise<{ id: string; token: string; threadId: string; socks: TestSocket[] }> {
    const id = uniqueId('u');
    const token = await target.token(id);
    const threadId = await newThread(target, token);
    const socks: TestSocket[] = [];
    for (let i = 0; i < n; i++) {
      const s = await openWs(target.url, { delivery: i % 2 === 0 ? 'subprotocol' : 'header', token });
      sockets.push(s);
      socks.push(s);
    }
    return { id, token, threadId, socks };
  }

  test('connection_established is the first frame, with user_id, connection_id and server_time', async () => {
    const t0 = Date.now();
    const u = await user(2);
    const [a, b] = u.socks as [TestSocket, TestSocket];
    for (const s of [a, b]) {
      const first = s.frames[0]!;
      assert.equal(first.type, 'connection_established');
      assert.equal(first.payload.user_id, u.id);
      assert.equal(typeof first.payload.connection_id, 'string');
      assert.ok(first.payload.connection_id.length > 0);
      assert.equal(typeof first.payload.server_time, 'number');
      assert.ok(Math.abs(first.payload.server_time - t0) < 10_000);
    }
    assert.notEqual(a.connectionId, b.connectionId, 'each connection has its own id');
  });

  test('a user_message starts a run whose events follow the protocol', async () => {
    const u = await user();
    const s = u.socks[0]!;
    const content = `What is the capital of ${uniqueId('country')}?`;
    const t0 = Date.now();
    s.send({ type: 'user_message', payload: { thread_id: u.threadId, content, message_id: 'msg-one' } });
    await s.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === 'msg-one', 5000);
    assertCompletedRun(runEventsOf(s.frames, 'msg-one'), {
      userId: u.id,
      threadId: u.threadId,
      messageId: 'msg-one',
      content,
      startedAtMs: t0,
    });
  });

  test('three runs in flight on one connection all complete, each correlated by message_id', async () => {
    const u = await user();
    const s = u.socks[0]!;
    const t0 = Date.now();
    const msgs = ['alpha', 'bravo', 'charlie'].map((w) => ({
      message_id: uniqueId(`m-${w}`),
      content: `question ${w} ${uniqueId('q')}`,
    }));
    for (const m of msgs) s.send({ type: 'user_message', payload: { thread_id: u.threadId, ...m } });
    await Promise.all(
      msgs.map((m) => s.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === m.message_id, 5000)),
    );
    const runIds = new Set<string>();
    for (const m of msgs) {
      const events = runEventsOf(s.frames, m.message_id);
      runIds.add(
        assertCompletedRun(events, {
          userId: u.id,
          threadId: u.threadId,
          messageId: m.message_id,
          ...m,
          startedAtMs: t0,
        }),
      );
      for (const other of msgs) {
        if (other === m) continue;
        assert.ok(!events.some((f) => JSON.stringify(f).includes(other.content)), 'a run quotes only its own message');
      }
    }
    assert.equal(runIds.size, 3, 'three distinct run ids');
  });

  test('two tabs of one user both get every event of a run', async () => {
    const u = await user(2);
    const [a, b] = u.socks as [TestSocket, TestSocket];
    const content = `tabs ${uniqueId('c')}`;
    const t0 = Date.now();
    a.send({ type: 'user_message', payload: { thread_id: u.threadId, content, message_id: 'tab-run' } });
    await Promise.all(
      [a, b].map((s) => s.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === 'tab-run', 5000)),
    );
    const evA = runEventsOf(a.frames, 'tab-run');
    const evB = runEventsOf(b.frames, 'tab-run');
    assertCompletedRun(evB, { userId: u.id, threadId: u.threadId, messageId: 'tab-run', content, startedAtMs: t0 });
    assert.deepEqual(evB, evA, 'the tab that did not send sees the same events, in the same order');
  });

  test('stop_agent on a run in flight answers agent_stopped and ends the run', async () => {
    const u = await user();
    const s = u.socks[0]!;
    // The fast agent finishes a run in 10-120 ms; if a run wins the race
    // against the stop frame, try again with a new one (bounded).
    let stopped: Frame | undefined;
    let attempts = 0;
    let runId = '';
    while (!stopped && attempts < 5) {
      attempts++;
      const messageId = `stop-${attempts}`;
      s.send({
        type: 'user_message',
        payload: { thread_id: u.threadId, content: `long task ${attempts}`, message_id: messageId },
      });
      const started = await s.waitFor((f) => f.type === 'agent_started' && f.payload?.message_id === messageId, 3000);
      runId = started.payload.run_id;
      s.send({ type: 'stop_agent', payload: { run_id: runId } });
      const answer = await s.waitFor(
        (f) =>
          (f.type === 'agent_stopped' && f.payload?.run_id === runId) ||
          (f.type === 'agent_completed' && f.payload?.run_id === runId),
        3000,
      );
      if (answer.type === 'agent_stopped') stopped = answer;
    }
    assert.ok(stopped, `a run was stopped within ${attempts} attempts`);
    // Longer than a whole fast run: nothing more may arrive for the stopped run.
    await sleep(200);
    const events = s.frames.filter((f) => f.payload?.run_id === runId);
    assert.equal(
      events.at(-1)?.type,
      'agent_stopped',
      `agent_stopped is the run's last event: ${events.map((f) => f.type).join(', ')}`,
    );
    assert.equal(events.filter((f) => f.type === 'agent_stopped').length, 1);
    assert.ok(!events.some((f) => f.type === 'agent_completed'));
    assert.equal(stopped.payload.user_id, u.id);
    assert.equal(stopped.payload.thread_id, u.threadId);
    assert.deepEqual(
      events.map((f) => f.payload.seq),
      events.map((_, i) => i),
      'seq stays consecutive up to agent_stopped',
    );
  });

  test('ping is answered by pong with the same ts', async () => {
    const s = (await user()).socks[0]!;
    s.send({ type: 'ping', payload: { ts: 1_700_000_000_123.5 } });
    s.send({ type: 'ping', payload: { ts: 42 } });
    const p1 = await s.waitFor((f) => f.type === 'pong' && f.payload?.ts === 1_700_000_000_123.5, 2000);
    const p2 = await s.waitFor((f) => f.type === 'pong' && f.payload?.ts === 42, 2000);
    assert.ok(p1 && p2);
    assert.equal(s.frames.filter((f) => f.type === 'pong').length, 2);
  });

  test("the run's user and assistant messages are in GET messages after completion", async () => {
    const u = await user();
    const s = u.socks[0]!;
    const content = `remember ${uniqueId('fact')}`;
    s.send({ type: 'user_message', payload: { thread_id: u.threadId, content, message_id: 'persist-1' } });
    const done = await s.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === 'persist-1', 5000);
    const res = await rest(target.url, 'GET', `/api/threads/${u.threadId}/messages`, { token: u.token });
    assert.equal(res.status, 200);
    assert.equal(res.json.total, 2);
    const userMsg = res.json.messages.find((m: { role: string }) => m.role === 'user');
    const botMsg = res.json.messages.find((m: { role: string }) => m.role === 'assistant');
    assert.ok(userMsg && botMsg, JSON.stringify(res.json.messages));
    assert.equal(userMsg.id, 'persist-1', "the stored user message keeps the client's message_id");
    assert.equal(userMsg.content, content);
    assert.equal(userMsg.thread_id, u.threadId);
    assert.equal(botMsg.thread_id, u.threadId);
    assert.equal(botMsg.content, done.payload.result, "the assistant message is the run's result");
    const thread = await rest(target.url, 'GET', `/api/threads/${u.threadId}`, { token: u.token });
    assert.equal(thread.json.message_count, 2);
  });
});

describe('WebSocket runs are ReAct-shaped (fast and realistic agents)', () => {
  /** The shapes (formatRunShape) of `n` runs played one after another by a fresh target. */
  async function shapes(opts: { agent: 'fast' | 'realistic'; seed: number }, n: number): Promise<string[]> {
    const target = await startTestTarget(opts);
    const token = await target.token(uniqueId('u'));
    const threadId = await newThread(target, token);
    const s = await openWs(target.url, { delivery: 'subprotocol', token });
    try {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        s.send({ type: 'user_message', payload: { thread_id: threadId, content: `react ${i}`, message_id: `r-${i}` } });
        await s.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === `r-${i}`, 15_000);
        out.push(formatRunShape(runEventsOf(s.frames, `r-${i}`)));
      }
      return out;
    } finally {
      await s.close();
      await target.close();
    }
  }

  test('fast: a run with a tool thinks again after the result before it answers; the same seed plays the same runs', async () => {
    const a = await shapes({ agent: 'fast', seed: 3 }, 16);
    for (const shape of a) assert.match(shape, /^S(T+EC)*T+D$/, `ReAct order: ${shape}`);
    assert.ok(
      a.some((x) => x.includes('ECT')),
      `some run thinks after a tool result: ${a.join(' ')}`,
    );
    assert.ok(
      a.some((x) => !x.includes('E')),
      `some run has no tool: ${a.join(' ')}`,
    );
    assert.deepEqual(
      await shapes({ agent: 'fast', seed: 3 }, 16),
      a,
      'seeded: a second target with the same seed plays the same shapes',
    );
  });

  test('realistic: think → tool → think → tool → think → answer when a run calls two tools', async () => {
    // Seed 3's first run calls two tools; one run, since a realistic one takes up to ~7 s.
    const got = await shapes({ agent: 'realistic', seed: 3 }, 1);
    for (const shape of got) assert.match(shape, /^S(T+EC)*T+D$/, `ReAct order: ${shape}`);
    assert.ok(
      got.some((x) => /T+ECT+ECT+D$/.test(x)),
      `a run with two tool calls, a thought between them and before the answer: ${got.join(' ')}`,
    );
  });
});

describe('WebSocket runs (instant agent)', () => {
  let target: TestTarget;
  before(async () => {
    target = await startTestTarget({ agent: 'instant' });
  });
  after(() => target.close());

  test('an instant run has the fixed shape started, thinking, one tool pair, thinking, completed', async () => {
    const id = uniqueId('u');
    const token = await target.token(id);
    const threadId = await newThread(target, token);
    const s = await openWs(target.url, { delivery: 'query', token });
    try {
      const content = `instant ${uniqueId('c')}`;
      const t0 = Date.now();
      s.send({ type: 'user_message', payload: { thread_id: threadId, content, message_id: 'i-1' } });
      await s.waitFor((f) => f.type === 'agent_completed', 3000);
      const events = runEventsOf(s.frames, 'i-1');
      assert.deepEqual(
        events.map((f) => f.type),
        ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_thinking', 'agent_completed'],
      );
      assertCompletedRun(events, { userId: id, threadId, messageId: 'i-1', content, startedAtMs: t0 });
    } finally {
      await s.close();
    }
  });
});

describe('WebSocket error frames (maxFrameBytes: 1024)', () => {
  let target: TestTarget;
  let owner: { token: string; threadId: string };
  let sock: TestSocket;
  let threadId: string;
  before(async () => {
    target = await startTestTarget({ agent: 'fast', maxFrameBytes: 1024 });
    const ownerToken = await target.token(uniqueId('owner'));
    owner = { token: ownerToken, threadId: await newThread(target, ownerToken) };
    const token = await target.token(uniqueId('sender'));
    threadId = await newThread(target, token);
    sock = await openWs(target.url, { delivery: 'subprotocol', token });
  });
  after(async () => {
    await sock.close();
    await target.close();
  });

  /** Sends `data` and resolves with the next error frame after it. */
  async function errorAfter(data: unknown, opts?: { binary?: boolean }): Promise<Frame> {
    const from = sock.frames.length;
    sock.send(data, opts);
    return sock.waitFor((f, i) => i >= from && f.type === 'error', 2000);
  }

  test('a text frame that is not JSON answers BAD_MESSAGE', async () => {
    const err = await errorAfter('this is {not json');
    assert.equal(err.payload.code, 'BAD_MESSAGE');
  });

  test('an unknown type answers BAD_MESSAGE', async () => {
    const err = await errorAfter({ type: 'launch_missiles', payload: {} });
    assert.equal(err.payload.code, 'BAD_MESSAGE');
  });

  test('a user_message without thread_id answers BAD_MESSAGE and starts no run', async () => {
    const err = await errorAfter({ type: 'user_message', payload: { content: 'no thread', message_id: 'nothread-1' } });
    assert.equal(err.payload.code, 'BAD_MESSAGE');
    await sleep(100);
    assert.equal(runEventsOf(sock.frames, 'nothread-1').length, 0);
  });

  test("another user's thread answers THREAD_NOT_FOUND with the message_id, and stores nothing", async () => {
    const err = await errorAfter({
      type: 'user_message',
      payload: { thread_id: owner.threadId, content: 'intruder text', message_id: 'steal-1' },
    });
    assert.equal(err.payload.code, 'THREAD_NOT_FOUND');
    assert.equal(err.payload.message_id, 'steal-1');
    await sleep(100);
    assert.equal(runEventsOf(sock.frames, 'steal-1').length, 0, 'no run for a refused message');
    const msgs = await rest(target.url, 'GET', `/api/threads/${owner.threadId}/messages`, { token: owner.token });
    assert.equal(msgs.json.total, 0, "the owner's thread got no message");
  });

  test('an unknown thread answers THREAD_NOT_FOUND', async () => {
    const err = await errorAfter({
      type: 'user_message',
      payload: { thread_id: 'thr_nope', content: 'hello', message_id: 'nope-1' },
    });
    assert.equal(err.payload.code, 'THREAD_NOT_FOUND');
    assert.equal(err.payload.message_id, 'nope-1');
  });

  test('a frame over maxFrameBytes answers TOO_LARGE and starts no run', async () => {
    const frame = JSON.stringify({
      type: 'user_message',
      payload: { thread_id: threadId, content: 'z'.repeat(2048), message_id: 'big-1' },
    });
    assert.ok(Buffer.byteLength(frame) > 2048);
    const err = await errorAfter(frame);
    assert.equal(err.payload.code, 'TOO_LARGE');
    await sleep(100);
    assert.equal(runEventsOf(sock.frames, 'big-1').length, 0);
  });

  test('a binary frame answers BAD_MESSAGE, even when it holds a valid user_message', async () => {
    const body = Buffer.from(
      JSON.stringify({
        type: 'user_message',
        payload: { thread_id: threadId, content: 'sent as binary', message_id: 'bin-1' },
      }),
    );
    const err = await errorAfter(body, { binary: true });
    assert.equal(err.payload.code, 'BAD_MESSAGE');
    await sleep(100);
    assert.equal(runEventsOf(sock.frames, 'bin-1').length, 0);
  });

  test('after error frames the connection still works', async () => {
    assert.equal(sock.ws.readyState, sock.ws.OPEN);
    sock.send({ type: 'ping', payload: { ts: 99 } });
    await sock.waitFor((f) => f.type === 'pong' && f.payload?.ts === 99, 2000);
    sock.send({ type: 'user_message', payload: { thread_id: threadId, content: 'small one', message_id: 'ok-1' } });
    await sock.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === 'ok-1', 5000);
  });
});

describe('server-wide heartbeat (heartbeatMs: 50)', () => {
  let target: TestTarget;
  before(async () => {
    target = await startTestTarget({ agent: 'instant', heartbeatMs: 50 });
  });
  after(() => target.close());

  test('heartbeat frames reach every connection and carry no owner fields', async () => {
    const socks = await Promise.all(
      ['hb-a', 'hb-b'].map(async (p) =>
        openWs(target.url, { delivery: 'header', token: await target.token(uniqueId(p)) }),
      ),
    );
    try {
      for (const s of socks) {
        const hb = await s.waitFor((f) => f.type === 'heartbeat', 2000);
        for (const key of ['user_id', 'thread_id', 'run_id', 'message_id']) {
          assert.equal(hb.payload?.[key], undefined, `heartbeat has no ${key}`);
          assert.equal(hb[key], undefined, `heartbeat has no root ${key}`);
        }
      }
    } finally {
      await Promise.all(socks.map((s) => s.close()));
    }
  });
});
