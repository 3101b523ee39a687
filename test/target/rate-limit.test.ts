// The per-user rate limit: 429 with Retry-After, per user, off by default.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openWs, rest, uniqueId } from '../helpers/client.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

describe('rate limit (rateLimitPerSec: 2)', () => {
  let target: TestTarget;
  before(async () => {
    target = await startTestTarget({ rateLimitPerSec: 2, agent: 'instant' });
  });
  after(() => target.close());

  test('a burst answers 429 with Retry-After, other users are unaffected, and it recovers', async () => {
    const a = await target.token(uniqueId('busy'));
    const b = await target.token(uniqueId('calm'));
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof rest>> | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await rest(target.url, 'GET', '/api/threads', { token: a });
      statuses.push(res.status);
      if (res.status === 429 && !limited) limited = res;
    }
    assert.equal(statuses[0], 200, `first request passes: ${statuses.join(',')}`);
    assert.ok(
      statuses.every((s) => s === 200 || s === 429),
      statuses.join(','),
    );
    assert.ok(limited, `8 quick requests at 2/s hit the limit: ${statuses.join(',')}`);
    assert.ok(statuses.filter((s) => s === 200).length <= 4, `at most burst + refill pass: ${statuses.join(',')}`);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(
      Number.isFinite(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After "${String(limited.headers['retry-after'])}"`,
    );
    assert.equal(typeof limited.json?.error?.code, 'string');

    // Another user still gets through right away.
    const other = await Promise.all([
      rest(target.url, 'GET', '/api/threads', { token: b }),
      rest(target.url, 'POST', '/api/threads', { token: b, body: {} }),
    ]);
    assert.deepEqual(
      other.map((r) => r.status),
      [200, 201],
    );

    // After Retry-After the limited user gets through again.
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100));
    assert.equal((await rest(target.url, 'GET', '/api/threads', { token: a })).status, 200);
  });

  test('user messages over the limit are answered RATE_LIMITED on the WebSocket', async () => {
    const user = uniqueId('chatty');
    const token = await target.token(user);
    const thread = await rest(target.url, 'POST', '/api/threads', { token, body: {} });
    assert.equal(thread.status, 201);
    const sock = await openWs(target.url, { delivery: 'subprotocol', token });
    try {
      const ids = Array.from({ length: 6 }, (_, i) => `m-${i}`);
      for (const message_id of ids)
        sock.send({
          type: 'user_message',
          payload: { thread_id: thread.json.id, content: `hello ${message_id}`, message_id },
        });
      const limited = await sock.waitFor((f) => f.type === 'error' && f.payload?.code === 'RATE_LIMITED', 3000);
      assert.ok(ids.includes(limited.payload.message_id), 'the RATE_LIMITED error names the refused message');
      // The limited message started no run.
      await sock.waitFor((f) => f.type === 'agent_completed', 2000);
      assert.ok(
        !sock.frames.some((f) => f.type?.startsWith('agent_') && f.payload?.message_id === limited.payload.message_id),
      );
    } finally {
      await sock.close();
    }
  });
});

describe('rate limit off by default', () => {
  let target: TestTarget;
  before(async () => {
    target = await startTestTarget({ agent: 'instant' });
  });
  after(() => target.close());

  test('many quick requests of one user all succeed', async () => {
    const token = await target.token(uniqueId('u'));
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? rest(target.url, 'GET', '/api/threads', { token })
          : rest(target.url, 'POST', '/api/threads', { token, body: {} }),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 201),
      statuses.join(','),
    );
  });
});
