// Which runs RunTracker keeps findable: recently ended ones (a few completed,
// more that ended badly, none older than 30 s), and every run while many are
// in flight at once, by message id, run id and thread alike.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT } from '../../src/core/metric-names.js';
import type { RunRecord } from '../../src/core/run-record.js';
import { setup, trend } from '../helpers/run-tracker-setup.js';

describe('RunTracker memory of ended runs', () => {
  test('late frames of a recently ended run still find it; runs ended over 30 s ago are forgotten', () => {
    const { tracker } = setup();
    const old = tracker.start('m-old', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onEvent(old, EVENT.agent_completed, 1_000_000);
    assert.equal(
      tracker.correlate('m-old', undefined, undefined, 0),
      old,
      "a late duplicate of a run that just ended is still this user's",
    );
    // The user runs again 40 s later: the first run is now too old to keep.
    const next = tracker.start('m-next', 't1', 0, 41_000_000, 'agent_completed', 30_000);
    tracker.onEvent(next, EVENT.agent_completed, 42_000_000);
    assert.equal(tracker.correlate('m-old', undefined, undefined, 0), undefined);
    assert.equal(tracker.correlate('m-next', undefined, undefined, 0), next);
  });

  test('of a fast loop, the last 2 completed runs are kept, and the last 16 that timed out, failed or were stopped', () => {
    const { tracker } = setup();
    const abnormal: RunRecord[] = [];
    for (let i = 0; i < 40; i++) {
      // Every other run ends badly: its late frames are the ones worth waiting for.
      const r = tracker.start(`m-fast-${i}`, 't1', 0, i * 1000, 'agent_completed', 30_000);
      if (i % 2 === 0) tracker.onEvent(r, EVENT.agent_completed, 500 + i * 1000);
      else if (i % 4 === 1) tracker.onErrorFrame(r, 'THREAD_NOT_FOUND');
      else tracker.onEvent(r, EVENT.agent_stopped, 500 + i * 1000);
      if (i % 2 === 1) abnormal.push(r);
    }
    assert.ok(tracker.correlate('m-fast-38', undefined, undefined, 0));
    assert.ok(tracker.correlate('m-fast-36', undefined, undefined, 0));
    assert.equal(
      tracker.correlate('m-fast-34', undefined, undefined, 0),
      undefined,
      'third completed run from the end',
    );
    assert.deepEqual(
      abnormal.map((r) => tracker.correlate(r.messageId, undefined, undefined, 0) === r),
      abnormal.map((_, i) => i >= abnormal.length - 16),
    );
  });

  test('many runs in flight at once (await: none) are each found by message id, run id and thread, during the burst and after it', () => {
    const { registry, tracker } = setup();
    const runs: RunRecord[] = [];
    for (let i = 0; i < 30; i++) runs.push(tracker.start(`m-${i}`, `t-${i % 3}`, 0, i * 10, 'agent_completed', 30_000));
    assert.equal(tracker.openCount, 30);
    for (let i = 0; i < 30; i++) {
      assert.equal(tracker.correlate(`m-${i}`, `run-${i}`, `t-${i % 3}`, 0), runs[i], `m-${i}`);
      tracker.onEvent(runs[i]!, EVENT.agent_started, 1_000 + i);
    }
    // Frames that carry only the run id, or only the thread (the oldest open run there).
    assert.equal(tracker.correlate(undefined, 'run-17', undefined, 0), runs[17]);
    assert.equal(tracker.correlate(undefined, undefined, 't-2', 0), runs[2]);
    assert.equal(tracker.correlate('m-nobody', 'run-nobody', undefined, 0), undefined);
    // They end in another order than they started.
    for (let i = 29; i >= 0; i -= 2) tracker.onEvent(runs[i]!, EVENT.agent_completed, 2_000 + i);
    assert.equal(tracker.openCount, 15);
    assert.equal(tracker.correlate(undefined, undefined, 't-2', 0), runs[2], 'the oldest still open on that thread');
    for (let i = 0; i < 30; i += 2) tracker.onEvent(runs[i]!, EVENT.agent_completed, 3_000 + i);
    assert.equal(tracker.openCount, 0);
    assert.equal(trend(registry, 'run.total').count, 30);
    // After the burst, the last 2 completed runs are still found by both ids, the rest are forgotten.
    assert.equal(tracker.correlate('m-28', undefined, undefined, 0), runs[28]);
    assert.equal(tracker.correlate(undefined, 'run-28', undefined, 0), runs[28]);
    assert.equal(tracker.correlate(undefined, 'run-26', undefined, 0), runs[26]);
    assert.equal(tracker.correlate('m-24', undefined, undefined, 0), undefined, 'completed third from last');
    assert.equal(tracker.correlate('m-1', undefined, undefined, 0), undefined);
    // And a run started after the burst is found as before.
    const next = tracker.start('m-next', 't-0', 0, 5_000, 'agent_completed', 30_000);
    assert.equal(tracker.correlate('m-next', 'run-next', undefined, 0), next);
    assert.equal(tracker.correlate(undefined, 'run-next', undefined, 0), next);
  });

  test('expire() times out every run past its deadline, however many are open', () => {
    const { tracker } = setup();
    const runs: RunRecord[] = [];
    for (let i = 0; i < 12; i++)
      runs.push(tracker.start(`m-${i}`, 't1', 0, 0, 'agent_completed', i % 2 === 0 ? 1_000 : 60_000));
    assert.equal(tracker.expire(2_000_000), 6);
    assert.deepEqual(
      runs.map((r) => r.outcome ?? 'open'),
      runs.map((_, i) => (i % 2 === 0 ? 'timed_out' : 'open')),
    );
    assert.equal(tracker.openCount, 6);
  });

  test('a run that timed out is kept from when it was given up, not from its last event', () => {
    const { tracker } = setup();
    const r = tracker.start('m-slow', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onEvent(r, EVENT.agent_started, 100_000);
    assert.equal(tracker.expire(30_000_000), 1);
    const other = tracker.start('m-other', 't2', 0, 31_000_000, 'agent_completed', 30_000);
    tracker.onEvent(other, EVENT.agent_completed, 32_000_000);
    assert.equal(tracker.correlate('m-slow', undefined, undefined, 0), r, 'its late frames are recognised');
  });
});
