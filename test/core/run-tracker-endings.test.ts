// How RunTracker ends a run and what it records: per-event latencies and the
// largest gap, the outcome of each terminal event, error frames, deadlines,
// abandonment, the ends a lifecycle grammar names, and the succeeded
// send_message operations and first completed run a user is told of.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLifecycleGrammar, DEFAULT_LIFECYCLE } from '../../src/core/lifecycle-grammar.js';
import { computeRunEventIndex, EVENT } from '../../src/core/metric-names.js';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { RunTracker } from '../../src/core/run-tracker.js';
import { COHORT, counter, makeMetrics, setup, trend } from '../helpers/run-tracker-setup.js';

describe('RunTracker latency and outcomes', () => {
  test('run.<event> is the first arrival minus the send, in µs', () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 1_000_000, 'agent_completed', 30_000);
    tracker.onEvent(rec, EVENT.agent_started, 1_000_150);
    tracker.onEvent(rec, EVENT.agent_started, 1_000_900); // a second tab: not timed again
    tracker.onEvent(rec, EVENT.agent_thinking, 1_001_200);
    tracker.onEvent(rec, EVENT.agent_thinking, 1_001_500);
    tracker.onEvent(rec, EVENT.agent_completed, 1_002_000);
    assert.deepEqual(trend(registry, 'run.agent_started'), { count: 1, min: 150, max: 150 });
    assert.deepEqual(trend(registry, 'run.agent_thinking'), { count: 1, min: 1200, max: 1200 });
    assert.deepEqual(trend(registry, 'run.agent_completed'), { count: 1, min: 2000, max: 2000 });
    assert.deepEqual(trend(registry, 'run.total'), { count: 1, min: 2000, max: 2000 });
    assert.equal(trend(registry, 'run.tool_executing').count, 0);
  });

  test('run.gap is the largest gap between consecutive events, not counting the send', () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onEvent(rec, EVENT.agent_started, 1500); // 1500 after the send: not a gap
    tracker.onEvent(rec, EVENT.agent_thinking, 1800); // 300
    tracker.onEvent(rec, EVENT.tool_executing, 2500); // 700
    tracker.onEvent(rec, EVENT.agent_completed, 2600); // 100
    assert.deepEqual(trend(registry, 'run.gap'), { count: 1, min: 700, max: 700 });
  });

  test('a run with only its terminal event records run.total but no gap', () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onEvent(rec, EVENT.agent_completed, 900);
    assert.equal(trend(registry, 'run.total').count, 1);
    assert.equal(trend(registry, 'run.gap').count, 0);
  });

  test('agent_completed: completed; counters started/completed', async () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    assert.equal(counter(registry, 'runs.started'), 1);
    assert.equal(tracker.openCount, 1);
    tracker.onEvent(rec, EVENT.agent_completed, 500);
    assert.equal(rec.outcome, 'completed');
    assert.equal(tracker.openCount, 0);
    assert.equal(counter(registry, 'runs.completed'), 1);
    assert.equal(counter(registry, 'runs.failed'), 0);
    assert.deepEqual(await tracker.wait(rec), { outcome: 'completed' });
  });

  test('agent_error: failed, and errors{kind: agent_error}', async () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    const waiting = tracker.wait(rec);
    tracker.onEvent(rec, EVENT.agent_started, 100);
    tracker.onEvent(rec, EVENT.agent_error, 400);
    assert.deepEqual(await waiting, { outcome: 'failed', code: 'agent_error' });
    assert.equal(rec.outcome, 'failed');
    assert.equal(counter(registry, 'runs.failed'), 1);
    assert.equal(counter(registry, 'runs.completed'), 0);
    assert.equal(counter(registry, 'errors', { cohort: COHORT, kind: 'agent_error' }), 1);
    assert.deepEqual(trend(registry, 'run.agent_error'), { count: 1, min: 400, max: 400 });
    assert.deepEqual(trend(registry, 'run.total'), { count: 1, min: 400, max: 400 });
  });

  test('agent_stopped: stopped, counted as completed', async () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    const ended = tracker.waitEnd(rec);
    tracker.onEvent(rec, EVENT.agent_stopped, 300);
    assert.deepEqual(await ended, { outcome: 'stopped' });
    assert.equal(counter(registry, 'runs.completed'), 1);
  });

  test('an error frame fails the run with its code and errors{kind: run_error}', async () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    const waiting = tracker.wait(rec);
    tracker.onErrorFrame(rec, 'THREAD_NOT_FOUND');
    assert.deepEqual(await waiting, { outcome: 'failed', code: 'THREAD_NOT_FOUND' });
    assert.equal(counter(registry, 'errors', { cohort: COHORT, kind: 'run_error' }), 1);
    assert.equal(counter(registry, 'runs.failed'), 1);
    assert.equal(trend(registry, 'run.total').count, 0, 'no latency for a refused message');
  });

  test('expire(nowUs): runs past their deadline time out, others stay open', async () => {
    const { registry, tracker } = setup();
    const a = tracker.start('m1', 't1', 0, 1_000_000, 'agent_completed', 5_000); // deadline 6 000 000 µs
    const b = tracker.start('m2', 't2', 0, 2_000_000, 'agent_completed', 5_000); // deadline 7 000 000 µs
    const waiting = tracker.wait(a);
    assert.equal(tracker.expire(5_999_999), 0);
    assert.equal(a.outcome, undefined);
    assert.equal(tracker.expire(6_000_000), 1);
    assert.equal(a.outcome, 'timed_out');
    assert.equal(b.outcome, undefined);
    assert.deepEqual(await waiting, { outcome: 'timed_out' });
    assert.equal(counter(registry, 'runs.timed_out'), 1);
    assert.equal(counter(registry, 'errors', { cohort: COHORT, kind: 'timeout' }), 1);
    assert.equal(tracker.expire(6_500_000), 0);
    assert.equal(tracker.expire(7_000_000), 1);
    assert.equal(counter(registry, 'runs.timed_out'), 2);
  });

  test("late events after the end are ignored but still recognised as the user's own", () => {
    const { registry, tracker } = setup();
    const rec = tracker.start('m1', 't1', 0, 0, 'agent_completed', 1);
    tracker.expire(1000);
    assert.equal(tracker.correlate('m1', undefined, undefined, 0), rec, "still this user's run");
    tracker.onEvent(rec, EVENT.agent_started, 5000);
    tracker.onEvent(rec, EVENT.agent_completed, 6000);
    assert.equal(rec.outcome, 'timed_out');
    assert.equal(trend(registry, 'run.agent_started').count, 0);
    assert.equal(trend(registry, 'run.total').count, 0);
    assert.equal(counter(registry, 'runs.completed'), 0);

    const done = tracker.start('m2', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onEvent(done, EVENT.agent_completed, 100);
    tracker.onEvent(done, EVENT.agent_completed, 200); // duplicate
    tracker.onEvent(done, EVENT.agent_error, 300);
    assert.equal(done.outcome, 'completed');
    assert.equal(trend(registry, 'run.total').count, 1);
    assert.equal(counter(registry, 'runs.completed'), 1);
    assert.equal(counter(registry, 'runs.failed'), 0);
  });

  test('abandonAll ends every open run with the given outcome and kind', () => {
    const { registry, tracker } = setup();
    const a = tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    const b = tracker.start('m2', 't1', 1, 0, 'agent_completed', 30_000);
    tracker.abandonAll('failed', 'disconnected');
    assert.equal(a.outcome, 'failed');
    assert.equal(b.outcome, 'failed');
    assert.equal(counter(registry, 'runs.failed'), 2);
    assert.equal(counter(registry, 'errors', { cohort: COHORT, kind: 'disconnected' }), 2);
    const c = tracker.start('m3', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.abandonAll('interrupted');
    assert.equal(c.outcome, 'interrupted');
    assert.equal(counter(registry, 'runs.interrupted'), 1);
    assert.equal(tracker.openCount, 0);
  });

  test('last is the most recently started run', () => {
    const { tracker } = setup();
    assert.equal(tracker.last, undefined);
    tracker.start('m1', 't1', 0, 0, 'agent_completed', 30_000);
    const b = tracker.start('m2', 't1', 0, 0, 'agent_completed', 30_000);
    assert.equal(tracker.last, b);
  });
});

describe('RunTracker ends runs where the lifecycle grammar says', () => {
  test("protocol.md's: completed, error and stopped end a run, each with its outcome; a thought after a tool does not", () => {
    const { registry, tracker } = setup();
    const outcomes = ['agent_completed', 'agent_error', 'agent_stopped'].map((end, i) => {
      const r = tracker.start(`m-${i}`, 't1', 0, 0, 'agent_completed', 30_000);
      for (const type of ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_thinking', end])
        tracker.onEvent(r, computeRunEventIndex(type), 1000);
      return r.outcome;
    });
    assert.deepEqual(outcomes, ['completed', 'failed', 'stopped']);
    assert.equal(counter(registry, 'errors', { cohort: COHORT, kind: 'agent_error' }), 1);
  });

  test("a scenario's grammar: an event it does not list as an end leaves the run open, one it lists as failed fails it", () => {
    const g = compileLifecycleGrammar({
      ...DEFAULT_LIFECYCLE,
      end: { completed: ['agent_completed'], failed: ['agent_error', 'agent_stopped'], stopped: [] },
    });
    const tracker = new RunTracker(makeMetrics(new MetricRegistry()), undefined, g);
    const r = tracker.start('m-1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onEvent(r, EVENT.agent_started, 1000);
    tracker.onEvent(r, EVENT.agent_stopped, 2000);
    assert.deepEqual([r.outcome, r.code], ['failed', 'agent_error']);
    const noStop = compileLifecycleGrammar({ ...DEFAULT_LIFECYCLE, end: { ...DEFAULT_LIFECYCLE.end, stopped: [] } });
    const t2 = new RunTracker(makeMetrics(new MetricRegistry()), undefined, noStop);
    const r2 = t2.start('m-2', 't1', 0, 0, 'agent_completed', 30_000);
    t2.onEvent(r2, EVENT.agent_stopped, 1000);
    assert.equal(r2.outcome, undefined, 'still open: the grammar does not end a run there');
  });
});

describe('RunTracker coverage', () => {
  test('a completed or stopped run is a send_message that succeeded; the first completed run is announced once', () => {
    const registry = new MetricRegistry();
    let firsts = 0;
    const tracker = new RunTracker(makeMetrics(registry), {
      onTimedOut: () => undefined,
      onFailed: () => undefined,
      onJudge: () => undefined,
      onFirstCompleted: () => {
        firsts++;
      },
    });
    const a = tracker.start('m-1', 't1', 0, 0, 'agent_completed', 30_000);
    tracker.onEvent(a, EVENT.agent_started, 10);
    tracker.onErrorFrame(a, 'THREAD_NOT_FOUND');
    assert.equal(firsts, 0, 'a failed run completes nothing');
    for (const [id, end] of [
      ['m-2', EVENT.agent_completed],
      ['m-3', EVENT.agent_stopped],
      ['m-4', EVENT.agent_completed],
    ] as const) {
      const r = tracker.start(id, 't1', 0, 0, 'agent_completed', 30_000);
      tracker.onEvent(r, EVENT.agent_started, 10);
      tracker.onEvent(r, end, 20);
    }
    assert.equal(firsts, 1);
    assert.equal(registry.counter('operations.succeeded', { cohort: COHORT, op: 'send_message' }).value, 3);
  });
});
