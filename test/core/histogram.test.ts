import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import {
  computeMean,
  computeTrendStats,
  computeValuesAtPercentiles,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
} from '../../src/core/histogram.js';
import { createRandom } from '../../src/core/random.js';

/** The library's own histogram with the same settings as createHistogram(). */
const reference = (): hdr.Histogram =>
  hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, autoResize: true, bitBucketSize: 32 });

describe('createHistogram', () => {
  test('puts every value in the same bucket as the library does', () => {
    const ours = createHistogram() as unknown as hdr.JsHistogram;
    const lib = reference() as unknown as hdr.JsHistogram;
    const rand = createRandom(7);
    const values: number[] = [
      0,
      0.4,
      1,
      1.5,
      2047,
      2048,
      2049,
      4095,
      4096,
      2 ** 30,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 + 5,
      2 ** 40,
    ];
    for (let v = 0; v < 1 << 18; v++) values.push(v);
    for (let k = 0; k < 31; k++) values.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
    for (let i = 0; i < 50_000; i++) values.push(Math.floor(rand() * 2 ** 31), rand() * 1e6);
    let differ = 0;
    for (const v of values) if (ours.countsArrayIndex(v) !== lib.countsArrayIndex(v)) differ++;
    assert.equal(differ, 0, `${differ} of ${values.length} values indexed differently`);
  });

  test('records and reports what the library does, resizing as values grow', () => {
    const ours = createHistogram();
    const lib = reference();
    const rand = createRandom(11);
    for (let i = 0; i < 20_000; i++) {
      // Mostly sub-millisecond to seconds, with a tail up to ten minutes.
      const v = Math.round(rand() < 0.99 ? 50 + rand() * 2e6 : rand() * 6e8);
      ours.recordValue(v);
      lib.recordValue(v);
    }
    assert.deepEqual(computeTrendStats(ours), computeTrendStats(lib));
    assert.equal(ours.maxValue, lib.maxValue);
    assert.equal(ours.minNonZeroValue, lib.minNonZeroValue);
    // The encoded form keeps buckets, not exact extremes: the max comes back as its bucket's top.
    const { max: backMax, ...back } = computeTrendStats(decodeHistogram(encodeHistogram(ours)));
    const { max: libMax, ...fromLib } = computeTrendStats(lib);
    assert.deepEqual(back, fromLib);
    assert.ok(Math.abs(backMax - libMax) <= libMax * 1e-3, `max ${backMax} vs ${libMax}`);
  });

  test('a negative value is refused as the library refuses it', () => {
    assert.throws(() => createHistogram().recordValue(-1), /negative/);
  });
});

describe('one-pass percentiles and mean', () => {
  /** A histogram with a realistic spread: a body, a tail, a few outliers, some repeated values. */
  function filled(seed: number, n: number): hdr.Histogram {
    const h = createHistogram();
    const rand = createRandom(seed);
    for (let i = 0; i < n; i++) {
      const r = rand();
      h.recordValue(Math.round(r < 0.9 ? 200 + rand() * 5000 : r < 0.999 ? rand() * 3e6 : rand() * 9e8));
    }
    return h;
  }

  test('give exactly what the library gives for every percentile a chart or summary asks, in any order', () => {
    for (const [seed, n] of [
      [1, 1],
      [2, 7],
      [3, 1000],
      [4, 50_000],
    ] as const) {
      const h = filled(seed, n);
      const qs = [99.9, 0, 50, 12.5, 90, 95, 99, 99.99, 100, 100 * (1 - 1 / 3), 33.3, 99.999, 101];
      assert.deepEqual(
        computeValuesAtPercentiles(h, qs),
        qs.map((q) => h.getValueAtPercentile(q)),
        `seed ${seed}, ${n} values`,
      );
      assert.equal(computeMean(h), h.mean, `mean, seed ${seed}`);
    }
  });

  test('an empty histogram answers zeros', () => {
    const h = createHistogram();
    assert.deepEqual(computeValuesAtPercentiles(h, [50, 99]), [0, 0]);
    assert.equal(computeMean(h), 0);
    assert.deepEqual(computeTrendStats(h), {
      count: 0,
      min: 0,
      max: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      p999: 0,
    });
  });

  test("trend stats are the library's figures in ms, percentiles capped at the max", () => {
    const h = filled(5, 20_000);
    const ms = (us: number): number => Math.round((us / 1000) * 1000) / 1000;
    const max = ms(h.maxValue);
    assert.deepEqual(computeTrendStats(h), {
      count: 20_000,
      min: ms(h.minNonZeroValue),
      max,
      mean: ms(h.mean),
      p50: Math.min(max, ms(h.getValueAtPercentile(50))),
      p90: Math.min(max, ms(h.getValueAtPercentile(90))),
      p95: Math.min(max, ms(h.getValueAtPercentile(95))),
      p99: Math.min(max, ms(h.getValueAtPercentile(99))),
      p999: Math.min(max, ms(h.getValueAtPercentile(99.9))),
    });
  });
});
