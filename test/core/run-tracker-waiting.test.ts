// What a flow step waiting on a run sees: wait() wakes at the awaited event
// or the run's end, waitEnd() only at the end, settle() once no run is open;
// each resolves at once when what it waits for has already happened.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT } from '../../src/core/metric-names.js';
import type { RunWaitResult } from '../../src/core/run-record.js';
import { setup } from '../helpers/run-tracker-setup.js';

/** Resolves to 'pending' when `p` has not settled after the microtask queue drains. */
async function state<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('RunTracker waiting', () => {
  test('wait() resolves "awaited" at the awaited event, before the run ends', async () => {
    const { tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_started', 30_000);
    const waiting = tracker.wait(rec);
    tracker.onEvent(rec, EVENT.agent_thinking, 10);
    assert.equal(await state(waiting), 'pending', 'another event does not wake the step');
    tracker.onEvent(rec, EVENT.agent_started, 20);
    assert.deepEqual(await waiting, { outcome: 'awaited' });
    assert.equal(rec.outcome, undefined);
    assert.equal(tracker.openCount, 1);
  });

  test('wait() after the awaited event was seen resolves at once', async () => {
    const { tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_started', 30_000);
    tracker.onEvent(rec, EVENT.agent_started, 20);
    assert.deepEqual(await state(tracker.wait(rec)), { outcome: 'awaited' });
  });

  test('wait() ends early with the outcome when the run ends before the awaited event', async () => {
    const { tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'tool_completed', 30_000);
    const waiting = tracker.wait(rec);
    tracker.onEvent(rec, EVENT.agent_completed, 20);
    assert.deepEqual(await waiting, { outcome: 'completed' });
  });

  test('wait() on a run that already failed keeps the error code', async () => {
    const { tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onErrorFrame(rec, 'THREAD_NOT_FOUND');
    assert.deepEqual(await tracker.wait(rec), { outcome: 'failed', code: 'THREAD_NOT_FOUND' });
  });

  test('waitEnd() ignores the awaited event and resolves at the end', async () => {
    const { tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_started', 30_000);
    const ended = tracker.waitEnd(rec);
    tracker.onEvent(rec, EVENT.agent_started, 10);
    assert.equal(await state(ended), 'pending');
    tracker.onEvent(rec, EVENT.agent_completed, 30);
    assert.deepEqual(await ended, { outcome: 'completed' });
    assert.deepEqual(await state(tracker.waitEnd(rec)), { outcome: 'completed' }, 'after the end: at once');
  });

  test('settle() resolves once every open run has ended', async () => {
    const { tracker } = setup();
    assert.equal(await state(tracker.settle()), undefined, 'nothing open: at once');
    const a = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.start('m2', 't2', 0, 0, 'agent_completed', 1);
    const settled = tracker.settle();
    tracker.onEvent(a, EVENT.agent_completed, 10);
    assert.equal(await state(settled), 'pending', 'one run still open');
    tracker.expire(1000);
    assert.equal(await state(settled), undefined);
  });
});

// Make sure the helper above really distinguishes pending from settled.
test('state() helper tells pending from settled', async () => {
  assert.equal(await state(new Promise<RunWaitResult>(() => {})), 'pending');
  assert.deepEqual(await state(Promise.resolve({ outcome: 'awaited' as const })), { outcome: 'awaited' });
});
