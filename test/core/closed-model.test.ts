import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeClosedPlan, computeTargetUsersAt, type SlotInterval } from '../../src/core/closed-model.js';
import type { ClosedModel } from '../../src/core/scenario-types.js';

/** A closed model from [durationMs, users] pairs. */
function closed(startUsers: number, stages: Array<[number, number]>): ClosedModel {
  return {
    kind: 'closed',
    startUsers,
    stages: stages.map(([durationMs, users]) => ({ durationMs, users })),
    gracefulRampDownMs: 0,
  };
}

/** The intervals of one slot, in start order. */
function slotIntervals(intervals: readonly SlotInterval[], slot: number): Array<[number, number]> {
  return intervals.filter((i) => i.slot === slot).map((i) => [i.startMs, i.stopMs]);
}

/** How many slots are active at `t` (start inclusive, stop exclusive). */
function activeAt(intervals: readonly SlotInterval[], t: number): number {
  return intervals.filter((i) => i.startMs <= t && t < i.stopMs).length;
}

// The flagship's chatters: ramp 0→15 over 10 s, hold 60 s, ramp down to 0 over 10 s.
const flagship = closed(0, [
  [10_000, 15],
  [60_000, 15],
  [10_000, 0],
]);

describe('computeClosedPlan', () => {
  test('ramp up: slot i starts at round(10000·i/15)', () => {
    const plan = computeClosedPlan(flagship);
    assert.equal(plan.intervals.length, 15);
    for (let i = 0; i < 15; i++) {
      assert.equal(slotIntervals(plan.intervals, i)[0]?.[0], Math.round((10_000 * i) / 15), `slot ${i} start`);
    }
    // Spot checks of the rounding, written out.
    assert.deepEqual(
      plan.intervals.slice(0, 4).map((i) => [i.slot, i.startMs]),
      [
        [0, 0],
        [1, 667],
        [2, 1333],
        [3, 2000],
      ],
    );
    assert.equal(slotIntervals(plan.intervals, 14)[0]?.[0], 9333);
  });

  test('ramp down: the highest slot stops first, slot i at t0 + d·(from−i)/(from−to)', () => {
    const plan = computeClosedPlan(flagship);
    for (let i = 0; i < 15; i++) {
      const expected = Math.round(70_000 + (10_000 * (15 - i)) / 15);
      assert.equal(slotIntervals(plan.intervals, i)[0]?.[1], expected, `slot ${i} stop`);
    }
    assert.equal(slotIntervals(plan.intervals, 14)[0]?.[1], 70_667);
    assert.equal(slotIntervals(plan.intervals, 0)[0]?.[1], 80_000);
    const stopOrder = [...plan.intervals].sort((a, b) => a.stopMs - b.stopMs).map((i) => i.slot);
    assert.deepEqual(stopOrder, [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  test('reports the total duration and the peak number of users', () => {
    const plan = computeClosedPlan(flagship);
    assert.equal(plan.durationMs, 80_000);
    assert.equal(plan.maxUsers, 15);
  });

  test('intervals come sorted by start time', () => {
    const plan = computeClosedPlan(
      closed(0, [
        [1000, 4],
        [1000, 2],
        [1000, 4],
        [1000, 4],
      ]),
    );
    const starts = plan.intervals.map((i) => i.startMs);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
  });

  test('shorthand (users with duration): every user runs from 0 to the end', () => {
    const plan = computeClosedPlan(closed(5, [[10_000, 5]]));
    assert.deepEqual(
      plan.intervals.map((i) => [i.slot, i.startMs, i.stopMs]),
      [
        [0, 0, 10_000],
        [1, 0, 10_000],
        [2, 0, 10_000],
        [3, 0, 10_000],
        [4, 0, 10_000],
      ],
    );
    assert.equal(plan.maxUsers, 5);
    assert.equal(plan.durationMs, 10_000);
  });

  test('a stage with duration 0 jumps: up at once, and down at once', () => {
    const up = computeClosedPlan(
      closed(0, [
        [0, 3],
        [1000, 3],
      ]),
    );
    assert.deepEqual(
      up.intervals.map((i) => [i.slot, i.startMs, i.stopMs]),
      [
        [0, 0, 1000],
        [1, 0, 1000],
        [2, 0, 1000],
      ],
    );
    assert.equal(up.durationMs, 1000);

    const down = computeClosedPlan(
      closed(4, [
        [1000, 4],
        [0, 1],
        [1000, 1],
      ]),
    );
    assert.deepEqual(
      down.intervals.map((i) => [i.slot, i.startMs, i.stopMs]),
      [
        [0, 0, 2000],
        [1, 0, 1000],
        [2, 0, 1000],
        [3, 0, 1000],
      ],
    );
    assert.equal(down.maxUsers, 4);
  });

  test('ramp down then up again: a slot appears twice', () => {
    const plan = computeClosedPlan(
      closed(0, [
        [1000, 4],
        [1000, 2],
        [1000, 4],
        [1000, 4],
      ]),
    );
    assert.deepEqual(slotIntervals(plan.intervals, 0), [[0, 4000]]);
    assert.deepEqual(slotIntervals(plan.intervals, 1), [[250, 4000]]);
    assert.deepEqual(slotIntervals(plan.intervals, 2), [
      [500, 2000],
      [2000, 4000],
    ]);
    assert.deepEqual(slotIntervals(plan.intervals, 3), [
      [750, 1500],
      [2500, 4000],
    ]);
    assert.equal(plan.intervals.length, 6);
    assert.equal(plan.maxUsers, 4);
  });

  test('maxUsers is the peak over every stage, not the last one', () => {
    const plan = computeClosedPlan(
      closed(3, [
        [7000, 11],
        [3000, 0],
        [5000, 6],
      ]),
    );
    assert.equal(plan.maxUsers, 11);
    assert.equal(plan.durationMs, 15_000);
  });

  test('the plan agrees with computeTargetUsersAt at every sampled time', () => {
    for (const model of [
      flagship,
      closed(0, [
        [1000, 4],
        [1000, 2],
        [1000, 4],
        [1000, 4],
      ]),
      closed(3, [
        [7000, 11],
        [3000, 0],
        [5000, 6],
      ]),
    ]) {
      const plan = computeClosedPlan(model);
      for (let t = 0.25; t < plan.durationMs; t += 37) {
        assert.equal(
          activeAt(plan.intervals, t),
          Math.ceil(computeTargetUsersAt(model, t) - 1e-9),
          `active users at ${t} ms`,
        );
      }
    }
  });
});

describe('computeTargetUsersAt', () => {
  test('follows the linear ramp, unrounded', () => {
    assert.equal(computeTargetUsersAt(flagship, 0), 0);
    assert.equal(computeTargetUsersAt(flagship, 2000), 3);
    assert.equal(computeTargetUsersAt(flagship, 5000), 7.5);
    assert.equal(computeTargetUsersAt(flagship, 10_000), 15);
    assert.equal(computeTargetUsersAt(flagship, 40_000), 15);
    assert.equal(computeTargetUsersAt(flagship, 75_000), 7.5);
    assert.equal(computeTargetUsersAt(flagship, 79_000), 1.5);
  });

  test("is the last stage's users at the very end and 0 after it", () => {
    const hold = closed(5, [[10_000, 5]]);
    assert.equal(computeTargetUsersAt(hold, 10_000), 5);
    assert.equal(computeTargetUsersAt(hold, 10_001), 0);
    assert.equal(computeTargetUsersAt(flagship, 80_000), 0);
  });

  test('a zero-length stage jumps to its users', () => {
    const jump = closed(0, [
      [0, 3],
      [1000, 3],
    ]);
    assert.equal(computeTargetUsersAt(jump, 0), 3);
    assert.equal(computeTargetUsersAt(jump, 500), 3);
  });
});
