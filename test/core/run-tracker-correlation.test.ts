// How RunTracker.correlate finds the open run a frame belongs to: by
// message_id, by a run_id it learned, by the oldest open run on a thread,
// or by the connection's only open run, and never by guessing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT } from '../../src/core/metric-names.js';
import { setup } from '../helpers/run-tracker-setup.js';

describe('RunTracker correlation', () => {
  test('by message_id', () => {
    const { tracker } = setup();
    const a = tracker.start('m1', 't1', 0, 1_000, 'agent_completed', 30_000);
    const b = tracker.start('m2', 't1', 0, 2_000, 'agent_completed', 30_000);
    assert.equal(tracker.correlate('m2', undefined, undefined, 0), b);
    assert.equal(tracker.correlate('m1', undefined, 't1', 0), a);
    assert.equal(tracker.correlate('m-unknown', undefined, undefined, 0), undefined);
  });

  test('by a run_id learned from an earlier event', () => {
    const { tracker } = setup();
    const a = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.start('m2', 't1', 0, 0, 'agent_completed', 30_000);
    assert.equal(tracker.correlate(undefined, 'r1', undefined, 0), undefined, 'run_id not learned yet, two runs open');
    assert.equal(tracker.correlate('m1', 'r1', undefined, 0), a);
    assert.equal(a.runId, 'r1');
    assert.equal(tracker.correlate(undefined, 'r1', undefined, 0), a);
    assert.equal(tracker.correlate(undefined, 'r1', undefined, 5), a, 'any connection of the user');
  });

  test('by thread: the oldest open run there', () => {
    const { tracker } = setup();
    const a = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    const b = tracker.start('m2', 't2', 0, 0, 'agent_completed', 30_000);
    const c = tracker.start('m3', 't2', 1, 0, 'agent_completed', 30_000);
    assert.equal(tracker.correlate(undefined, undefined, 't1', 1), a);
    assert.equal(tracker.correlate(undefined, undefined, 't2', 1), b);
    tracker.onEvent(b, EVENT.agent_completed, 10);
    assert.equal(tracker.correlate(undefined, undefined, 't2', 0), c, 'once the oldest ends, the next');
  });

  test('by thread also learns the run_id', () => {
    const { tracker } = setup();
    const a = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.start('m2', 't2', 0, 0, 'agent_completed', 30_000);
    assert.equal(tracker.correlate(undefined, 'r9', 't1', 0), a);
    assert.equal(tracker.correlate(undefined, 'r9', undefined, 0), a);
  });

  test("with no ids at all: the connection's only open run", () => {
    const { tracker } = setup();
    const a = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    const b = tracker.start('m2', 't2', 1, 0, 'agent_completed', 30_000);
    assert.equal(tracker.correlate(undefined, undefined, undefined, 0), a);
    assert.equal(tracker.correlate(undefined, undefined, undefined, 1), b);
    assert.equal(tracker.correlate(undefined, undefined, undefined, 2), undefined, 'no run on that connection');
    tracker.start('m3', 't3', 1, 0, 'agent_completed', 30_000);
    assert.equal(tracker.correlate(undefined, undefined, undefined, 1), undefined, 'two open runs: ambiguous');
  });

  test("an unknown run_id is not taken as the connection's only run", () => {
    const { tracker } = setup();
    tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    assert.equal(tracker.correlate(undefined, 'r-foreign', undefined, 0), undefined);
    assert.equal(tracker.correlate('m-foreign', undefined, undefined, 0), undefined);
  });

  test("an event naming another thread is not taken as the connection's only run", () => {
    const { tracker } = setup();
    const a = tracker.start('m1', 't-mine', 0, 0, 'agent_completed', 30_000);
    assert.equal(tracker.correlate(undefined, undefined, 't-someone-else', 0), undefined);
    assert.equal(a.outcome, undefined);
  });
});
