// Agent runs over Socket.IO (`--transport socketio`): handshake auth in every
// delivery, runs to every socket of the owner only, stop, ping, errors,
// heartbeat, and the fault matrix (misroute, broadcast, disconnect).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openWs, rest, uniqueId, UpgradeRefused } from '../helpers/client.js';
import { ConnectRefused, IO_DELIVERIES, openSocketIo, type TestIoSocket } from '../helpers/socketio-client.js';
import { assertCompletedRun, foreignFrames, runEventsOf } from '../helpers/run-events.js';
import { SLOW_AGENT, startTestTarget, type TestTarget } from '../helpers/target.js';

interface User {
  readonly id: string;
  readonly token: string;
  readonly threadId: string;
  readonly socks: TestIoSocket[];
}

const opened: TestIoSocket[] = [];

/** A fresh user with a thread and `n` sockets (deliveries taken in turn). */
async function newUser(target: TestTarget, n = 1): Promise<User> {
  const id = uniqueId('u');
  const token = await target.token(id);
  const res = await rest(target.url, 'POST', '/api/threads', { token, body: { title: 'socketio' } });
  assert.equal(res.status, 201);
  const socks: TestIoSocket[] = [];
  for (let i = 0; i < n; i++) {
    const s = await openSocketIo(target.url, { delivery: IO_DELIVERIES[i % IO_DELIVERIES.length]!, token });
    opened.push(s);
    socks.push(s);
  }
  return { id, token, threadId: res.json.id as string, socks };
}

const runOf = (s: TestIoSocket, messageId: string) => runEventsOf(s.frames, messageId);

after(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe('Socket.IO runs', () => {
  let target: TestTarget;
  let slow: TestTarget;
  before(async () => {
    target = await startTestTarget({ transport: 'socketio', agent: 'fast', seed: 31 });
    slow = await startTestTarget({ transport: 'socketio', agent: SLOW_AGENT, seed: 32 });
  });
  after(async () => {
    await Promise.all([target.close(), slow.close()]);
  });

  test('every delivery of a good token or ticket is accepted; connection_established comes first', async () => {
    const id = uniqueId('u');
    const token = await target.token(id);
    for (const delivery of IO_DELIVERIES) {
      const s = await openSocketIo(target.url, { delivery, token });
      opened.push(s);
      assert.equal(s.frames[0]!.type, 'connection_established', delivery);
      assert.equal(s.userId, id, `${delivery}: user_id`);
      assert.ok(s.connectionId.startsWith('conn_'), delivery);
      assert.equal(typeof s.frames[0]!.payload.server_time, 'number');
      await s.close();
    }
  });

  test('every delivery of a bad token is refused with connect_error AUTH_FAILED; a ticket is single use', async () => {
    const id = uniqueId('u');
    const bad = [
      await target.token(id, { wrongSecret: true }),
      await target.token(id, { expiresInSec: -60 }),
      await target.token(id, { type: 'refresh' }),
    ];
    for (const delivery of ['auth', 'header', 'query'] as const) {
      for (const token of bad) {
        await assert.rejects(
          openSocketIo(target.url, { delivery, token }),
          (err: unknown) => err instanceof ConnectRefused && err.reason === 'AUTH_FAILED',
          delivery,
        );
      }
      await assert.rejects(
        openSocketIo(target.url, { delivery }),
        (err: unknown) => err instanceof ConnectRefused && err.reason === 'AUTH_FAILED',
        `${delivery} without a token`,
      );
    }
    for (const delivery of ['ticket', 'auth-ticket'] as const) {
      await assert.rejects(
        openSocketIo(target.url, { delivery, ticket: 'tkt_made_up' }),
        (err: unknown) => err instanceof ConnectRefused && err.reason === 'AUTH_FAILED',
        `${delivery}: unknown ticket`,
      );
      const issued = await rest(target.url, 'POST', '/api/websocket/ticket', { token: await target.token(id) });
      const first = await openSocketIo(target.url, { delivery, ticket: issued.json.ticket_id });
      opened.push(first);
      assert.equal(first.userId, id);
      await assert.rejects(
        openSocketIo(target.url, { delivery, ticket: issued.json.ticket_id }),
        (err: unknown) => err instanceof ConnectRefused && err.reason === 'AUTH_FAILED',
        `${delivery}: reused ticket`,
      );
    }
  });

  test('a run goes to every socket of its owner, in protocol order, and to nobody else', async () => {
    const a = await newUser(target, 2);
    const b = await newUser(target, 1);
    const content = `a question from ${a.id}`;
    a.socks[0]!.emit('user_message', { thread_id: a.threadId, content, message_id: 'io-1' });
    await Promise.all(
      a.socks.map((s) => s.waitFor((f) => f.type === 'agent_completed' && f.payload?.message_id === 'io-1', 5000)),
    );
    const runIds = a.socks.map((s) =>
      assertCompletedRun(runOf(s, 'io-1'), { userId: a.id, threadId: a.threadId, messageId: 'io-1', content }),
    );
    assert.equal(runIds[0], runIds[1], 'both sockets got the same run');
    // b runs too, so its socket has seen events while a's run was live.
    b.socks[0]!.emit('user_message', { thread_id: b.threadId, content: 'b asks', message_id: 'io-b' });
    await b.socks[0]!.waitFor((f) => f.type === 'agent_completed', 5000);
    assert.equal(foreignFrames(b.socks[0]!.frames, b.id).length, 0);
    for (const raw of b.socks[0]!.raw)
      assert.ok(!raw.includes(a.id) && !raw.includes(runIds[0]!), `b got a frame naming a: ${raw}`);
  });

  test("errors: another user's thread is THREAD_NOT_FOUND; a bad payload or unknown event is BAD_MESSAGE; ping answers pong", async () => {
    const a = await newUser(target);
    const b = await newUser(target);
    const s = a.socks[0]!;
    s.emit('user_message', { thread_id: b.threadId, content: 'let me in', message_id: 'io-x' });
    const notFound = await s.waitFor((f) => f.type === 'error' && f.payload?.message_id === 'io-x');
    assert.equal(notFound.payload.code, 'THREAD_NOT_FOUND');
    for (const [event, payload] of [
      ['user_message', { thread_id: a.threadId }],
      ['user_message', 'not an object'],
      ['stop_agent', {}],
      ['dance', {}],
    ] as const) {
      const from = s.frames.length;
      s.emit(event, payload);
      const err = await s.waitFor((f, i) => i >= from && f.type === 'error');
      assert.equal(err.payload.code, 'BAD_MESSAGE', `${event} ${JSON.stringify(payload)}`);
    }
    s.emit('ping', { ts: 1234 });
    assert.deepEqual((await s.waitFor((f) => f.type === 'pong')).payload, { ts: 1234 });
    assert.equal(runOf(s, 'io-x').length, 0, 'no run started');
  });

  test("stop_agent stops the caller's run with agent_stopped; another user's stop_agent is refused and the run completes", async () => {
    const a = await newUser(slow);
    const b = await newUser(slow);
    const [sa, sb] = [a.socks[0]!, b.socks[0]!];
    sa.emit('user_message', { thread_id: a.threadId, content: 'stop me', message_id: 'io-stop' });
    const started = await sa.waitFor((f) => f.type === 'agent_started', 3000);
    const runId = started.payload.run_id as string;
    sb.emit('stop_agent', { run_id: runId });
    assert.equal((await sb.waitFor((f) => f.type === 'error')).payload.code, 'BAD_MESSAGE');
    sa.emit('stop_agent', { run_id: runId });
    const stopped = await sa.waitFor((f) => f.type === 'agent_stopped', 3000);
    assert.equal(stopped.payload.run_id, runId);
    assert.equal(stopped.payload.user_id, a.id);
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(!sa.frames.some((f) => f.type === 'agent_completed'), 'no events after agent_stopped');
  });

  test('only Socket.IO serves runs: /ws answers 404; a WebSocket target refuses a Socket.IO client', async () => {
    const a = await newUser(target);
    await assert.rejects(
      openWs(target.url, { delivery: 'header', token: a.token }),
      (err: unknown) => err instanceof UpgradeRefused && err.status === 404,
    );
    const ws = await startTestTarget({ agent: 'instant' });
    try {
      await assert.rejects(
        openSocketIo(ws.url, { delivery: 'auth', token: await ws.token('u-x'), timeoutMs: 2000 }),
        ConnectRefused,
      );
    } finally {
      await ws.close();
    }
  });
});

describe('Socket.IO: faults and heartbeat', () => {
  test("misroute: the run's events land on the other user's socket, counted exactly as received", async () => {
    const t = await startTestTarget({ transport: 'socketio', agent: 'fast', seed: 33, faults: { misroute: 1 } });
    try {
      const a = await newUser(t);
      const b = await newUser(t);
      a.socks[0]!.emit('user_message', { thread_id: a.threadId, content: `mine ${a.id}`, message_id: 'io-mis' });
      await b.socks[0]!.waitFor((f) => f.type === 'agent_completed' && f.payload?.user_id === a.id, 5000);
      const received = foreignFrames(b.socks[0]!.frames, b.id).length;
      assert.ok(received >= 4, `a whole run misrouted (${received})`);
      assert.equal(runOf(a.socks[0]!, 'io-mis').length, 0, 'a got none of its own events');
      assert.deepEqual(t.leaks(), { total: received, byFault: { misroute: received } });
      assert.deepEqual((await rest(t.url, 'GET', '/auth/test-leaks')).json, t.leaks());
    } finally {
      await t.close();
    }
  });

  test('misroute to a socket whose client is closing: not written, not counted; leaks() == what was received', async () => {
    const t = await startTestTarget({ transport: 'socketio', agent: 'fast', seed: 36, faults: { misroute: 1 } });
    try {
      const a = await newUser(t);
      const b = await newUser(t, 2);
      const [closing, open] = b.socks as [TestIoSocket, TestIoSocket];
      // The client sends its WebSocket close frame and stops reading, so the server's side stays closing (Socket.IO
      // still calls the socket connected: its transport has not closed) until the client reads the close reply.
      const raw = (
        closing.socket.io.engine.transport as unknown as {
          ws: { close(code: number): void; _socket: { pause(): void; resume(): void } };
        }
      ).ws;
      raw.close(1000);
      raw._socket.pause();
      await new Promise((r) => setTimeout(r, 300));
      a.socks[0]!.emit('user_message', { thread_id: a.threadId, content: `mine ${a.id}`, message_id: 'io-closing' });
      await open.waitFor((f) => f.type === 'agent_completed' && f.payload?.user_id === a.id, 5000);
      raw._socket.resume();
      await closing.disconnected;
      const toOpen = foreignFrames(open.frames, b.id).length;
      const toClosing = foreignFrames(closing.frames, b.id).length;
      assert.ok(toOpen >= 4, `a whole run misrouted to the open socket (${toOpen})`);
      // What the closing socket got (nothing, unless the close frame was slower than 300 ms) is all that is counted for it.
      assert.deepEqual(t.leaks(), { total: toOpen + toClosing, byFault: { misroute: toOpen + toClosing } });
    } finally {
      await t.close();
    }
  });

  test("broadcast: every event also lands on every other user's socket, counted exactly as received", async () => {
    const t = await startTestTarget({ transport: 'socketio', agent: 'fast', seed: 34, faults: { broadcast: 1 } });
    try {
      const a = await newUser(t);
      const others = [await newUser(t), await newUser(t, 2)];
      a.socks[0]!.emit('user_message', { thread_id: a.threadId, content: `mine ${a.id}`, message_id: 'io-bc' });
      const sockets = others.flatMap((o) => o.socks.map((s) => ({ s, owner: o.id })));
      await Promise.all(
        sockets.map(({ s }) => s.waitFor((f) => f.type === 'agent_completed' && f.payload?.user_id === a.id, 5000)),
      );
      const ownRun = runOf(a.socks[0]!, 'io-bc').length;
      let received = 0;
      for (const { s, owner } of sockets) {
        const n = foreignFrames(s.frames, owner).length;
        assert.equal(n, ownRun, 'each other socket got every event of the run');
        received += n;
      }
      assert.deepEqual(t.leaks(), { total: received, byFault: { broadcast: received } });
      assert.deepEqual((await rest(t.url, 'GET', '/auth/test-leaks')).json, t.leaks());
    } finally {
      await t.close();
    }
  });

  test('disconnect: the server disconnects the socket after the event it struck', async () => {
    const t = await startTestTarget({ transport: 'socketio', agent: 'fast', seed: 35, faults: { disconnect: 1 } });
    try {
      const a = await newUser(t);
      const s = a.socks[0]!;
      s.emit('user_message', { thread_id: a.threadId, content: 'cut me', message_id: 'io-cut' });
      assert.equal(await s.disconnected, 'io server disconnect');
      assert.deepEqual(
        runOf(s, 'io-cut').map((f) => f.type),
        ['agent_started'],
      );
      assert.equal(t.leaks().total, 0);
    } finally {
      await t.close();
    }
  });

  test('--heartbeat sends ownerless heartbeat events to every socket', async () => {
    const t = await startTestTarget({ transport: 'socketio', agent: 'instant', heartbeatMs: 50 });
    try {
      const a = await newUser(t, 2);
      for (const s of a.socks) {
        const hb = await s.waitFor((f) => f.type === 'heartbeat', 2000);
        for (const key of ['user_id', 'thread_id', 'run_id'])
          assert.equal(hb.payload?.[key], undefined, `heartbeat has no ${key}`);
      }
    } finally {
      await t.close();
    }
  });
});
