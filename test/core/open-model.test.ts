import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeArrivalTimes, computeOpenDurationMs, createArrivalCursor } from '../../src/core/open-model.js';
import type { OpenModel } from '../../src/core/scenario-types.js';

/** An open model from a start rate and [durationMs, ratePerSec] pairs. */
function open(startRatePerSec: number, stages: Array<[number, number]>): OpenModel {
  return {
    kind: 'open',
    startRatePerSec,
    stages: stages.map(([durationMs, ratePerSec]) => ({ durationMs, ratePerSec })),
    maxUsers: 100,
  };
}

/** Arrivals expected from the integral of the rate (arrival j at integral j, j from 0). */
function integralCount(m: OpenModel): number {
  let from = m.startRatePerSec;
  let n = 0;
  for (const s of m.stages) {
    n += (s.durationMs * (from + s.ratePerSec)) / 2000;
    from = s.ratePerSec;
  }
  return Math.ceil(n - 1e-9);
}

function assertClose(actual: number | undefined, expected: number, what: string, eps = 1e-6): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= eps, `${what}: expected ${expected}, got ${actual}`);
}

function assertIncreasing(times: readonly number[]): void {
  for (let i = 1; i < times.length; i++)
    assert.ok(times[i]! > times[i - 1]!, `arrival ${i} (${times[i]}) not after arrival ${i - 1} (${times[i - 1]})`);
}

describe('open model arrivals', () => {
  test('constant 5/s for 30 s: exactly 150 arrivals at 0, 200, 400 … 29800 ms', () => {
    const m = open(5, [[30_000, 5]]);
    const times = computeArrivalTimes(m);
    assert.equal(times.length, 150);
    times.forEach((t, j) => assertClose(t, 200 * j, `arrival ${j}`));
    assert.equal(computeOpenDurationMs(m), 30_000);
  });

  test('ramp 0→10/s over 10 s: 50 arrivals, arrival j at sqrt(2·10⁶·j) ms', () => {
    // Rate per ms r(t) = (10/1000)·(t/10000) = t/10⁶, so the integral is t²/(2·10⁶);
    // arrival j is due when it reaches j: t_j = sqrt(2·10⁶·j).
    const times = computeArrivalTimes(open(0, [[10_000, 10]]));
    assert.equal(times.length, 50);
    times.forEach((t, j) => assertClose(t, Math.sqrt(2e6 * j), `arrival ${j}`));
    assertClose(times[1], 1414.213562373095, 'arrival 1');
    assertClose(times[2], 2000, 'arrival 2');
    assertClose(times[49], 9899.494936611665, 'arrival 49');
  });

  test('start rate 5/s ramping to 20/s over 30 s, then 20/s for 30 s (open-rate.yaml): 375 + 600 arrivals', () => {
    const m = open(5, [
      [30_000, 20],
      [30_000, 20],
    ]);
    const times = computeArrivalTimes(m);
    assert.equal(times.length, 975);
    assertIncreasing(times);
    assert.equal(times.filter((t) => t < 30_000).length, 375);
    // In the ramp the integral is 0.005·t + 0.015·t²/60000 and equals j at arrival j.
    for (let j = 0; j < 375; j++) {
      const t = times[j]!;
      assertClose(0.005 * t + (0.015 * t * t) / 60_000, j, `integral at arrival ${j}`, 1e-6);
    }
    // The hold: one every 50 ms from 30 s on.
    for (let j = 375; j < 975; j++) assertClose(times[j], 30_000 + 50 * (j - 375), `arrival ${j}`);
  });

  test('multi-stage ramps are continuous: counts per stage are the integrals, no gap or burst at the joins', () => {
    const m = open(0, [
      [10_000, 10],
      [10_000, 10],
      [10_000, 0],
    ]);
    const times = computeArrivalTimes(m);
    assert.equal(times.length, 200);
    assertIncreasing(times);
    assert.equal(times.filter((t) => t < 10_000).length, 50);
    assert.equal(times.filter((t) => t >= 10_000 && t < 20_000).length, 100);
    assert.equal(times.filter((t) => t >= 20_000 && t < 30_000).length, 50);
    // At 10/s arrivals are 100 ms apart on both sides of the first join.
    assertClose(times[50], 10_000, 'arrival 50');
    assertClose(times[51], 10_100, 'arrival 51');
    // Ramp down 10→0: integral 100 + 0.01·u − u²/(2·10⁶) after u ms of the last stage.
    for (let j = 150; j < 200; j++) {
      const u = times[j]! - 20_000;
      assertClose(150 + 0.01 * u - (u * u) / 2e6, j, `integral at arrival ${j}`, 1e-6);
    }
  });

  test('every arrival lies within the stages and the count is the integral of the rate', () => {
    const models = [
      open(3, [
        [1000, 3],
        [1000, 1],
        [1000, 7],
      ]),
      open(0.3, [[10_000, 0.3]]),
      open(0.25, [[10_000, 0.25]]),
      open(1, [
        [5000, 4],
        [2000, 4],
        [3000, 1],
      ]),
      open(5, [
        [1000, 5],
        [0, 50],
        [1000, 5],
      ]),
    ];
    for (const m of models) {
      const times = computeArrivalTimes(m);
      assert.equal(times.length, integralCount(m), `count for ${JSON.stringify(m.stages)}`);
      assertIncreasing(times);
      const end = computeOpenDurationMs(m);
      for (const t of times) assert.ok(t >= 0 && t < end, `${t} outside [0, ${end})`);
    }
  });

  test('fractional integrals round up: 0.25/s for 10 s arrives at 0, 4 s and 8 s', () => {
    const times = computeArrivalTimes(open(0.25, [[10_000, 0.25]]));
    assert.deepEqual(
      times.map((t) => Math.round(t)),
      [0, 4000, 8000],
    );
  });

  test('a stage at rate 0 (after 0) yields no arrivals in it', () => {
    const m = open(2, [
      [5000, 2],
      [5000, 0],
      [5000, 0],
      [5000, 2],
    ]);
    const times = computeArrivalTimes(m);
    assert.equal(times.length, 20); // 10 + 5 (ramp 2→0) + 0 + 5 (ramp 0→2)
    assert.equal(times.filter((t) => t >= 10_000 && t < 15_000).length, 0);
    assert.equal(times.filter((t) => t < 5000).length, 10);
    assert.equal(times.filter((t) => t >= 5000 && t < 10_000).length, 5);
    // Ramp 0→2/s over 5 s from 15 s: arrival k of the stage at 15000 + sqrt(5·10⁶·k).
    times.slice(15).forEach((t, k) => assertClose(t, 15_000 + Math.sqrt(5e6 * k), `ramp-up arrival ${k}`));
  });

  test('all stages at rate 0 yield nothing, and a cursor stays exhausted', () => {
    assert.deepEqual(computeArrivalTimes(open(0, [[10_000, 0]])), []);
    const cur = createArrivalCursor(open(1, [[2000, 1]]));
    assert.equal(cur.next(), 0);
    assert.equal(cur.next(), 1000);
    assert.equal(cur.next(), undefined);
    assert.equal(cur.next(), undefined);
  });

  test('two runs of the same model offer exactly the same arrivals', () => {
    const m = open(5, [
      [30_000, 20],
      [30_000, 20],
    ]);
    assert.deepEqual(computeArrivalTimes(m), computeArrivalTimes(m));
  });

  test('computeOpenDurationMs sums the stages', () => {
    assert.equal(
      computeOpenDurationMs(
        open(0, [
          [10_000, 10],
          [0, 50],
          [2500, 10],
        ]),
      ),
      12_500,
    );
  });

  test('no extra arrival at the very end when the integral is a whole number', () => {
    const a = computeArrivalTimes(open(2, [[2000, 7]]));
    assert.equal(a.length, 9);
    const b = computeArrivalTimes(open(1, [[7000, 33]]));
    assert.equal(b.length, 119);
    const c = computeArrivalTimes(
      open(0, [
        [3000, 0.1],
        [7000, 33],
      ]),
    );
    assert.equal(c.length, 116);
    for (const t of c) assert.ok(t < 10_000);
  });
});
