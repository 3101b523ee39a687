// The generator keeps V8's nursery small until load begins (src/cli/young-generation.ts).
// Each case runs in a fresh node process, since V8 flags are process-wide.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isYoungGenerationUserTuned } from '../../src/cli/young-generation.js';

const MODULE = new URL('../../src/cli/young-generation.js', import.meta.url).href;

/**
 * Runs `body` in a fresh node process after loading the module as `yg`;
 * `grow()` allocates 60 MiB of objects that all survive (what a connect ramp
 * or module loading does), yielding to the event loop between batches as a
 * ramp would; `semi()` is the semi-space size in MiB. Resolves with stdout.
 */
function inFreshNode(body: string, nodeArgs: readonly string[] = []): string {
  const script = `
    import * as yg from ${JSON.stringify(MODULE)};
    import { getHeapSpaceStatistics } from 'node:v8';
    const semi = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 / 2 ** 20;
    const keep = [];
    const grow = async () => {
      for (let b = 0; b < 60; b++) {
        for (let i = 0; i < 8000; i++) keep.push({ id: 'u' + b + '-' + i, seq: [i, b], at: i * 1.5 });
        await new Promise((r) => setImmediate(r));
      }
    };
    ${body}
  `;
  const r = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    // FORCE_COLOR (set on some CI machines) would make console.log colour a boolean.
    env: { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0' },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('young generation', () => {
  test('frozen, the nursery stays at its initial size under surviving allocation; released, it grows again', () => {
    const out = inFreshNode(`
      yg.freezeYoungGeneration();
      const atStart = semi();
      await grow(); await grow();
      const frozen = semi();
      yg.releaseYoungGeneration();
      await grow();
      const released = semi();
      console.log(JSON.stringify({ atStart, frozen, released }));
    `);
    const { atStart, frozen, released } = JSON.parse(out) as { atStart: number; frozen: number; released: number };
    // V8 commits its initial 1 MiB semi-space lazily; frozen, it goes no further. Released, it must grow: that
    // shows the allocation was enough to grow an unfrozen nursery, so "frozen" is crosstalk's doing, not V8's.
    assert.ok(frozen <= Math.max(atStart, 1), `frozen: ${atStart} → ${frozen} MiB per semi-space`);
    assert.ok(released > frozen, `released: ${frozen} → ${released} MiB per semi-space`);
  });

  test('a user who set --max-semi-space-size keeps their setting', () => {
    const out = inFreshNode(
      `
      console.log(yg.isYoungGenerationUserTuned());
      yg.freezeYoungGeneration();
      await grow();
      console.log(semi());
    `,
      ['--max-semi-space-size=8'],
    );
    const [tuned, semi] = out.split('\n');
    assert.equal(tuned, 'true');
    assert.ok(Number(semi) > 1, `their nursery grew (${semi} MiB), crosstalk did not freeze it`);
  });

  test('isYoungGenerationUserTuned reads node flags and NODE_OPTIONS', () => {
    assert.equal(isYoungGenerationUserTuned([], ''), false);
    assert.equal(isYoungGenerationUserTuned(['--max-semi-space-size=16'], ''), true);
    assert.equal(isYoungGenerationUserTuned([], '--max-old-space-size=4096 --semi-space-growth-factor=1'), true);
    assert.equal(isYoungGenerationUserTuned(['--expose-gc'], '--max-old-space-size=4096'), false);
  });
});
