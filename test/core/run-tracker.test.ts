import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRunEventIndex, EVENT, RUN_EVENTS } from '../../src/core/metric-names.js';
import { MetricRegistry, type Counter, type Trend } from '../../src/core/metric-registry.js';
import {
  compileLifecycleGrammar,
  DEFAULT_LIFECYCLE,
  DEFAULT_LIFECYCLE_GRAMMAR,
} from '../../src/core/lifecycle-grammar.js';
import { LifecycleOracle } from '../../src/core/lifecycle-oracle.js';
import type { RunMetrics, RunRecord, RunWaitResult } from '../../src/core/run-record.js';
import { RunTracker } from '../../src/core/run-tracker.js';
import type { Violation } from '../../src/core/violation.js';

const COHORT = 'chatters';

/** The RunMetrics a cohort records into, built on a real registry. */
function makeMetrics(registry: MetricRegistry): RunMetrics {
  const tags = { cohort: COHORT };
  const events: Trend[] = RUN_EVENTS.map((e) => registry.trend(`run.${e}`, tags));
  const errors = new Map<string, Counter>();
  return {
    eventTrend: (event) => events[event],
    total: registry.trend('run.total', tags),
    gap: registry.trend('run.gap', tags),
    firstEvent: registry.trend('run.first_event', tags),
    firstContent: registry.trend('run.first_content', tags),
    contentGap: registry.trend('run.content_gap', tags),
    contentDeltas: registry.counter('run.content_deltas', tags),
    started: registry.counter('runs.started', tags),
    completed: registry.counter('runs.completed', tags),
    failed: registry.counter('runs.failed', tags),
    timedOut: registry.counter('runs.timed_out', tags),
    interrupted: registry.counter('runs.interrupted', tags),
    error(kind) {
      let c = errors.get(kind);
      if (!c) errors.set(kind, (c = registry.counter('errors', { cohort: COHORT, kind })));
      return c;
    },
    succeed(op) {
      registry.counter('operations.succeeded', { cohort: COHORT, op }).add();
    },
  };
}

function setup(): { registry: MetricRegistry; tracker: RunTracker } {
  const registry = new MetricRegistry();
  return { registry, tracker: new RunTracker(makeMetrics(registry)) };
}

/** Samples of trend `name`, in µs (HDR is exact below 2048 µs and within 0.1% above). */
function trend(registry: MetricRegistry, name: string): { count: number; min: number; max: number } {
  const t = registry.trend(name, { cohort: COHORT });
  return { count: t.hist.totalCount, min: t.hist.minNonZeroValue, max: t.hist.maxValue };
}

function counter(registry: MetricRegistry, name: string, tags: Record<string, string> = { cohort: COHORT }): number {
  return registry.counter(name, tags).value;
}

/** Resolves to 'pending' when `p` has not settled after the microtask queue drains. */
async function state<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

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

describe('RunTracker judging ended runs', () => {
  const rx = { userId: 'u-1', userIndex: 1, cohort: COHORT };
  const EVENTS = ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed'] as const;

  /** A tracker whose user judges with a real lifecycle oracle; `judged` lists the runs handed to the judge. */
  function judging(): { tracker: RunTracker; oracle: LifecycleOracle; violations: Violation[]; judged: string[] } {
    const violations: Violation[] = [];
    const oracle = new LifecycleOracle(DEFAULT_LIFECYCLE_GRAMMAR, (v) => violations.push(v));
    const judged: string[] = [];
    const tracker = new RunTracker(makeMetrics(new MetricRegistry()), {
      onTimedOut: () => undefined,
      onFailed: () => undefined,
      onFirstCompleted: () => undefined,
      onJudge: (rec) => {
        judged.push(rec.messageId);
        for (const st of rec.lc) if (st) oracle.finalize(st, rx, rec.messageId, 0);
      },
    });
    return { tracker, oracle, violations, judged };
  }

  /** What the per-frame path does: the tracker first, then the connection's lifecycle, then the release. */
  function deliver(t: ReturnType<typeof judging>, rec: RunRecord, type: string, seq: number, atUs: number): void {
    t.tracker.onEvent(rec, computeRunEventIndex(type), atUs);
    const st = (rec.lc[0] ??= LifecycleOracle.createState(false));
    t.oracle.observe(
      st,
      { type, event: computeRunEventIndex(type), seq, pairKey: undefined },
      rx,
      rec.messageId,
      '',
      0,
    );
    if (st.finalized && rec.outcome !== undefined) t.tracker.releaseJudged(rec);
  }

  test('a run whose seqs all arrived is judged at its terminal event and not held for the grace period', () => {
    const t = judging();
    const rec = t.tracker.start('m-1', 't1', 0, 0, 'agent_completed', 30_000);
    EVENTS.forEach((type, seq) => deliver(t, rec, type, seq, 1000 + seq));
    assert.equal(rec.lc[0]!.finalized, true);
    t.tracker.judgeEnded(10_000_000);
    assert.deepEqual(t.judged, [], 'nothing left to judge');
    // A late duplicate is still caught: the run is still findable by its message id.
    assert.equal(t.tracker.correlate('m-1', undefined, undefined, 0), rec);
    t.oracle.observe(
      rec.lc[0]!,
      { type: 'agent_thinking', event: EVENT.agent_thinking, seq: 1, pairKey: undefined },
      rx,
      'm-1',
      '',
      0,
    );
    assert.deepEqual(
      t.violations.map((v) => v.kind),
      ['duplicate_event'],
    );
  });

  test('a run with a seq missing at its end waits out the grace: an event reordered behind the end is out of order, not missing', () => {
    const t = judging();
    const rec = t.tracker.start('m-2', 't1', 0, 0, 'agent_completed', 30_000);
    // tool_completed (seq 3) comes after agent_completed (seq 4).
    for (const [type, seq] of [
      ['agent_started', 0],
      ['agent_thinking', 1],
      ['tool_executing', 2],
      ['agent_completed', 4],
    ] as const)
      deliver(t, rec, type, seq, 1000 + seq);
    assert.equal(rec.lc[0]!.finalized, false);
    deliver(t, rec, 'tool_completed', 3, 2000);
    t.tracker.judgeEnded(10_000_000);
    assert.deepEqual(t.judged, ['m-2']);
    assert.deepEqual(
      t.violations.map((v) => v.kind),
      ['out_of_order'],
    );
  });

  test('a run that ends with an event missing is reported as missing_event when it ends', () => {
    const t = judging();
    const rec = t.tracker.start('m-3', 't1', 0, 0, 'agent_completed', 30_000);
    deliver(t, rec, 'agent_started', 0, 1000);
    deliver(t, rec, 'agent_completed', 1, 2000);
    assert.deepEqual(
      t.violations.map((v) => [v.kind, v.kinds[0]?.value]),
      [['missing_event', 'agent_thinking']],
    );
    t.tracker.judgeEnded(10_000_000);
    assert.equal(t.violations.length, 1, 'judged once');
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
