// REST threads and messages of protocol.md, against a real target over real sockets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { openWs, rest, uniqueId, type RestResponse } from '../helpers/client.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

function assertErrorShape(res: RestResponse, status: number): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.json)}`);
  assert.equal(typeof res.json?.error?.code, 'string', `error body: ${JSON.stringify(res.json)}`);
  assert.equal(typeof res.json?.error?.message, 'string', `error body: ${JSON.stringify(res.json)}`);
}

function assertThreadShape(t: Record<string, unknown>): void {
  assert.match(String(t.id), /^thr_./);
  assert.equal(t.object, 'thread');
  assert.ok('title' in t, 'thread has a title field');
  assert.equal(typeof t.created_at, 'number');
  assert.equal(typeof t.updated_at, 'number');
  assert.equal(typeof t.metadata, 'object');
  assert.notEqual(t.metadata, null);
  assert.equal(typeof t.message_count, 'number');
  assert.ok(t.status === 'active' || t.status === 'archived', `status ${String(t.status)}`);
}

describe('REST threads and messages', () => {
  let target: TestTarget;
  let alice: string;
  let bob: string;

  before(async () => {
    target = await startTestTarget({ agent: 'fast' });
    alice = await target.token(uniqueId('alice'));
    bob = await target.token(uniqueId('bob'));
  });
  after(() => target.close());

  const call = (method: string, path: string, opts: Parameters<typeof rest>[3] = {}): Promise<RestResponse> =>
    rest(target.url, method, path, opts);

  test('POST /api/threads creates a thread: 201 and the Thread shape', async () => {
    const t0 = Date.now();
    const res = await call('POST', '/api/threads', {
      token: alice,
      body: { title: 'Quarterly numbers', metadata: { project: 'p1', n: 3 } },
    });
    const t1 = Date.now();
    assert.equal(res.status, 201);
    assert.match(String(res.headers['content-type']), /application\/json/);
    const t = res.json;
    assertThreadShape(t);
    assert.equal(t.title, 'Quarterly numbers');
    assert.deepEqual(t.metadata, { project: 'p1', n: 3 });
    assert.equal(t.message_count, 0);
    assert.equal(t.status, 'active');
    // Epoch milliseconds, not seconds: within the time of the call (1 s of slack).
    assert.ok(
      t.created_at >= t0 - 1000 && t.created_at <= t1 + 1000,
      `created_at ${t.created_at} not in [${t0}, ${t1}]`,
    );
    assert.ok(t.updated_at >= t.created_at);
  });

  test('POST /api/threads with no body fields still creates a thread', async () => {
    const res = await call('POST', '/api/threads', { token: alice, body: {} });
    assert.equal(res.status, 201);
    assertThreadShape(res.json);
    assert.deepEqual(res.json.metadata, {});
    const empty = await call('POST', '/api/threads', { token: alice });
    assert.equal(empty.status, 201);
    assert.notEqual(empty.json.id, res.json.id);
  });

  test("GET /api/threads lists the caller's threads newest first, with limit and offset", async () => {
    const carol = await target.token(uniqueId('carol'));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', '/api/threads', { token: carol, body: { title: `c${i}` } });
      assert.equal(res.status, 201);
      ids.push(res.json.id);
    }
    const newestFirst = [...ids].reverse();
    const all = await call('GET', '/api/threads', { token: carol });
    assert.equal(all.status, 200);
    assert.ok(Array.isArray(all.json));
    assert.deepEqual(
      all.json.map((t: { id: string }) => t.id),
      newestFirst,
    );
    for (const t of all.json) assertThreadShape(t);
    const page = await call('GET', '/api/threads?limit=2&offset=1', { token: carol });
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.json.map((t: { id: string }) => t.id),
      newestFirst.slice(1, 3),
    );
    const tail = await call('GET', '/api/threads?limit=10&offset=4', { token: carol });
    assert.deepEqual(
      tail.json.map((t: { id: string }) => t.id),
      newestFirst.slice(4),
    );
    const past = await call('GET', '/api/threads?limit=10&offset=5', { token: carol });
    assert.deepEqual(past.json, []);
  });

  test('GET /api/threads caps limit at 100', async () => {
    const dave = await target.token(uniqueId('dave'));
    const created = await Promise.all(
      Array.from({ length: 105 }, (_, i) => call('POST', '/api/threads', { token: dave, body: { title: `d${i}` } })),
    );
    assert.ok(created.every((r) => r.status === 201));
    const big = await call('GET', '/api/threads?limit=500', { token: dave });
    assert.equal(big.status, 200);
    assert.equal(big.json.length, 100);
    const rest100 = await call('GET', '/api/threads?limit=100&offset=100', { token: dave });
    assert.equal(rest100.json.length, 5);
    const seen = new Set([...big.json, ...rest100.json].map((t: { id: string }) => t.id));
    assert.equal(seen.size, 105, 'the two pages together hold every thread once');
  });

  test("GET /api/threads lists only the caller's threads", async () => {
    const erin = await target.token(uniqueId('erin'));
    const frank = await target.token(uniqueId('frank'));
    const e = await call('POST', '/api/threads', { token: erin, body: { title: 'erin-only' } });
    const f = await call('POST', '/api/threads', { token: frank, body: { title: 'frank-only' } });
    const el = await call('GET', '/api/threads', { token: erin });
    const fl = await call('GET', '/api/threads', { token: frank });
    assert.deepEqual(
      el.json.map((t: { id: string }) => t.id),
      [e.json.id],
    );
    assert.deepEqual(
      fl.json.map((t: { id: string }) => t.id),
      [f.json.id],
    );
  });

  test('GET /api/threads/:id answers 200 with the thread', async () => {
    const created = await call('POST', '/api/threads', {
      token: alice,
      body: { title: 'to read', metadata: { a: 1 } },
    });
    const res = await call('GET', `/api/threads/${created.json.id}`, { token: alice });
    assert.equal(res.status, 200);
    assertThreadShape(res.json);
    assert.deepEqual(res.json, created.json);
  });

  test('PUT /api/threads/:id updates title and metadata', async () => {
    const created = await call('POST', '/api/threads', { token: alice, body: { title: 'old', metadata: { v: 1 } } });
    const res = await call('PUT', `/api/threads/${created.json.id}`, {
      token: alice,
      body: { title: 'new', metadata: { v: 2, tag: 'x' } },
    });
    assert.equal(res.status, 200);
    assertThreadShape(res.json);
    assert.equal(res.json.id, created.json.id);
    assert.equal(res.json.title, 'new');
    assert.deepEqual(res.json.metadata, { v: 2, tag: 'x' });
    assert.equal(res.json.created_at, created.json.created_at);
    assert.ok(res.json.updated_at >= created.json.updated_at);
    const read = await call('GET', `/api/threads/${created.json.id}`, { token: alice });
    assert.equal(read.json.title, 'new');
    assert.deepEqual(read.json.metadata, { v: 2, tag: 'x' });
    // Title only: metadata is kept.
    const titleOnly = await call('PUT', `/api/threads/${created.json.id}`, { token: alice, body: { title: 'newer' } });
    assert.equal(titleOnly.status, 200);
    assert.equal(titleOnly.json.title, 'newer');
    assert.deepEqual(titleOnly.json.metadata, { v: 2, tag: 'x' });
  });

  test('PUT /api/threads/:id with a bad body answers 400', async () => {
    const created = await call('POST', '/api/threads', { token: alice, body: { title: 'keep' } });
    assertErrorShape(await call('PUT', `/api/threads/${created.json.id}`, { token: alice, body: { title: 42 } }), 400);
    assertErrorShape(
      await call('PUT', `/api/threads/${created.json.id}`, { token: alice, body: { metadata: 'nope' } }),
      400,
    );
    const read = await call('GET', `/api/threads/${created.json.id}`, { token: alice });
    assert.equal(read.json.title, 'keep');
  });

  test('DELETE /api/threads/:id answers { id, status: archived } and the thread leaves the listing', async () => {
    const gina = await target.token(uniqueId('gina'));
    const keep = await call('POST', '/api/threads', { token: gina, body: { title: 'keep' } });
    const gone = await call('POST', '/api/threads', { token: gina, body: { title: 'gone' } });
    const res = await call('DELETE', `/api/threads/${gone.json.id}`, { token: gina });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { id: gone.json.id, status: 'archived' });
    const list = await call('GET', '/api/threads', { token: gina });
    assert.deepEqual(
      list.json.map((t: { id: string }) => t.id),
      [keep.json.id],
    );
  });

  test('GET /api/threads/:id/messages answers { thread_id, messages, total }', async () => {
    const created = await call('POST', '/api/threads', { token: alice, body: { title: 'msgs' } });
    const id = created.json.id as string;
    const empty = await call('GET', `/api/threads/${id}/messages`, { token: alice });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, { thread_id: id, messages: [], total: 0 });
    const contents = ['first words', 'second words', 'third words'];
    for (const content of contents)
      assert.equal(
        (await call('POST', `/api/threads/${id}/messages`, { token: alice, body: { content } })).status,
        201,
      );
    const all = await call('GET', `/api/threads/${id}/messages`, { token: alice });
    assert.equal(all.status, 200);
    assert.equal(all.json.thread_id, id);
    assert.equal(all.json.total, 3);
    assert.deepEqual(all.json.messages.map((m: { content: string }) => m.content).sort(), [...contents].sort());
    const page = await call('GET', `/api/threads/${id}/messages?limit=2&offset=0`, { token: alice });
    assert.equal(page.json.messages.length, 2);
    assert.equal(page.json.total, 3, 'total counts every message, not the page');
    const page2 = await call('GET', `/api/threads/${id}/messages?limit=2&offset=2`, { token: alice });
    assert.equal(page2.json.messages.length, 1);
    const thread = await call('GET', `/api/threads/${id}`, { token: alice });
    assert.equal(thread.json.message_count, 3);
  });

  test('POST /api/threads/:id/messages answers 201 Message and starts no run', async () => {
    const user = uniqueId('hank');
    const token = await target.token(user);
    const created = await call('POST', '/api/threads', { token, body: {} });
    const id = created.json.id as string;
    const sock = await openWs(target.url, { delivery: 'header', token });
    try {
      const t0 = Date.now();
      const res = await call('POST', `/api/threads/${id}/messages`, {
        token,
        body: { content: 'stored, not answered' },
      });
      assert.equal(res.status, 201);
      const m = res.json;
      assert.equal(typeof m.id, 'string');
      assert.ok(m.id.length > 0);
      assert.equal(m.thread_id, id);
      assert.equal(m.role, 'user');
      assert.equal(m.content, 'stored, not answered');
      assert.equal(typeof m.created_at, 'number');
      assert.ok(m.created_at >= t0 - 1000 && m.created_at <= Date.now() + 1000);
      // The fast agent would send agent_started within ~20 ms; give it ten times that.
      await new Promise((r) => setTimeout(r, 250));
      assert.deepEqual(
        sock.frames.map((f) => f.type),
        ['connection_established'],
        'no run event after a REST message',
      );
      const msgs = await call('GET', `/api/threads/${id}/messages`, { token });
      assert.equal(msgs.json.total, 1, 'only the user message, no assistant answer');
    } finally {
      await sock.close();
    }
  });

  test('POST /api/threads/:id/messages without content answers 400', async () => {
    const created = await call('POST', '/api/threads', { token: alice, body: {} });
    assertErrorShape(await call('POST', `/api/threads/${created.json.id}/messages`, { token: alice, body: {} }), 400);
    assertErrorShape(
      await call('POST', `/api/threads/${created.json.id}/messages`, { token: alice, body: { content: 7 } }),
      400,
    );
  });

  test('malformed JSON answers 400 with the error shape', async () => {
    const created = await call('POST', '/api/threads', { token: alice, body: {} });
    const id = created.json.id as string;
    for (const [method, path] of [
      ['POST', '/api/threads'],
      ['PUT', `/api/threads/${id}`],
      ['POST', `/api/threads/${id}/messages`],
    ] as const) {
      const res = await call(method, path, { token: alice, rawBody: '{"title": "unterminated' });
      assertErrorShape(res, 400);
    }
  });

  test('a body over 1 MiB answers 413; one under it is accepted', async () => {
    const big = JSON.stringify({ metadata: { blob: 'x'.repeat(1024 * 1024) } });
    assert.ok(Buffer.byteLength(big) > 1024 * 1024);
    assertErrorShape(await call('POST', '/api/threads', { token: alice, rawBody: big }), 413);
    const created = await call('POST', '/api/threads', { token: alice, body: {} });
    assertErrorShape(
      await call('POST', `/api/threads/${created.json.id}/messages`, {
        token: alice,
        rawBody: JSON.stringify({ content: 'y'.repeat(1024 * 1024 + 10) }),
      }),
      413,
    );
    const fits = await call('POST', '/api/threads', {
      token: alice,
      body: { metadata: { blob: 'x'.repeat(1000 * 1000) } },
    });
    assert.equal(fits.status, 201);
  });

  test('a chunked body (no Content-Length) over 1 MiB answers 413 too', async () => {
    // eslint-disable-next-line @typescript-eslint/require-await -- undici streams an async iterable body in chunks, with no Content-Length
    async function* chunks(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"metadata":{"blob":"');
      for (let i = 0; i < 20; i++) yield Buffer.alloc(64 * 1024, 0x78);
      yield Buffer.from('"}}');
    }
    const res = await request(new URL('/api/threads', target.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: Readable.from(chunks()),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    assert.equal(res.statusCode, 413, text);
    assert.equal(JSON.parse(text).error.code.length > 0, true);
  });

  test('a thread id that is not valid percent-encoding answers 404, not 500', async () => {
    for (const [method, path] of [
      ['GET', '/api/threads/%zz'],
      ['GET', '/api/threads/%E0%A4%A/messages'],
      ['DELETE', '/api/threads/%zz'],
    ] as const) {
      const res = await call(method, path, { token: alice });
      assert.ok(
        res.status === 404 || res.status === 400,
        `${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`,
      );
    }
  });

  test('an unknown thread answers 404 on every thread endpoint', async () => {
    const id = 'thr_doesnotexist000000000000';
    assertErrorShape(await call('GET', `/api/threads/${id}`, { token: alice }), 404);
    assertErrorShape(await call('PUT', `/api/threads/${id}`, { token: alice, body: { title: 'x' } }), 404);
    assertErrorShape(await call('DELETE', `/api/threads/${id}`, { token: alice }), 404);
    assertErrorShape(await call('GET', `/api/threads/${id}/messages`, { token: alice }), 404);
    assertErrorShape(await call('POST', `/api/threads/${id}/messages`, { token: alice, body: { content: 'hi' } }), 404);
  });

  test("another user's thread answers 404 on GET, PUT, DELETE, GET messages and POST messages, and is left untouched", async () => {
    const secretTitle = uniqueId('alice-private-title');
    const created = await call('POST', '/api/threads', {
      token: alice,
      body: { title: secretTitle, metadata: { owner: 'alice' } },
    });
    const id = created.json.id as string;
    await call('POST', `/api/threads/${id}/messages`, { token: alice, body: { content: 'alice wrote this' } });
    const answers = [
      await call('GET', `/api/threads/${id}`, { token: bob }),
      await call('PUT', `/api/threads/${id}`, { token: bob, body: { title: 'bob was here' } }),
      await call('DELETE', `/api/threads/${id}`, { token: bob }),
      await call('GET', `/api/threads/${id}/messages`, { token: bob }),
      await call('POST', `/api/threads/${id}/messages`, { token: bob, body: { content: 'bob wrote this' } }),
    ];
    for (const res of answers) {
      assertErrorShape(res, 404);
      assert.ok(!JSON.stringify(res.json).includes(secretTitle), 'a 404 does not reveal the thread');
    }
    const read = await call('GET', `/api/threads/${id}`, { token: alice });
    assert.equal(read.json.title, secretTitle);
    assert.equal(read.json.status, 'active');
    const msgs = await call('GET', `/api/threads/${id}/messages`, { token: alice });
    assert.deepEqual(
      msgs.json.messages.map((m: { content: string }) => m.content),
      ['alice wrote this'],
    );
    const bobList = await call('GET', '/api/threads?limit=100', { token: bob });
    assert.ok(!bobList.json.some((t: { id: string }) => t.id === id));
  });
});
