// Many users at once: every run reaches its owner's connections and nobody else's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DELIVERIES, openWs, rest, type Frame, type TestSocket } from '../helpers/client.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

const USERS = 50;
const CONNECTIONS_PER_USER = 2;
const MESSAGES_PER_USER = 4;

interface SimUser {
  readonly id: string;
  readonly token: string;
  readonly threadId: string;
  /** Fixed-length marker embedded in every message this user sends, so no marker is a substring of another. */
  readonly canary: string;
  readonly messageIds: string[];
  readonly socks: TestSocket[];
  readonly runIds: Set<string>;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

describe(`isolation: ${USERS} users x ${CONNECTIONS_PER_USER} connections x ${MESSAGES_PER_USER} concurrent messages`, () => {
  let target: TestTarget;
  let users: SimUser[] = [];

  before(async () => {
    target = await startTestTarget({ agent: 'fast', seed: 3 });
    const run = randomBytes(3).toString('hex');
    users = await pool(
      Array.from({ length: USERS }, (_, i) => i),
      10,
      async (i) => {
        const id = `iso-${run}-u${String(i).padStart(3, '0')}`;
        const token = await target.token(id);
        const created = await rest(target.url, 'POST', '/api/threads', { token, body: { title: `thread of ${id}` } });
        assert.equal(created.status, 201);
        const socks: TestSocket[] = [];
        for (let c = 0; c < CONNECTIONS_PER_USER; c++) {
          socks.push(await openWs(target.url, { delivery: DELIVERIES[(i + c) % DELIVERIES.length]!, token }));
        }
        return {
          id,
          token,
          threadId: created.json.id as string,
          canary: `cnry${randomBytes(8).toString('hex')}`,
          messageIds: [],
          socks,
          runIds: new Set<string>(),
        };
      },
    );
  });

  after(async () => {
    await Promise.all(users.flatMap((u) => u.socks.map((s) => s.close())));
    await target.close();
  });

  test("every run completes on every connection of its owner, and no frame carries another user's data", async () => {
    // Everyone sends at once; messages alternate between the user's two connections.
    for (const u of users) {
      for (let k = 0; k < MESSAGES_PER_USER; k++) {
        const messageId = `${u.id}-m${k}`;
        u.messageIds.push(messageId);
        u.socks[k % u.socks.length]!.send({
          type: 'user_message',
          payload: { thread_id: u.threadId, content: `question ${k} about ${u.canary}`, message_id: messageId },
        });
      }
    }
    await Promise.all(
      users.flatMap((u) =>
        u.socks.flatMap((s) =>
          u.messageIds.map((mid) =>
            s.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === mid, 15_000),
          ),
        ),
      ),
    );

    for (const u of users) {
      for (const s of u.socks)
        for (const f of s.frames) if (typeof f.payload?.run_id === 'string') u.runIds.add(f.payload.run_id);
      assert.equal(u.runIds.size, MESSAGES_PER_USER, `${u.id} saw exactly its ${MESSAGES_PER_USER} runs`);
    }

    // Scan every frame of every connection for other users' ids and canaries.
    const owners = new Map<string, string>();
    for (const u of users) {
      owners.set(u.threadId, u.id);
      for (const r of u.runIds) owners.set(r, u.id);
    }
    const violations: string[] = [];
    let scanned = 0;
    for (const u of users) {
      for (const s of u.socks) {
        s.frames.forEach((f: Frame, i) => {
          scanned++;
          const text = s.raw[i]!;
          const p = f.payload ?? {};
          if (p.user_id !== undefined && p.user_id !== u.id)
            violations.push(`${u.id} got user_id ${p.user_id} in ${f.type}`);
          for (const key of ['thread_id', 'run_id'] as const) {
            const owner = p[key] === undefined ? undefined : owners.get(p[key]);
            if (p[key] !== undefined && owner !== u.id)
              violations.push(`${u.id} got ${key} ${p[key]} (owner ${owner ?? 'unknown'}) in ${f.type}`);
          }
          for (const other of users) {
            if (other === u) continue;
            if (text.includes(other.canary) || text.includes(other.id) || text.includes(other.threadId)) {
              violations.push(`${u.id} got a frame naming ${other.id}: ${text.slice(0, 200)}`);
            }
          }
        });
      }
    }
    // connection_established plus at least started, thinking, completed per run.
    assert.ok(scanned >= USERS * CONNECTIONS_PER_USER * (1 + MESSAGES_PER_USER * 3), `scanned ${scanned} frames`);
    assert.deepEqual(violations.slice(0, 10), [], `${violations.length} cross-user frames`);
    assert.equal(
      users.reduce((n, u) => n + u.socks.reduce((m, s) => m + s.binaryFrames(), 0), 0),
      0,
      'every frame is text',
    );
  });

  test('over REST each user sees only its own thread and messages, and other threads answer 404', async () => {
    await pool(users, 10, async (u, i) => {
      const list = await rest(target.url, 'GET', '/api/threads?limit=100', { token: u.token });
      assert.deepEqual(
        list.json.map((t: { id: string }) => t.id),
        [u.threadId],
      );
      const msgs = await rest(target.url, 'GET', `/api/threads/${u.threadId}/messages?limit=100`, { token: u.token });
      assert.equal(msgs.status, 200);
      assert.equal(msgs.json.total, MESSAGES_PER_USER * 2, 'each message and its answer are stored');
      const text = JSON.stringify(msgs.json);
      assert.ok(text.includes(u.canary));
      for (const other of users)
        if (other !== u) assert.ok(!text.includes(other.canary), `${u.id}'s messages hold ${other.id}'s canary`);
      const neighbour = users[(i + 1) % users.length]!;
      assert.equal(
        (await rest(target.url, 'GET', `/api/threads/${neighbour.threadId}`, { token: u.token })).status,
        404,
      );
      assert.equal(
        (await rest(target.url, 'GET', `/api/threads/${neighbour.threadId}/messages`, { token: u.token })).status,
        404,
      );
    });
  });

  test("stop_agent with another user's run_id does not stop that run", async () => {
    const [victim, attacker] = users as [SimUser, SimUser, ...SimUser[]];
    const vs = victim.socks[0]!;
    const as = attacker.socks[0]!;
    const messageId = `${victim.id}-stopme`;
    vs.send({
      type: 'user_message',
      payload: { thread_id: victim.threadId, content: `keep going ${victim.canary}`, message_id: messageId },
    });
    const started = await vs.waitFor((f) => f.type === 'agent_started' && f.payload?.message_id === messageId, 3000);
    const runId = started.payload.run_id as string;
    const from = as.frames.length;
    as.send({ type: 'stop_agent', payload: { run_id: runId } });
    await vs.waitFor((f) => f.type === 'agent_completed' && f.payload?.run_id === runId, 3000);
    assert.ok(
      !vs.frames.some((f) => f.type === 'agent_stopped' && f.payload?.run_id === runId),
      "the victim's run was not stopped",
    );
    assert.ok(
      !as.frames.slice(from).some((f) => f.type !== 'error' && f.payload?.run_id === runId),
      'the attacker got no event of that run',
    );
  });
});
