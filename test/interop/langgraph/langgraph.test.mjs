// Smoke test of the interop LangGraph server: a real @langchain/langgraph-api
// server (two of them: owner filter on, and dropped) driven over real sockets
// by two users with their own JWTs. It pins down what crosstalk's `langgraph`
// adapter relies on, and the stock server's cross-user findings.
//
//   node --test test/interop/langgraph/
//
// Part of crosstalk's `npm test`; skipped, saying how to install it, when this package is not installed.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { api, mintToken, openThreadSocket, readSse } from './client.mjs';
import { startLangGraph } from './start-server.mjs';

const secret = randomBytes(32).toString('base64url');
const ALICE = 'u-alice';
const BOB = 'u-bob';
// Slow enough that a second user can attach mid-answer and a cancel lands before the end.
const env = { LG_TOKEN_DELAY_MS: '5', LG_SLOW_TOKEN_DELAY_MS: '100' };

let strict;
let leaky;
let studio;
let tokenA;
let tokenB;

// Its client's imports (jose, ws) resolve from crosstalk's own install too; the server needs this package's.
const INSTALLED = existsSync(new URL('./node_modules/@langchain/langgraph-api/package.json', import.meta.url));
const SKIP = INSTALLED
  ? false
  : 'the LangGraph interop package is not installed: run `npm ci --prefix test/interop/langgraph`';

before(async () => {
  if (!INSTALLED) return;
  [strict, leaky, studio] = await Promise.all([
    startLangGraph({ secret, env }),
    startLangGraph({ secret, env, dropOwnerFilter: true }),
    startLangGraph({ secret, env, studioAuth: true }),
  ]);
  [tokenA, tokenB] = await Promise.all([mintToken(secret, ALICE), mintToken(secret, BOB)]);
});

after(async () => {
  await Promise.all([strict?.close(), leaky?.close(), studio?.close()]);
});

const userMessage = (content) => ({ messages: [{ role: 'user', content }] });

async function createThread(base, token, metadata) {
  const res = await api(base, 'POST', '/threads', { token, body: metadata ? { metadata } : {} });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** A completed run on a new thread of `token`'s user; resolves to the thread id. */
async function threadWithRun(base, token, content) {
  const { thread_id: threadId } = await createThread(base, token);
  const run = await readSse(base, 'POST', `/threads/${threadId}/runs/stream`, {
    token,
    body: { assistant_id: 'echo', input: userMessage(content), stream_mode: ['values'] },
  });
  assert.equal(run.status, 200);
  assert.ok(
    run.frames.some((f) => f.event === 'values' && f.data.includes(content)),
    'the run saw the message',
  );
  return threadId;
}

async function waitForThreadStatus(base, token, threadId, status, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(base, 'GET', `/threads/${threadId}`, { token });
    if (res.json?.status === status) return res.json;
    if (Date.now() > deadline)
      assert.fail(
        `thread ${threadId} did not become ${status} within ${timeoutMs} ms (last: ${res.status} ${res.json?.status})`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('langgraph interop server', { skip: SKIP }, () => {
  test('starts on a free port other than 2024 and reports its startup time', () => {
    for (const server of [strict, leaky, studio]) {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(server.port, 2024);
      assert.ok(server.startupMs > 0 && server.startupMs < 60_000);
    }
    assert.equal(new Set([strict.port, leaky.port, studio.port]).size, 3);
  });

  test('refuses a missing, forged, expired, future or non-access token with 401, and the studio header changes nothing', async () => {
    const forged = await mintToken('another-secret', ALICE);
    const expired = await mintToken(secret, ALICE, { ttlSec: -60 });
    const refresh = await mintToken(secret, ALICE, { type: 'refresh' });
    const future = await mintToken(secret, ALICE, { iatOffsetSec: 3600 });
    for (const [label, options] of [
      ['missing', {}],
      ['forged', { token: forged }],
      ['expired', { token: expired }],
      ['refresh', { token: refresh }],
      ['issued in the future', { token: future }],
      ['studio header', { headers: { 'x-auth-scheme': 'langsmith' } }],
    ]) {
      const res = await api(strict.url, 'POST', '/threads/search', { ...options, body: {} });
      assert.equal(res.status, 401, `${label}: ${res.status} ${res.text}`);
    }
    await assert.rejects(openThreadSocket(strict.url, (await createThread(strict.url, tokenA)).thread_id, undefined), {
      status: 401,
    });
    assert.equal((await api(strict.url, 'GET', '/info')).status, 200, '/info stays public');
  });

  test('a streamed run thinks, calls the tool, and streams an answer quoting the user', async () => {
    const thread = await createThread(strict.url, tokenA, { title: 'first', owner: BOB });
    assert.equal(thread.metadata.owner, ALICE, 'the server stamps the caller, whatever the client claims');
    const text = 'hello canary-alice-stream';
    const run = await readSse(strict.url, 'POST', `/threads/${thread.thread_id}/runs/stream`, {
      token: tokenA,
      body: { assistant_id: 'echo', input: userMessage(text), stream_mode: ['messages-tuple', 'values', 'updates'] },
    });
    assert.equal(run.status, 200);
    assert.match(run.headers.get('content-type'), /^text\/event-stream/);
    assert.ok(!run.timedOut, 'the server closed the stream');

    const [first] = run.frames;
    assert.equal(first.event, 'metadata');
    const { run_id: runId } = JSON.parse(first.data);
    assert.equal(run.headers.get('content-location'), `/threads/${thread.thread_id}/runs/${runId}`);
    assert.deepEqual(
      run.frames.map((f) => f.id),
      run.frames.map((_, i) => String(i)),
      'ids count up from 0',
    );
    assert.ok(!run.frames.some((f) => f.event === 'end'), 'there is no end event');

    const tuples = run.frames.filter((f) => f.event === 'messages').map((f) => JSON.parse(f.data));
    for (const [, meta] of tuples) {
      assert.equal(meta.run_id, runId);
      assert.equal(meta.thread_id, thread.thread_id);
      assert.equal(meta.owner, ALICE);
    }
    assert.ok(
      tuples.some(([chunk]) => chunk.type === 'ai' && chunk.tool_call_chunks?.some((c) => c.name === 'lookup')),
      'a tool call is streamed',
    );
    assert.ok(
      tuples.some(([chunk]) => chunk.type === 'tool' && chunk.name === 'lookup'),
      'the tool result is streamed',
    );
    const deltas = tuples
      .filter(([chunk]) => chunk.type === 'ai' && typeof chunk.content === 'string' && chunk.content !== '')
      .map(([chunk]) => chunk.content);
    assert.ok(deltas.length >= 5, `the answer arrives in many deltas (${deltas.length})`);
    assert.equal(deltas.join(''), `You said: "${text}". The lookup tool says: 2 words, 25 characters.`);

    const updates = run.frames.filter((f) => f.event === 'updates').map((f) => Object.keys(JSON.parse(f.data))[0]);
    assert.deepEqual(updates, ['agent', 'tools', 'agent'], 'think, tool, answer');
    const values = run.frames.filter((f) => f.event === 'values').map((f) => JSON.parse(f.data));
    assert.deepEqual(
      values.at(-1).messages.map((m) => m.type),
      ['human', 'ai', 'tool', 'ai'],
    );
    assert.equal(run.frames.at(-1).event, 'values', 'the last frame is the final state');
  });

  test('a failing run ends its stream with an error event and leaves the thread in error', async () => {
    const { thread_id: threadId } = await createThread(strict.url, tokenA);
    const run = await readSse(strict.url, 'POST', `/threads/${threadId}/runs/stream`, {
      token: tokenA,
      body: {
        assistant_id: 'echo',
        input: userMessage('break [[fail]]'),
        stream_mode: ['messages-tuple', 'values', 'updates'],
      },
    });
    assert.equal(run.status, 200, 'a failed run still answers 200: the failure is in the stream');
    const last = run.frames.at(-1);
    assert.equal(last.event, 'error');
    assert.deepEqual(JSON.parse(last.data), {
      error: 'Error',
      message: 'simulated model failure ([[fail]] in the user message)',
    });
    assert.equal((await api(strict.url, 'GET', `/threads/${threadId}`, { token: tokenA })).json.status, 'error');
  });

  test('a cancelled run stops streaming without a final event and is marked interrupted', async () => {
    const { thread_id: threadId } = await createThread(strict.url, tokenA);
    const started = await api(strict.url, 'POST', `/threads/${threadId}/runs`, {
      token: tokenA,
      body: {
        assistant_id: 'echo',
        input: userMessage('long answer please [[slow]]'),
        stream_mode: ['messages-tuple'],
      },
    });
    assert.equal(started.status, 200);
    const runId = started.json.run_id;
    assert.equal(started.json.metadata.owner, ALICE);
    let cancelled;
    const stream = await readSse(strict.url, 'GET', `/threads/${threadId}/runs/${runId}/stream`, {
      token: tokenA,
      timeoutMs: 20_000,
      stopWhen: (frame) => {
        if (!cancelled && frame.event === 'messages' && frame.data.includes('said')) {
          cancelled = api(strict.url, 'POST', `/threads/${threadId}/runs/${runId}/cancel`, { token: tokenA });
        }
        return false;
      },
    });
    assert.ok(cancelled, 'the answer had started when the cancel was sent');
    assert.equal((await cancelled).status, 202);
    assert.ok(!stream.timedOut, 'the server closed the stream after the cancel');
    assert.ok(!stream.frames.some((f) => f.data.includes('characters.')), 'the answer was cut short');
    assert.ok(
      !stream.frames.some((f) => f.event === 'error' || f.event === 'end'),
      'no terminal event marks the cancel',
    );
    assert.equal(
      (await api(strict.url, 'GET', `/threads/${threadId}/runs/${runId}`, { token: tokenA })).json.status,
      'interrupted',
    );
  });

  test('with the owner filter on, another user can neither list nor touch the thread (404)', async () => {
    const threadId = await threadWithRun(strict.url, tokenA, 'private canary-alice-filter');
    const search = await api(strict.url, 'POST', '/threads/search', { token: tokenB, body: { limit: 100 } });
    assert.equal(search.status, 200);
    assert.ok(Array.isArray(search.json), '/threads/search answers a bare array');
    assert.ok(!search.json.some((t) => t.thread_id === threadId), 'not listed');
    assert.ok(
      search.json.every((t) => t.metadata.owner === BOB),
      'only own threads are listed',
    );
    for (const [method, path, body] of [
      ['GET', `/threads/${threadId}`],
      ['GET', `/threads/${threadId}/state`],
      ['GET', `/threads/${threadId}/history`],
      ['GET', `/threads/${threadId}/runs`],
      ['PATCH', `/threads/${threadId}`, { metadata: { title: 'mine now' } }],
      ['DELETE', `/threads/${threadId}`],
      ['POST', `/threads/${threadId}/runs/stream`, { assistant_id: 'echo', input: userMessage('hi') }],
    ]) {
      const res = await api(strict.url, method, path, { token: tokenB, body });
      assert.equal(res.status, 404, `${method} ${path}: ${res.status} ${res.text}`);
      assert.ok(!res.text.includes('canary-alice-filter'));
    }
    const own = await api(strict.url, 'GET', `/threads/${threadId}`, { token: tokenA });
    assert.equal(own.status, 200, 'the owner still has the thread');
    assert.equal(own.json.metadata.owner, ALICE);
    const relabel = await api(strict.url, 'PATCH', `/threads/${threadId}`, {
      token: tokenA,
      body: { metadata: { title: 'renamed', owner: BOB } },
    });
    assert.equal(relabel.status, 200);
    assert.deepEqual(
      [relabel.json.metadata.title, relabel.json.metadata.owner],
      ['renamed', ALICE],
      'PATCH merges metadata but never moves the owner',
    );
  });

  test('with LG_DROP_OWNER_FILTER=1, another user lists and reads the thread', async () => {
    const threadId = await threadWithRun(leaky.url, tokenA, 'leaky canary-alice-leak');
    const search = await api(leaky.url, 'POST', '/threads/search', { token: tokenB, body: { limit: 100 } });
    const listed = search.json.find((t) => t.thread_id === threadId);
    assert.ok(listed, 'listed to the other user');
    assert.equal(listed.metadata.owner, ALICE, 'the owner is still stamped');
    const read = await api(leaky.url, 'GET', `/threads/${threadId}`, { token: tokenB });
    assert.equal(read.status, 200);
    assert.ok(read.text.includes('canary-alice-leak'), 'the thread read carries the messages');
    const state = await api(leaky.url, 'GET', `/threads/${threadId}/state`, { token: tokenB });
    assert.equal(state.status, 200);
    assert.ok(state.text.includes('canary-alice-leak'));
  });

  test('stock finding: with studio auth on (the stock default), x-auth-scheme: langsmith needs no token and sees every thread', async () => {
    const threadId = await threadWithRun(studio.url, tokenA, 'studio canary-alice-studio');
    assert.equal(
      (await api(studio.url, 'POST', '/threads/search', { body: {} })).status,
      401,
      'without the header a token is still required',
    );
    const search = await api(studio.url, 'POST', '/threads/search', {
      headers: { 'x-auth-scheme': 'langsmith' },
      body: { limit: 100 },
    });
    assert.equal(search.status, 200);
    const listed = search.json.find((t) => t.thread_id === threadId);
    assert.ok(listed, "the tokenless request lists the user's thread");
    assert.equal(listed.metadata.owner, ALICE);
    assert.ok(search.text.includes('canary-alice-studio'));
  });

  test("stock finding: protocol v2 WebSocket hands a thread's events to any user who knows its id", async () => {
    const { thread_id: threadId } = await createThread(strict.url, tokenA);
    const a = await openThreadSocket(strict.url, threadId, tokenA);
    const b = await (async () => {
      a.send({ id: 1, method: 'subscription.subscribe', params: { channels: ['lifecycle', 'messages', 'values'] } });
      a.send({
        id: 2,
        method: 'run.start',
        params: { assistant_id: 'echo', input: userMessage('v2 canary-alice-ws [[slow]]') },
      });
      const runStarted = await a.waitFor((f) => f.type === 'success' && f.id === 2);
      assert.match(runStarted.result.run_id, /^[0-9a-f-]{36}$/);
      await a.waitFor((f) => f.method === 'messages' && f.params.data.delta?.type === 'text-delta');
      return openThreadSocket(strict.url, threadId, tokenB); // the upgrade is not refused
    })();
    try {
      b.send({ id: 1, method: 'subscription.subscribe', params: { channels: ['messages', 'values'] } });
      const subscribed = await b.waitFor((f) => f.type === 'success' && f.id === 1);
      assert.ok(subscribed.result.replayed_events > 0, 'the other user gets a replay of the run so far');
      await b.waitFor((f) => JSON.stringify(f).includes('canary-alice-ws'));
      await b.waitFor((f) => f.method === 'messages' && f.params.data.delta?.text === 'characters.', 15_000);
      b.send({ id: 2, method: 'state.get', params: {} });
      const state = await b.waitFor((f) => f.id === 2);
      assert.equal(state.type, 'success');
      assert.ok(JSON.stringify(state.result).includes('canary-alice-ws'), 'and can read the thread state');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("stock finding: protocol v2 over HTTP replays a thread's buffered events to another user", async () => {
    const { thread_id: threadId } = await createThread(strict.url, tokenA);
    const started = await api(strict.url, 'POST', `/threads/${threadId}/commands`, {
      token: tokenA,
      body: {
        id: 1,
        method: 'run.start',
        params: { assistant_id: 'echo', input: userMessage('http canary-alice-http') },
      },
    });
    assert.equal(started.status, 200);
    assert.equal(started.json.type, 'success');
    await waitForThreadStatus(strict.url, tokenA, threadId, 'idle');
    const replay = await readSse(strict.url, 'POST', `/threads/${threadId}/stream/events`, {
      token: tokenB,
      body: { channels: ['messages'] },
      timeoutMs: 10_000,
      stopWhen: (f) => f.data.includes('canary-alice-http'),
    });
    assert.equal(replay.status, 200);
    assert.ok(replay.stoppedEarly, "the other user received the first user's run");
  });

  test("stock finding: GET /runs/{run_id}/stream streams another user's run (the thread-scoped join refuses)", async () => {
    const { thread_id: threadId } = await createThread(strict.url, tokenA);
    const started = await api(strict.url, 'POST', `/threads/${threadId}/runs`, {
      token: tokenA,
      body: {
        assistant_id: 'echo',
        input: userMessage('run canary-alice-run [[slow]]'),
        stream_mode: ['messages-tuple'],
      },
    });
    const runId = started.json.run_id;
    const scoped = await readSse(strict.url, 'GET', `/threads/${threadId}/runs/${runId}/stream`, {
      token: tokenB,
      timeoutMs: 5_000,
    });
    assert.deepEqual(
      scoped.frames.map((f) => [f.event, f.data]),
      [['error', '{"error":"Error","message":"404: Thread not found"}']],
    );
    const bare = await readSse(strict.url, 'GET', `/runs/${runId}/stream`, {
      token: tokenB,
      timeoutMs: 15_000,
      stopWhen: (f) => f.data.includes('canary-alice-run'),
    });
    assert.equal(bare.status, 200);
    assert.ok(bare.stoppedEarly, "the other user received the run's events");
  });
});
