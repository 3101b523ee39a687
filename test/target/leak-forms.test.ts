// The leak-form faults of the reference target, on every transport where the
// form exists: what the receiving user's raw client actually got carries the
// planted form, and leaks() counts exactly the planted frames delivered.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rest } from '../helpers/client.js';
import { openParty, readFrame, type Got, type Party, type ReadFrame } from '../helpers/raw-parties.js';
import { RUN_EVENT_TYPES, TERMINAL_TYPES } from '../helpers/run-events.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import type { AgentTiming } from '../../src/target/agent-presets.js';
import type { FaultSpec } from '../../src/target/fault-spec.js';
import type { TargetTransport } from '../../src/target/transport-gateway.js';
import type { Dialect } from '../../src/target/wire-dialect.js';

const TRANSPORTS: readonly TargetTransport[] = ['ws', 'sse', 'socketio'];

/** The first event comes late enough for both users to be connected (and both messages in) by then. */
const LATE_START: AgentTiming = {
  firstEventMs: [300, 300],
  thinkingSteps: [2, 3],
  thinkingMs: [10, 30],
  toolCalls: [0, 1],
  toolStartMs: [10, 30],
  toolMs: [10, 30],
  finalMs: [10, 30],
};

/** A word of letters only, unique to a user, in everything that user writes. */
const canaryWord = (): string => `kw${[...randomBytes(10)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;

interface User {
  readonly party: Party;
  readonly canary: string;
  readonly message: string;
}

interface Pair {
  readonly t: TestTarget;
  readonly users: readonly [User, User];
}

/** Polls `cond` every 20 ms until it holds; fails after `timeoutMs`. */
async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A target with `faults`, two users connected, each sending one message at once. */
async function withPair(
  transport: TargetTransport,
  faults: FaultSpec,
  fn: (p: Pair) => Promise<void>,
  dialect?: Dialect,
): Promise<void> {
  const t = await startTestTarget({ transport, agent: LATE_START, seed: 41, faults, ...(dialect ? { dialect } : {}) });
  const parties: Party[] = [];
  try {
    const users: User[] = [];
    for (let i = 0; i < 2; i++) {
      const canary = canaryWord();
      const party = await openParty(t, `plans of ${canary}`);
      parties.push(party);
      users.push({ party, canary, message: `please compare ${canary} with the quarterly budget` });
    }
    await Promise.all(users.map((u, i) => u.party.startRun(u.message, `m-${i}`)));
    await fn({ t, users: users as unknown as [User, User] });
  } finally {
    await Promise.all(parties.map((p) => p.close()));
    await t.close();
  }
}

/** Run events a user received, read whatever their form, with what arrived. */
function runEvents(u: User): Array<ReadFrame & { got: Got }> {
  return u.party
    .received()
    .map((got) => ({ ...readFrame(got), got }))
    .filter((f) => f.type !== undefined && RUN_EVENT_TYPES.has(f.type));
}

const other = (p: Pair, u: User): User => (p.users[0] === u ? p.users[1] : p.users[0]);

/** Waits until each user has received the other's terminal event (the misroute-shaped faults send whole runs across). */
async function untilRunsCrossed(p: Pair, timeoutMs = 5000): Promise<void> {
  await until(
    () =>
      p.users.every((u) =>
        runEvents(u).some((f) => TERMINAL_TYPES.has(f.type!) && f.payload?.user_id === other(p, u).party.id),
      ),
    timeoutMs,
    'each run to reach the other user',
  );
}

/** Waits until each user has its own terminal event. */
async function untilOwnRunsDone(p: Pair): Promise<void> {
  await until(
    () =>
      p.users.every((u) => runEvents(u).some((f) => TERMINAL_TYPES.has(f.type!) && f.payload?.user_id === u.party.id)),
    5000,
    'both runs to complete',
  );
}

async function assertLeaks(t: TestTarget, fault: string, planted: number): Promise<void> {
  const leaks = t.leaks();
  assert.deepEqual(
    leaks,
    { total: planted, byFault: { [fault]: planted } },
    'leaks() counts exactly the planted frames delivered',
  );
  assert.deepEqual((await rest(t.url, 'GET', '/auth/test-leaks')).json, leaks, '/auth/test-leaks says the same');
}

/**
 * The misroute-shaped faults: each user got the other's whole run, every
 * event in one of `forms`, none of its own; returns the forms seen.
 */
async function assertMisroutedAs(
  p: Pair,
  fault: string,
  forms: ReadonlyArray<ReadFrame['form']>,
): Promise<Set<string>> {
  await untilRunsCrossed(p);
  const seen = new Set<string>();
  let planted = 0;
  for (const u of p.users) {
    const events = runEvents(u);
    const theirs = events.filter((f) => f.payload?.user_id === other(p, u).party.id);
    assert.equal(events.length, theirs.length, `${u.party.id} got none of its own events, only the other's`);
    assert.ok(theirs.length >= 4, `a whole run arrived (${theirs.length})`);
    for (const f of theirs) {
      assert.ok(
        forms.includes(f.form),
        `${f.type} came ${f.form}, expected ${forms.join(' or ')}: ${f.got.text.slice(0, 200)}`,
      );
      assert.equal(f.payload.thread_id, other(p, u).party.threadId, "the other user's thread inside");
      seen.add(f.form);
    }
    planted += theirs.length;
  }
  await assertLeaks(p.t, fault, planted);
  return seen;
}

for (const transport of TRANSPORTS) {
  describe(`leak forms over ${transport}`, () => {
    test("double: another user's events arrive double-encoded", async () => {
      await withPair(transport, { double: 1 }, async (p) => {
        if (transport === 'socketio') {
          const seen = await assertMisroutedAs(p, 'double', ['payload_string']);
          assert.deepEqual([...seen], ['payload_string'], "the event's argument is the payload's JSON text");
          return;
        }
        await assertMisroutedAs(p, 'double', ['payload_string', 'frame_string']);
        for (const u of p.users) {
          const forms = runEvents(u).map((f) => f.form);
          assert.deepEqual(
            forms.slice(0, 2),
            ['payload_string', 'frame_string'],
            'each receiver gets both forms, in turn within the run',
          );
        }
        const texts = p.users.flatMap((u) => u.party.received().map((g) => g.text));
        assert.ok(
          texts.some((x) => /^\{"type":"agent_\w+","payload":"\{\\"user_id\\":/.test(x)),
          'payload as a JSON string: {"type":…,"payload":"{\\"user_id\\":…',
        );
        assert.ok(
          texts.some((x) => x.startsWith('"{\\"type\\":')),
          'the frame as a JSON string: "{\\"type\\":…',
        );
      });
    });

    test("nonobject: another user's events arrive inside a JSON array", async () => {
      await withPair(transport, { nonobject: 1 }, async (p) => {
        await assertMisroutedAs(p, 'nonobject', ['array']);
        if (transport !== 'socketio') {
          assert.ok(
            p.users.every((u) => u.party.received().some((g) => g.text.startsWith('[{"type":"agent_'))),
            'the frame text is [ {…} ]',
          );
        }
      });
    });

    if (transport === 'sse') {
      test('binary: SSE has no binary frames, so the fault never fires there', async () => {
        await withPair(transport, { binary: 1 }, async (p) => {
          await untilOwnRunsDone(p);
          for (const u of p.users) {
            const events = runEvents(u);
            assert.ok(
              events.every((f) => f.form === 'plain' && f.payload.user_id === u.party.id),
              'each user got its own run, plain',
            );
          }
          assert.deepEqual(p.t.leaks(), { total: 0, byFault: {} });
        });
      });
    } else {
      test("binary: another user's events arrive as binary frames of their JSON", async () => {
        await withPair(transport, { binary: 1 }, async (p) => {
          await assertMisroutedAs(p, 'binary', ['binary']);
          for (const u of p.users)
            assert.ok(
              u.party
                .received()
                .filter((g) => g.binary)
                .every((g) => JSON.parse(g.text) !== null),
              'UTF-8 JSON inside',
            );
        });
      });
    }

    test("case: another user's words in the receiver's own reasoning, re-cased, wrapped and shuffled", async () => {
      await withPair(transport, { case: 1 }, async (p) => {
        await untilOwnRunsDone(p);
        let planted = 0;
        let upper = 0;
        let title = 0;
        let shuffled = 0;
        for (const u of p.users) {
          const o = other(p, u);
          for (const f of runEvents(u)) {
            assert.equal(f.payload.user_id, u.party.id, 'only own events: the fault splices, it does not misroute');
            const text = JSON.stringify(f.payload);
            if (!text.toLowerCase().includes(o.canary)) continue;
            planted++;
            const reasoning = String(f.payload.reasoning);
            assert.ok(!reasoning.includes(o.canary), 'never as the other user wrote it (lowercase)');
            const up = o.canary.toUpperCase();
            const ti = `K${o.canary.slice(1)}`;
            const wrapped = (w: string): boolean =>
              [`**${w}**`, `"${w}",`, `(${w})`, `_${w}_`].some((x) => reasoning.includes(x));
            assert.ok(wrapped(up) || wrapped(ti), `the word is wrapped in markdown or punctuation: ${reasoning}`);
            if (reasoning.includes(up)) upper++;
            if (reasoning.includes(ti)) title++;
            assert.ok(
              reasoning.includes('BUDGET') || reasoning.includes('Budget'),
              'the other words come along, re-cased',
            );
            const words = reasoning
              .slice(reasoning.indexOf('In short:') + 9)
              .match(/[A-Za-z]+/g)!
              .map((w) => w.toLowerCase());
            if (words.join(' ') !== o.message.toLowerCase()) shuffled++;
          }
        }
        assert.ok(planted >= 2, `planted frames arrived (${planted})`);
        assert.ok(upper > 0 && title > 0, `UPPER CASE (${upper}) and Title Case (${title}) in turn`);
        assert.ok(shuffled > 0, 'word order shuffled');
        await assertLeaks(p.t, 'case', planted);
      });
    });

    test("reference: the receiver's own events cite the other user's thread or run inside strings", async () => {
      await withPair(transport, { reference: 1 }, async (p) => {
        await untilOwnRunsDone(p);
        const runOf = (u: User): string =>
          runEvents(u).find((f) => f.payload.user_id === u.party.id)!.payload.run_id as string;
        let planted = 0;
        const forms = new Set<string>();
        for (const u of p.users) {
          const o = other(p, u);
          const foreignRun = runOf(o);
          for (const f of runEvents(u)) {
            const pl = f.payload;
            assert.equal(pl.user_id, u.party.id, "owner fields stay the receiver's");
            assert.equal(pl.thread_id, u.party.threadId);
            const text = JSON.stringify(pl);
            if (!text.includes(o.party.threadId) && !text.includes(foreignRun)) continue;
            planted++;
            const prose = String(pl.reasoning ?? pl.result ?? '');
            if (prose.includes(`/threads/${o.party.threadId} `)) forms.add('thread-in-text');
            if (prose.includes(`/runs/${foreignRun}/trace`)) forms.add('run-in-text');
            if (Array.isArray(pl.citations) && pl.citations[0] === `https://app.example/threads/${o.party.threadId}#m2`)
              forms.add('thread-citation');
            if (
              Array.isArray(pl.citations) &&
              pl.citations[0]?.links?.[0] === `https://app.example/runs/${foreignRun}?tab=steps`
            )
              forms.add('run-citation');
            assert.notEqual(pl.thread_id, o.party.threadId, 'the foreign id is only inside a string value');
          }
        }
        assert.ok(planted >= 4, `planted frames arrived (${planted})`);
        assert.ok(forms.size >= 3, `several citation forms: ${[...forms].join(', ')}`);
        assert.ok(
          [...forms].some((f) => f.startsWith('thread')) && [...forms].some((f) => f.startsWith('run')),
          'thread ids and run ids',
        );
        await assertLeaks(p.t, 'reference', planted);
      });
    });

    test("late: another user's run arrives 2-4 s after it ended, on a still-open connection", async () => {
      await withPair(transport, { late: 1 }, async (p) => {
        await untilRunsCrossed(p, 9000);
        let planted = 0;
        for (const u of p.users) {
          const events = runEvents(u);
          const theirs = events.filter((f) => f.payload.user_id === other(p, u).party.id);
          assert.equal(events.length, theirs.length, "none of the receiver's own events reached it");
          const endedAt = theirs.find((f) => TERMINAL_TYPES.has(f.type!))!.payload.timestamp as number;
          for (const f of theirs) {
            assert.equal(f.form, 'plain');
            const after = f.got.atMs - endedAt;
            assert.ok(after >= 1990 && after < 8000, `${f.type} arrived ${after} ms after the run ended`);
          }
          planted += theirs.length;
        }
        await assertLeaks(p.t, 'late', planted);
      });
    });
  });
}

describe('leak forms in another dialect', () => {
  test('double in the data dialect: the payload\'s JSON text under "data"', async () => {
    await withPair(
      'ws',
      { double: 1 },
      async (p) => {
        await assertMisroutedAs(p, 'double', ['payload_string', 'frame_string']);
        const texts = p.users.flatMap((u) => u.party.received().map((g) => g.text));
        assert.ok(
          texts.some((x) => /^\{"type":"agent_\w+","data":"\{\\"user_id\\":/.test(x)),
          `payload string form: ${texts.join('\n')}`,
        );
        assert.ok(
          texts.some((x) => x.startsWith('"{\\"type\\":') && x.includes('\\"data\\":{')),
          'the frame as a JSON string, in the dialect',
        );
      },
      'data',
    );
  });
});
