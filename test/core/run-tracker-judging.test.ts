// When RunTracker hands an ended run to the user's lifecycle judge: at once
// when every seq arrived, after the grace period when one is missing (so an
// event reordered behind the end is out of order, not missing).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIFECYCLE_GRAMMAR } from '../../src/core/lifecycle-grammar.js';
import { LifecycleOracle } from '../../src/core/lifecycle-oracle.js';
import { computeRunEventIndex, EVENT } from '../../src/core/metric-names.js';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import type { RunRecord } from '../../src/core/run-record.js';
import { RunTracker } from '../../src/core/run-tracker.js';
import type { Violation } from '../../src/core/violation.js';
import { COHORT, makeMetrics } from '../helpers/run-tracker-setup.js';

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
