// The isolation oracle on its own: what it reports for a frame, given the ledger's claims.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CanaryCodec } from '../../src/core/canary.js';
import { IsolationOracle, type VerifiedIds } from '../../src/core/isolation-oracle.js';
import { OwnershipLedger } from '../../src/core/ownership-ledger.js';
import { UserDirectory } from '../../src/core/user-directory.js';
import type { Violation } from '../../src/core/violation.js';

function setup(): { oracle: IsolationOracle; ledger: OwnershipLedger; violations: Violation[]; alice: { userId: string; userIndex: number; cohort: string } } {
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

const frame = (threadId: string, runId: string) => ({ type: 'agent_thinking', userId: undefined, threadId, runId, messageId: undefined });

describe('IsolationOracle, frames of a run', () => {
  test('ids found to be the user\'s own are remembered on the run; a foreign id on a later frame of the same run is still reported', () => {
    const { oracle, violations, alice } = setup();
    const run: VerifiedIds = { verifiedThread: undefined, verifiedRun: undefined };
    assert.equal(oracle.checkFrame(alice, frame('thr-alice', 'run-alice'), '{}', run, true, 0), 0);
    assert.deepEqual(run, { verifiedThread: 'thr-alice', verifiedRun: 'run-alice' });
    assert.equal(oracle.checkFrame(alice, frame('thr-alice', 'run-alice'), '{}', run, true, 0), 0);
    assert.equal(oracle.checkFrame(alice, frame('thr-bob', 'run-alice'), '{}', run, true, 0), 1);
    assert.equal(oracle.checkFrame(alice, frame('thr-alice', 'run-bob'), '{}', run, true, 0), 1);
    assert.deepEqual(violations.map((v) => [v.kind, v.value]), [['foreign_thread', 'thr-bob'], ['foreign_run', 'run-bob']]);
    assert.deepEqual(run, { verifiedThread: 'thr-alice', verifiedRun: 'run-alice' }, 'foreign ids are never remembered as own');
  });

  test('an id nobody has claimed yet is not remembered: it is settled at the end', () => {
    const { oracle, ledger, violations, alice } = setup();
    const run: VerifiedIds = { verifiedThread: undefined, verifiedRun: undefined };
    oracle.checkFrame(alice, frame('thr-alice', 'run-new'), '{}', run, true, 0);
    assert.equal(run.verifiedRun, undefined);
    // Another user claims it later: the deferred sighting becomes a leak.
    ledger.claimRun('run-new', 2);
    oracle.finish();
    assert.deepEqual(violations.map((v) => [v.kind, v.value]), [['foreign_run', 'run-new']]);
  });
});
