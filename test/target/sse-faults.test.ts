// The fault matrix over SSE: misroute and broadcast land on other users' open
// streams and are counted exactly as delivered; disconnect cuts the stream.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { rest, uniqueId } from '../helpers/client.js';
import { openRunStream, type TestSseStream } from '../helpers/sse-client.js';
import { foreignFrames } from '../helpers/run-events.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import type { AgentTiming } from '../../src/target/agent-presets.js';
import type { FaultSpec } from '../../src/target/fault-spec.js';

/** The first event comes late enough for every stream of a test to be open by then. */
const LATE_START: AgentTiming = {
  firstEventMs: [300, 300],
  thinkingSteps: [2, 3],
  thinkingMs: [10, 30],
  toolCalls: [0, 1],
  toolStartMs: [10, 30],
  toolMs: [10, 30],
  finalMs: [10, 30],
};

interface User {
  readonly id: string;
  readonly token: string;
  readonly threadId: string;
}

async function newUser(target: TestTarget): Promise<User> {
  const id = uniqueId('u');
  const token = await target.token(id);
  const res = await rest(target.url, 'POST', '/api/threads', { token, body: {} });
  assert.equal(res.status, 201);
  return { id, token, threadId: res.json.id as string };
}

/** A target with `faults`, and one open stream per user (all opened before any run event). */
async function withStreams(
  faults: FaultSpec,
  users: number,
  fn: (t: TestTarget, us: User[], ss: TestSseStream[]) => Promise<void>,
): Promise<void> {
  const t = await startTestTarget({ transport: 'sse', agent: LATE_START, seed: 21, faults });
  const streams: TestSseStream[] = [];
  try {
    const us: User[] = [];
    for (let i = 0; i < users; i++) us.push(await newUser(t));
    streams.push(
      ...(await Promise.all(
        us.map((u) =>
          openRunStream(t.url, u.threadId, { token: u.token, content: `from ${u.id}`, messageId: `m-${u.id}` }),
        ),
      )),
    );
    for (const s of streams) assert.equal(s.status, 200);
    await fn(t, us, streams);
  } finally {
    for (const s of streams) s.abort();
    await t.close();
  }
}

describe('faults over SSE', () => {
  test("misroute: each run's events land on the other user's open stream, counted exactly as received", async () => {
    await withStreams({ misroute: 1 }, 2, async (t, [a, b], [sa, sb]) => {
      // Every event goes to the other user: each stream carries the other's whole run, terminal last.
      await sa!.waitFor((f) => f.type === 'agent_completed' && f.payload.user_id === b!.id, 5000);
      await sb!.waitFor((f) => f.type === 'agent_completed' && f.payload.user_id === a!.id, 5000);
      const onA = foreignFrames(sa!.frames, a!.id).length;
      const onB = foreignFrames(sb!.frames, b!.id).length;
      assert.ok(onA >= 4 && onB >= 4, `whole runs misrouted (${onA}, ${onB})`);
      assert.equal(sa!.frames.filter((f) => f.payload?.user_id === a!.id).length, 0, "a's own events all went to b");
      const leaks = t.leaks();
      assert.equal(leaks.total, onA + onB, 'leaks() counts the frames the other users received');
      assert.deepEqual(leaks.byFault, { misroute: onA + onB });
      assert.deepEqual((await rest(t.url, 'GET', '/auth/test-leaks')).json, leaks, '/auth/test-leaks says the same');
    });
  });

  test('broadcast: every event also lands on every other open stream, counted exactly as received', async () => {
    await withStreams({ broadcast: 1 }, 3, async (t, us, ss) => {
      const ends = await Promise.all(ss.map((s) => s.finished));
      assert.deepEqual(ends, ['end', 'end', 'end'], 'each stream still ends after its own terminal event');
      let received = 0;
      ss.forEach((s, i) => {
        const own = s.frames.filter((f) => f.payload?.user_id === us[i]!.id);
        assert.equal(own.at(-1)!.type, 'agent_completed', 'the owner gets its whole run');
        received += foreignFrames(s.frames, us[i]!.id).length;
      });
      assert.ok(received >= 6, `other users' events arrived (${received})`);
      const leaks = t.leaks();
      assert.equal(leaks.total, received, 'leaks() counts the frames the other users received');
      assert.deepEqual(leaks.byFault, { broadcast: received });
      assert.deepEqual((await rest(t.url, 'GET', '/auth/test-leaks')).json, leaks);
    });
  });

  test('disconnect: the stream is cut after the event it struck, without a terminal event, and nothing is left behind', async () => {
    await withStreams({ disconnect: 1 }, 1, async (t, _us, [s]) => {
      assert.equal(await s!.finished, 'cut', 'the connection breaks; the stream does not end cleanly');
      assert.deepEqual(
        s!.frames.map((f) => f.type),
        ['agent_started'],
      );
      assert.equal(t.leaks().total, 0, 'a disconnect leaks nothing');
      const deadline = Date.now() + 3000;
      let h = (await rest(t.url, 'GET', '/health')).json;
      while ((h.connections !== 0 || h.runsInFlight !== 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        h = (await rest(t.url, 'GET', '/health')).json;
      }
      assert.equal(h.connections, 0);
      assert.equal(h.runsInFlight, 0, 'the run of a cut stream is cancelled');
    });
  });

  test('a reader that stops reading is cut once about 1 MiB waits for it, not buffered for without bound', async () => {
    // Runs that emit their first events at once, then wait a minute for the answer.
    const hanging: AgentTiming = {
      firstEventMs: [0, 0],
      thinkingSteps: [2, 2],
      thinkingMs: [0, 0],
      toolCalls: [1, 1],
      toolStartMs: [0, 0],
      toolMs: [0, 0],
      finalMs: [60_000, 60_000],
    };
    const t = await startTestTarget({ transport: 'sse', agent: hanging, seed: 22, faults: { broadcast: 1 } });
    const sock = connect(t.port, '127.0.0.1');
    try {
      const [a, b] = [await newUser(t), await newUser(t)];
      const body = JSON.stringify({ content: 'I will not read' });
      sock.on('error', () => undefined);
      sock.write(
        `POST /api/threads/${a.threadId}/runs/stream HTTP/1.1\r\nHost: target\r\nAuthorization: Bearer ${a.token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      sock.pause();
      const health = async (): Promise<{ connections: number }> => (await rest(t.url, 'GET', '/health')).json;
      const deadline = Date.now() + 15_000;
      while ((await health()).connections !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await health()).connections, 1, "the silent reader's stream is open");
      // b's runs quote 20 KB messages in every event, and the broadcast fault copies each onto a's stream.
      const big = `b says ${'x'.repeat(20_000)}`;
      let runs = 0;
      while (runs < 400 && Date.now() < deadline) {
        const batch = await Promise.all(
          Array.from({ length: 10 }, () => openRunStream(t.url, b.threadId, { token: b.token, content: big })),
        );
        await Promise.all(batch.map((s) => s.waitFor((f) => f.type === 'tool_completed', 5000)));
        for (const s of batch) s.abort();
        await Promise.all(batch.map((s) => s.finished));
        runs += batch.length;
        // The server sees b's streams close a moment later; then only a's can be left.
        let open = (await health()).connections;
        while (open > 1 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 10));
          open = (await health()).connections;
        }
        if (open === 0) break;
      }
      assert.equal(
        (await health()).connections,
        0,
        `the silent reader was cut after ${runs} runs of b (${((runs * 4 * big.length) / 1048576).toFixed(0)} MiB sent its way)`,
      );
      assert.ok(runs <= 200, `cut within 200 runs of b, not after ${runs}`);
    } finally {
      sock.destroy();
      await t.close();
    }
  });
});
