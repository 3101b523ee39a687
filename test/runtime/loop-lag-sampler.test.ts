// The loop-lag sampler sees a block of the event loop as long as it was, and
// weighs it by the time it lasted (coordinated-omission correction), not as
// one sample among hundreds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LOOP_LAG_INTERVAL_MS, startLoopLagSampler } from '../../src/runtime/loop-lag-sampler.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const blockFor = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* the loop cannot run */
  }
};

describe('loop-lag sampler', () => {
  test('a 60 ms block is recorded as ~60 ms, backed by one sample per missed interval', async () => {
    const samplesUs: number[] = [];
    let afterCalls = 0;
    const sampler = startLoopLagSampler(
      {
        record: (us) => {
          samplesUs.push(us);
        },
      },
      () => {
        afterCalls++;
      },
    );
    try {
      await sleep(50);
      blockFor(60);
      await sleep(50);
    } finally {
      sampler.stop();
    }
    // Loose: a busy machine only adds lateness.
    const max = Math.max(...samplesUs);
    assert.ok(max >= 55_000, `the block is seen whole: max ${max} µs`);
    // Every 2 ms of the block that no tick could run is a sample: 58, 56, ... 2 ms below the worst.
    const fromBlock = samplesUs.filter((us) => us >= 10_000 && us <= max);
    assert.ok(
      fromBlock.length >= 20,
      `the block is weighed by its length: ${fromBlock.length} samples of 10 ms or more`,
    );
    assert.ok(
      samplesUs.includes(max - LOOP_LAG_INTERVAL_MS * 1000),
      'the sample one interval below the worst is there',
    );
    assert.ok(
      samplesUs.every((us) => us >= 0),
      'never negative',
    );
    assert.ok(afterCalls >= 10, `the after hook runs on every tick: ${afterCalls}`);
  });

  test('stop() ends sampling', async () => {
    const samplesUs: number[] = [];
    const sampler = startLoopLagSampler({
      record: (us) => {
        samplesUs.push(us);
      },
    });
    await sleep(30);
    sampler.stop();
    const n = samplesUs.length;
    assert.ok(n >= 3, `sampled while running: ${n}`);
    await sleep(30);
    assert.equal(samplesUs.length, n);
  });
});
