// Noise mode: a clean target that is hard to read. Read with raw clients on
// every transport: padded texts, own frames double-encoded, binary and in
// arrays, ownerless notices with random ids, the same frames on every tab,
// and never a byte of another user's data.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rest } from '../helpers/client.js';
import { openParty, openTab, readFrame, type Got, type Party } from '../helpers/raw-parties.js';
import { RUN_EVENT_TYPES } from '../helpers/run-events.js';
import { startTestTarget } from '../helpers/target.js';
import { COMMON_WORDS } from '../../src/target/common-words.js';
import type { AgentTiming } from '../../src/target/agent-presets.js';
import type { TargetTransport } from '../../src/target/transport-gateway.js';

/** Runs of about 0.6 s, so SSE streams are open across a few notices too. */
const STEADY: AgentTiming = {
  firstEventMs: [20, 50],
  thinkingSteps: [2, 3],
  thinkingMs: [10, 30],
  toolCalls: [0, 1],
  toolStartMs: [10, 30],
  toolMs: [10, 30],
  finalMs: [500, 700],
};
const USERS = 3;
const RUNS_PER_USER = 8;
const WORDS = new Set(COMMON_WORDS);

interface User {
  readonly tabs: Party[];
  readonly canary: string;
  readonly messages: string[];
}

const canaryWord = (): string => `kw${[...randomBytes(10)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;

describe('the word list noise pads with', () => {
  test('a few thousand distinct ordinary words, none like a canary', () => {
    assert.ok(COMMON_WORDS.length >= 3000, `${COMMON_WORDS.length} words`);
    assert.equal(WORDS.size, COMMON_WORDS.length, 'each word once');
    for (const w of COMMON_WORDS) {
      assert.match(w, /^[a-z]{2,}$/);
      assert.ok(!w.includes('zq'), `${w} holds the canary prefix`);
    }
  });
});

for (const transport of ['ws', 'sse', 'socketio'] as TargetTransport[]) {
  test(`noise over ${transport}: hard to read, and nothing of another user's`, async () => {
    const t = await startTestTarget({ transport, agent: STEADY, seed: 61, noise: true });
    const users: User[] = [];
    try {
      for (let i = 0; i < USERS; i++) {
        const canary = canaryWord();
        const first = await openParty(t, `notes on ${canary}`);
        const tabs = transport === 'sse' ? [first] : [first, await openTab(t, first)];
        users.push({ tabs, canary, messages: [] });
      }
      await Promise.all(
        users.map(async (u) => {
          for (let k = 0; k < RUNS_PER_USER; k++) {
            const m = `remind me what ${u.canary} said about lunch ${k}`;
            u.messages.push(m);
            await u.tabs[0]!.startRun(m, `${u.tabs[0]!.id}-m${k}`);
          }
        }),
      );
      const completed = (p: Party): number =>
        p
          .received()
          .map(readFrame)
          .filter((f) => f.type === 'agent_completed').length;
      const deadline = Date.now() + 15_000;
      while (!users.every((u) => u.tabs.every((p) => completed(p) === RUNS_PER_USER)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      for (const u of users)
        for (const p of u.tabs) assert.equal(completed(p), RUNS_PER_USER, 'every run completed on every tab');

      // Ids the target gave out, per user.
      const idsOf = (u: User): string[] => {
        const p = u.tabs[0]!;
        const runs = new Set(
          p
            .received()
            .map(readFrame)
            .filter((f) => RUN_EVENT_TYPES.has(f.type ?? ''))
            .map((f) => String(f.payload.run_id)),
        );
        return [p.id, p.threadId, ...runs, ...u.messages.map((_, k) => `${p.id}-m${k}`)];
      };
      const allIds = new Set(users.flatMap(idsOf));

      const forms = new Set<string>();
      let padded = 0;
      let recased = 0;
      let notices = 0;
      for (const u of users) {
        const me = u.tabs[0]!;
        const others = users.filter((o) => o !== u);
        for (const p of u.tabs) {
          const got: Got[] = p.received();
          for (const g of got) {
            // Nothing of another user: ids, user_id, canary (any case), message text.
            const lower = g.text.toLowerCase();
            for (const o of others) {
              for (const id of idsOf(o))
                assert.ok(!g.text.includes(id), `${me.id} got another user's id ${id}: ${g.text.slice(0, 300)}`);
              assert.ok(!lower.includes(o.canary), `${me.id} got another user's words: ${g.text.slice(0, 300)}`);
              for (const m of o.messages) assert.ok(!lower.includes(m.toLowerCase()), "another user's message text");
            }
            const f = readFrame(g);
            assert.notEqual(f.form, 'unreadable', `every frame can be read: ${g.text.slice(0, 200)}`);
            if (f.type === 'system_notice') {
              notices++;
              for (const key of ['user_id', 'thread_id', 'run_id'])
                assert.equal(f.payload[key], undefined, `a notice is ownerless (${key})`);
              assert.ok(
                Array.isArray(f.payload.related) && f.payload.related.length >= 2,
                'a notice carries random ids',
              );
              for (const id of f.payload.related as string[]) assert.ok(!allIds.has(id), `${id} is nobody's`);
              continue;
            }
            if (!RUN_EVENT_TYPES.has(f.type ?? '')) continue;
            assert.equal(f.payload.user_id, me.id, 'only own run events');
            assert.equal(f.payload.thread_id, me.threadId);
            forms.add(f.form);
            const text = f.payload.reasoning ?? f.payload.result;
            // Thoughts and answers end their sentence with a period; the padding follows it.
            if (typeof text !== 'string' || f.type === 'tool_completed') continue;
            const tail = text
              .slice(text.lastIndexOf('.') + 1)
              .trim()
              .split(' ');
            if (tail.length >= 6) {
              padded++;
              for (const w of tail)
                assert.ok(
                  WORDS.has(w.replace(/^[*_"(]+|[*_"),]+$/g, '').toLowerCase()),
                  `padding word "${w}" in ${text}`,
                );
              if (tail.some((w) => /[A-Z]/.test(w))) recased++;
            }
          }
        }
        if (u.tabs.length === 2) {
          const runTexts = (p: Party): string[] =>
            p
              .received()
              .filter((g) => RUN_EVENT_TYPES.has(readFrame(g).type ?? ''))
              .map((g) => `${g.binary ? 'b' : 't'}:${g.text}`);
          assert.deepEqual(
            runTexts(u.tabs[1]!),
            runTexts(u.tabs[0]!),
            'every tab of the owner gets the same frames, byte for byte',
          );
        }
      }
      const expected =
        transport === 'ws'
          ? ['array', 'binary', 'frame_string', 'payload_string', 'plain']
          : transport === 'sse'
            ? ['array', 'frame_string', 'payload_string', 'plain']
            : ['array', 'binary', 'payload_string', 'plain'];
      assert.deepEqual([...forms].sort(), expected, 'own frames in every form the transport has');
      assert.ok(padded >= USERS * RUNS_PER_USER, `texts padded with ordinary words (${padded})`);
      assert.ok(recased > 0, 'some padding words re-cased');
      assert.ok(notices >= USERS, `ownerless notices arrived (${notices})`);
      assert.deepEqual(t.leaks(), { total: 0, byFault: {} });
      assert.deepEqual((await rest(t.url, 'GET', '/auth/test-leaks')).json, { total: 0, byFault: {} });
    } finally {
      await Promise.all(users.flatMap((u) => u.tabs.map((p) => p.close())));
      await t.close();
    }
  });
}
