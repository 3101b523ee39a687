// The isolation oracle on its own: what it reports for a frame, given the ledger's claims.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CanaryCodec } from '../../src/core/canary.js';
import { IsolationOracle } from '../../src/core/isolation-oracle.js';
import type { VerifiedIds } from '../../src/core/isolation-types.js';
import { OwnershipLedger } from '../../src/core/ownership-ledger.js';
import { UserDirectory } from '../../src/core/user-directory.js';
import type { Violation } from '../../src/core/violation.js';

function setup(): {
  oracle: IsolationOracle;
  ledger: OwnershipLedger;
  violations: Violation[];
  alice: { userId: string; userIndex: number; cohort: string };
} {
  const directory = new UserDirectory({ prefix: 'u', runTag: 'ab12cd' }, ['chatters'], [0]);
  const ledger = new OwnershipLedger(directory);
  const violations: Violation[] = [];
  const oracle = new IsolationOracle(ledger, new CanaryCodec('ab12cd'), (v) => violations.push(v));
  for (const n of [1, 2]) ledger.registerUser(directory.userId(0, n), directory.numberOf(0, n));
  const alice = { userId: directory.userId(0, 1), userIndex: directory.numberOf(0, 1), cohort: 'chatters' };
  ledger.claimThread('thr-alice', alice.userIndex);
  ledger.claimRun('run-alice', alice.userIndex);
  ledger.claimThread('thr-bob', directory.numberOf(0, 2));
  ledger.claimRun('run-bob', directory.numberOf(0, 2));
  return { oracle, ledger, violations, alice };
}

const frame = (threadId: string, runId: string) => ({
  type: 'agent_thinking',
  userId: undefined,
  threadId,
  runId,
  messageId: undefined,
});

describe('IsolationOracle, frames of a run', () => {
  test("ids found to be the user's own are remembered on the run; a foreign id on a later frame of the same run is still reported", () => {
    const { oracle, violations, alice } = setup();
    const run: VerifiedIds = { verifiedThread: undefined, verifiedRun: undefined };
    assert.equal(oracle.checkFrame(alice, frame('thr-alice', 'run-alice'), '{}', run, true, 0), 0);
    assert.deepEqual(run, { verifiedThread: 'thr-alice', verifiedRun: 'run-alice' });
    assert.equal(oracle.checkFrame(alice, frame('thr-alice', 'run-alice'), '{}', run, true, 0), 0);
    assert.equal(oracle.checkFrame(alice, frame('thr-bob', 'run-alice'), '{}', run, true, 0), 1);
    assert.equal(oracle.checkFrame(alice, frame('thr-alice', 'run-bob'), '{}', run, true, 0), 1);
    assert.deepEqual(
      violations.map((v) => [v.kind, v.kinds[0]!.value]),
      [
        ['foreign_thread', 'thr-bob'],
        ['foreign_run', 'run-bob'],
      ],
    );
    assert.deepEqual(
      run,
      { verifiedThread: 'thr-alice', verifiedRun: 'run-alice' },
      'foreign ids are never remembered as own',
    );
  });

  test('an id nobody has claimed yet is not remembered: it is settled at the end', () => {
    const { oracle, ledger, violations, alice } = setup();
    const run: VerifiedIds = { verifiedThread: undefined, verifiedRun: undefined };
    oracle.checkFrame(alice, frame('thr-alice', 'run-new'), '{}', run, true, 0);
    assert.equal(run.verifiedRun, undefined);
    // Another user claims it later: the deferred sighting becomes a leak.
    ledger.claimRun('run-new', 2);
    oracle.finish();
    assert.deepEqual(
      violations.map((v) => [v.kind, v.kinds[0]!.value]),
      [['foreign_run', 'run-new']],
    );
  });
});

describe('IsolationOracle, one violation per leaked frame', () => {
  const bobCanary = (): string => new CanaryCodec('ab12cd').encode(2, 0);

  test('a frame naming another user, their thread, their run and carrying their canary is one violation with every reason', () => {
    const { oracle, violations, alice } = setup();
    const f = { type: 'agent_thinking', userId: 'u-bob', threadId: 'thr-bob', runId: 'run-bob', messageId: undefined };
    assert.equal(oracle.checkFrame(alice, f, `{"reasoning":"${bobCanary()}"}`, undefined, true, 5), 1);
    assert.equal(violations.length, 1);
    const v = violations[0]!;
    assert.equal(v.kind, 'foreign_user_id', 'the first reason names the line');
    assert.deepEqual(
      v.kinds.map((k) => [k.kind, k.field]),
      [
        ['foreign_user_id', 'user_id'],
        ['foreign_thread', 'thread_id'],
        ['foreign_run', 'run_id'],
        ['foreign_canary', 'canary'],
      ],
    );
    assert.ok(
      v.kinds.slice(1).every((k) => k.owner !== undefined && k.owner !== alice.userId),
      'each reason names the owner it points to',
    );
    assert.equal(typeof v.id, 'string');
  });

  test('a clean frame costs nothing: no violation, nothing kept', () => {
    const { oracle, violations, alice } = setup();
    assert.equal(oracle.checkFrame(alice, frame('thr-alice', 'run-alice'), '{}', undefined, true, 0), 0);
    assert.deepEqual(oracle.takePending().pending, []);
    assert.deepEqual(violations, []);
  });

  test('two unknown ids of one frame that both settle as foreign make one violation with both reasons', () => {
    const { oracle, ledger, violations, alice } = setup();
    oracle.checkFrame(alice, frame('thr-new', 'run-new'), '{"x":1}', undefined, true, 7);
    assert.equal(violations.length, 0, 'nothing is known yet');
    ledger.claimThread('thr-new', 2);
    ledger.claimRun('run-new', 2);
    oracle.finish();
    assert.equal(violations.length, 1);
    assert.deepEqual(
      violations[0]!.kinds.map((k) => k.kind),
      ['foreign_thread', 'foreign_run'],
    );
    assert.equal(violations[0]!.atMs, 7, 'the time the frame arrived');
  });

  test('an unknown id of a frame that is a violation already adds its reason to that frame, not a second violation', () => {
    const { ledger, alice } = setup();
    const violations: Violation[] = [];
    const amended: Array<[string, string[], string[]]> = [];
    const oracle = new IsolationOracle(ledger, new CanaryCodec('ab12cd'), (v) => violations.push(v), {
      idPrefix: 'w1.',
      amend: (id, _c, reasons, fresh) => amended.push([id, reasons.map((r) => r.kind), [...fresh]]),
    });
    // The frame's user_id gives it away now; its run id is settled only at the end.
    oracle.checkFrame(
      alice,
      { type: 'agent_thinking', userId: 'u-bob', threadId: undefined, runId: 'run-late', messageId: undefined },
      '{}',
      undefined,
      true,
      1,
    );
    assert.equal(violations.length, 1);
    assert.ok(violations[0]!.id!.startsWith('w1.'));
    ledger.claimRun('run-late', 2);
    oracle.finish();
    assert.equal(violations.length, 1, 'still one violation');
    assert.deepEqual(amended, [[violations[0]!.id!, ['foreign_run'], ['foreign_run']]]);
  });

  test('ids still unknown at the end are handed on with their frame, so a merge settles them the same way', () => {
    const { oracle, alice } = setup();
    oracle.checkFrame(alice, frame('thr-x', 'run-x'), '{}', undefined, true, 1);
    const rest = oracle.finish();
    assert.equal(oracle.unattributed, 2);
    assert.equal(rest.length, 2);
    assert.equal(rest[0]!.frameId, rest[1]!.frameId, 'both point at the same frame');
    assert.equal(rest[0]!.reported, undefined, 'which is no violation yet');
  });

  test('a listing with two foreign threads and a foreign canary is one violation', () => {
    const { oracle, violations, alice } = setup();
    oracle.checkListing(
      alice,
      [{ id: 'thr-alice' }, { id: 'thr-bob' }, { id: 'thr-bob' }],
      `[{"title":"${bobCanary()}"}]`,
      3,
      'list_threads',
    );
    assert.equal(violations.length, 1);
    assert.deepEqual(
      violations[0]!.kinds.map((k) => k.kind),
      ['rest_foreign_listing', 'rest_foreign_listing', 'foreign_canary'],
    );
    assert.equal(violations[0]!.op, 'list_threads');
  });
});

describe('IsolationOracle, ids anywhere (foreign_reference)', () => {
  /** A ledger with ids of the length real backends use (the short ones above are below the id floor). */
  function withIds() {
    const s = setup();
    const bob = s.alice.userIndex + 1;
    s.ledger.claimThread('thr_4d0d40b3aa11', s.alice.userIndex);
    s.ledger.claimThread('thr_9f9f0000bb22', bob);
    s.ledger.claimRun('3f2a9c1e-77d0-4b9a-9e1b-0c5d2a6b8e10', bob);
    return { ...s, bob };
  }
  const own = {
    type: 'agent_thinking',
    userId: undefined,
    threadId: 'thr_4d0d40b3aa11',
    runId: undefined,
    messageId: undefined,
  };

  test("another user's thread in a URL, their run in a nested list: one violation, a reason each", () => {
    const { oracle, violations, alice } = withIds();
    const text = JSON.stringify({
      type: 'agent_thinking',
      payload: {
        thread_id: 'thr_4d0d40b3aa11',
        reasoning: 'see https://app.example/threads/thr_9f9f0000bb22#m2',
        cites: [['x', { id: '3f2a9c1e-77d0-4b9a-9e1b-0c5d2a6b8e10' }]],
      },
    });
    assert.equal(oracle.checkFrame(alice, own, text, undefined, true, 0), 1);
    assert.deepEqual(
      violations[0]!.kinds.map((k) => [k.kind, k.field, k.value]),
      [
        ['foreign_reference', 'thread', 'thr_9f9f0000bb22'],
        ['foreign_reference', 'run', '3f2a9c1e-77d0-4b9a-9e1b-0c5d2a6b8e10'],
      ],
    );
  });

  test("inside a double-encoded payload the id is still found; the user's own ids and longer words that contain an id are not leaks", () => {
    const { oracle, violations, alice } = withIds();
    const inner = JSON.stringify({ thread_id: 'thr_9f9f0000bb22' });
    assert.equal(oracle.checkFrame(alice, own, JSON.stringify({ type: 'x', payload: inner }), undefined, true, 0), 1);
    assert.equal(
      oracle.checkFrame(
        alice,
        own,
        '{"reasoning":"thr_4d0d40b3aa11 and xthr_9f9f0000bb22 and thr_9f9f0000bb22x"}',
        undefined,
        true,
        0,
      ),
      0,
    );
    assert.equal(violations.length, 1);
  });

  test("an id named by an owner field is judged there once, not again as a reference; another user's message id is one", () => {
    const { oracle, violations, alice, bob } = withIds();
    const f = { ...own, threadId: 'thr_9f9f0000bb22' };
    assert.equal(oracle.checkFrame(alice, f, '{"thread_id":"thr_9f9f0000bb22"}', undefined, true, 0), 1);
    assert.deepEqual(
      violations[0]!.kinds.map((k) => k.kind),
      ['foreign_thread'],
    );
    assert.equal(oracle.checkText(alice, `["quoted m-ab12cd-${bob}-7 here"]`, 0), 1);
    assert.deepEqual(
      violations[1]!.kinds.map((k) => [k.kind, k.field]),
      [['foreign_reference', 'message']],
    );
  });

  test("a run cited before its owner's frame was read is settled at the end: a leak if another user claims it, nothing if nobody does", () => {
    const { oracle, ledger, violations, alice, bob } = withIds();
    // Bob's next run, shaped like his first (a uuid), reaches Alice before Bob's own frame taught the ledger its id.
    const early = '9b1d7e20-41c3-4f6a-8e2d-5a7c3b9d1f44';
    const nobody = '0c4e8a12-6b3f-4d21-9a7e-1f2b3c4d5e6f';
    assert.equal(
      oracle.checkFrame(
        alice,
        own,
        JSON.stringify({ type: 'agent_thinking', payload: { reasoning: `as in run ${early} and ${nobody}` } }),
        undefined,
        true,
        5,
      ),
      0,
    );
    // A token that is not shaped like any run id (no dashes where a uuid has them) is never kept.
    assert.equal(oracle.checkText(alice, 'order 20261205-0930-77 shipped', 6), 0);
    ledger.claimRun(early, bob);
    assert.deepEqual(oracle.finish(), []);
    assert.equal(violations.length, 1);
    assert.deepEqual(
      violations[0]!.kinds.map((k) => [k.kind, k.field, k.value]),
      [['foreign_reference', 'run', early]],
    );
    assert.equal(violations[0]!.atMs, 5);
    // The unclaimed token was only text: not counted as an unattributed id.
    assert.equal(oracle.unattributed, 0);
  });

  test("a run-shaped token later claimed by the receiver itself, or named by the frame's own run field, is no leak", () => {
    const { oracle, ledger, violations, alice } = withIds();
    const mine = '7e6d5c4b-3a29-4817-9f0e-d1c2b3a4f5e6';
    const field = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    assert.equal(
      oracle.checkFrame(
        alice,
        { ...own, runId: field },
        JSON.stringify({ run_id: field, note: `retrying ${mine}` }),
        undefined,
        true,
        0,
      ),
      0,
    );
    ledger.claimRun(mine, alice.userIndex);
    ledger.claimRun(field, alice.userIndex);
    oracle.finish();
    assert.equal(violations.length, 0);
  });

  test('unreadable text and REST error bodies get the same scan', () => {
    const { oracle, violations, alice } = withIds();
    assert.equal(oracle.checkText(alice, 'not json at all: thr_9f9f0000bb22', 0), 1);
    assert.equal(
      oracle.checkBody(alice, '{"error":{"code":"NOT_FOUND","thread":"thr_9f9f0000bb22"}}', 0, 'get_thread'),
      1,
    );
    assert.deepEqual(
      violations.map((v) => v.channel),
      ['ws', 'rest'],
    );
  });
});
