// The handshake and rest_error faults: a welcome frame naming another
// connected user, and REST error answers carrying another user's thread.
// Each planted one is counted exactly once by leaks().
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rest, uniqueId } from '../helpers/client.js';
import { openParty, readFrame, type Party } from '../helpers/raw-parties.js';
import { openRunStream } from '../helpers/sse-client.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import type { TargetTransport } from '../../src/target/transport-gateway.js';

async function assertLeaks(t: TestTarget, fault: string, planted: number): Promise<void> {
  const leaks = t.leaks();
  assert.deepEqual(
    leaks,
    planted === 0 ? { total: 0, byFault: {} } : { total: planted, byFault: { [fault]: planted } },
  );
  assert.deepEqual((await rest(t.url, 'GET', '/auth/test-leaks')).json, leaks, '/auth/test-leaks says the same');
}

describe('handshake: connection_established names another connected user', () => {
  for (const transport of ['ws', 'socketio'] as TargetTransport[]) {
    test(`over ${transport}: the welcome names another user and their thread; runs still go to their owner`, async () => {
      const t = await startTestTarget({ transport, agent: 'fast', seed: 51, faults: { handshake: 1 } });
      const parties: Party[] = [];
      try {
        const a = await openParty(t, 'first');
        parties.push(a);
        assert.equal(a.welcome!.payload.user_id, a.id, 'alone on the server: nobody else to name');
        assert.equal(a.welcome!.payload.thread_id, undefined);
        await assertLeaks(t, 'handshake', 0);

        const b = await openParty(t, 'second');
        parties.push(b);
        assert.equal(b.welcome!.type, 'connection_established');
        assert.equal(b.welcome!.payload.user_id, a.id, "b's welcome names a");
        assert.equal(b.welcome!.payload.thread_id, a.threadId, "and a's thread");
        assert.equal(typeof b.welcome!.payload.connection_id, 'string');
        await assertLeaks(t, 'handshake', 1);

        const c = await openParty(t, 'third');
        parties.push(c);
        const named = c.welcome!.payload.user_id;
        assert.ok(named === a.id || named === b.id, `c's welcome names a connected user other than c: ${named}`);
        assert.equal(c.welcome!.payload.thread_id, named === a.id ? a.threadId : b.threadId);
        await assertLeaks(t, 'handshake', 2);

        // The connection is still b's: its runs come to it, as b's.
        await b.startRun('still mine', 'hs-1');
        const deadline = Date.now() + 5000;
        const done = (): boolean => b.received().some((g) => readFrame(g).type === 'agent_completed');
        while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const runEvents = b
          .received()
          .map(readFrame)
          .filter((f) => f.payload?.run_id !== undefined);
        assert.ok(runEvents.length >= 4 && runEvents.every((f) => f.payload.user_id === b.id), "b's run reaches b");
        await assertLeaks(t, 'handshake', 2);
      } finally {
        await Promise.all(parties.map((p) => p.close()));
        await t.close();
      }
    });
  }

  test('over sse there is no welcome frame, so the fault never fires', async () => {
    const t = await startTestTarget({ transport: 'sse', agent: 'instant', seed: 52, faults: { handshake: 1 } });
    try {
      const a = await openParty(t, 'first');
      const b = await openParty(t, 'second');
      await Promise.all([a.startRun('one', 'm1'), b.startRun('two', 'm2')]);
      const deadline = Date.now() + 5000;
      const done = (p: Party): boolean => p.received().some((g) => g.event === 'agent_completed');
      while (!(done(a) && done(b)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all([a.close(), b.close()]);
      assert.ok(done(a) && done(b), 'both runs completed');
      for (const p of [a, b])
        assert.ok(
          p.received().every((g) => g.event !== 'connection_established' && readFrame(g).payload.user_id === p.id),
        );
      await assertLeaks(t, 'handshake', 0);
    } finally {
      await t.close();
    }
  });
});

describe("rest_error: error answers carry another user's thread", () => {
  interface Owner {
    readonly token: string;
    readonly threads: Array<{ id: string; title: string }>;
  }

  /** A user with two titled threads (the fault never names the thread a request asked for, so there is always the other). */
  async function owner(t: TestTarget): Promise<Owner> {
    const id = uniqueId('owner');
    const token = await t.token(id);
    const threads: Array<{ id: string; title: string }> = [];
    for (const n of [1, 2]) {
      const title = `budget ${n} of ${id}`;
      const r = await rest(t.url, 'POST', '/api/threads', { token, body: { title } });
      assert.equal(r.status, 201);
      threads.push({ id: r.json.id as string, title });
    }
    return { token, threads };
  }

  /** Asserts an error body carries one of `a`'s threads, other than `requested`, in either form; returns the form. */
  function assertCarries(
    body: { error: { code: string; message: string; details?: { thread_id: string; title: string } } },
    a: Owner,
    requested?: string,
  ): 'details' | 'message' {
    assert.equal(typeof body.error.code, 'string', "still protocol.md's error shape");
    const candidates = a.threads.filter((th) => th.id !== requested);
    if (body.error.details) {
      assert.ok(
        candidates.some((th) => th.id === body.error.details!.thread_id && th.title === body.error.details!.title),
        `details name a's thread: ${JSON.stringify(body)}`,
      );
      return 'details';
    }
    assert.ok(
      candidates.some(
        (th) => body.error.message.includes(th.id) && body.error.message.includes(JSON.stringify(th.title)),
      ),
      `the message names a's thread: ${body.error.message}`,
    );
    return 'message';
  }

  test("over REST: 404s and 400s of every route carry another user's thread id and title, each counted once", async () => {
    const t = await startTestTarget({ agent: 'instant', seed: 53, faults: { rest_error: 1 } });
    try {
      const lone = await t.token(uniqueId('lone'));
      const missing = await rest(t.url, 'GET', '/api/threads/thr_missing', { token: lone });
      assert.deepEqual(
        missing.json,
        { error: { code: 'THREAD_NOT_FOUND', message: 'thread not found' } },
        'nobody else has a thread: a plain error',
      );
      await assertLeaks(t, 'rest_error', 0);

      const a = await owner(t);
      const b = await t.token(uniqueId('b'));
      const [a1] = a.threads;
      const calls: Array<[string, string, unknown, number, string | undefined]> = [
        ['GET', '/api/threads/thr_nope', undefined, 404, 'thr_nope'],
        ['GET', `/api/threads/${a1!.id}`, undefined, 404, a1!.id],
        ['PUT', `/api/threads/${a1!.id}`, { title: 'mine now' }, 404, a1!.id],
        ['DELETE', `/api/threads/${a1!.id}`, undefined, 404, a1!.id],
        ['GET', `/api/threads/${a1!.id}/messages`, undefined, 404, a1!.id],
        ['POST', '/api/threads', { title: 42 }, 400, undefined],
        ['GET', '/api/threads?limit=0', undefined, 400, undefined],
        ['PATCH', '/api/threads', undefined, 405, undefined],
        ['GET', '/api/nothing-here', undefined, 404, undefined],
      ];
      const forms = new Set<string>();
      for (const [method, path, body, status, requested] of calls) {
        const r = await rest(t.url, method, path, { token: b, ...(body !== undefined ? { body } : {}) });
        assert.equal(r.status, status, `${method} ${path}`);
        forms.add(assertCarries(r.json, a, requested));
      }
      assert.deepEqual([...forms].sort(), ['details', 'message'], 'both forms, in turn');
      const ok = await rest(t.url, 'GET', '/api/threads', { token: b });
      assert.deepEqual(ok.json, [], 'answers that are not errors are untouched');
      const refused = await rest(t.url, 'GET', '/api/threads/thr_nope', { token: 'not-a-token' });
      assert.equal(refused.status, 401);
      assert.ok(!JSON.stringify(refused.json).includes('thr_'), 'a refused token learns nothing (no user to leak to)');
      await assertLeaks(t, 'rest_error', calls.length);
    } finally {
      await t.close();
    }
  });

  test("over SSE: a run stream refused with 404 or 400 carries another user's thread", async () => {
    const t = await startTestTarget({ transport: 'sse', agent: 'instant', seed: 54, faults: { rest_error: 1 } });
    try {
      const a = await owner(t);
      const b = await t.token(uniqueId('b'));
      const [a1] = a.threads;
      const foreign = await openRunStream(t.url, a1!.id, { token: b, content: "into a's thread" });
      assert.equal(foreign.status, 404);
      assertCarries(foreign.json, a, a1!.id);
      const bad = await openRunStream(t.url, 'thr_x', { token: b, body: { content: '' } });
      assert.equal(bad.status, 400);
      assertCarries(bad.json, a, 'thr_x');
      const stop = await rest(t.url, 'POST', '/api/runs/run_nope/stop', { token: b });
      assert.equal(stop.status, 404);
      assertCarries(stop.json, a);
      await assertLeaks(t, 'rest_error', 3);
    } finally {
      await t.close();
    }
  });
});
