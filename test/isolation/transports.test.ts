// The same scenarios on every transport of the crosstalk adapter: the flagship (shortened) and the smoke run
// unchanged over WebSocket, Server-Sent Events and Socket.IO against the reference target serving that transport,
// with the same verdicts; with isolation faults every leaked frame is one violation, as many as the target leaked;
// with delivery faults, never a leak.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matrixScenario, runMatrix } from './matrix-helpers.js';
import { ROOT } from '../helpers/cli.js';

const TRANSPORTS = ['ws', 'sse', 'socketio'] as const;
const FLAGSHIP = readFileSync(join(ROOT, 'scenarios', '15-users.yaml'), 'utf8');
const SMOKE = readFileSync(join(ROOT, 'scenarios', 'smoke.yaml'), 'utf8');
/** The flagship's shape in about 10 s: ramp, hold and ramp down shortened, nothing else changed. */
const SHORT_FLAGSHIP = [
  '--set',
  'cohorts.chatters.stages[0].duration=2s',
  '--set',
  'cohorts.chatters.stages[1].duration=6s',
  '--set',
  'cohorts.chatters.stages[2].duration=1s',
  '--set',
  'cohorts.lurkers.duration=9s',
];

for (const transport of TRANSPORTS) {
  const on = ['--set', `target.transport=${transport}`];
  describe(`the crosstalk adapter over ${transport}`, () => {
    test('the flagship passes: every run completes, no violation', async () => {
      const r = await runMatrix(FLAGSHIP, [...on, ...SHORT_FLAGSHIP]);
      assert.equal(r.code, 0, r.stderr);
      const s = r.summary;
      assert.ok(s.runs.completed > 0 && s.runs.completed === s.runs.started, JSON.stringify(s.runs));
      assert.equal(s.isolation.verdict, 'clean');
      assert.equal(s.lifecycle.violations, 0, JSON.stringify(s.lifecycle));
      assert.equal(s.errors.count, 0, JSON.stringify(s.errors));
      assert.equal((s.target as { transport?: string }).transport, transport);
    });

    test('the smoke passes', async () => {
      const r = await runMatrix(SMOKE, on);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.isolation.violations, 0);
    });

    test('isolation faults: exit 2, one violation per frame the target leaked', async () => {
      const r = await runMatrix(
        matrixScenario({ faults: 'misroute=0.01,content=0.01', noProbes: true, light: true }),
        on,
      );
      const leaked = r.summary.target.leaked;
      assert.ok(leaked && leaked.total > 0, `the target leaked something: ${JSON.stringify(r.summary.target)}`);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(
        r.summary.isolation.violations,
        leaked.total,
        `violations ${JSON.stringify(r.summary.isolation)} vs leaked ${JSON.stringify(leaked)}`,
      );
      assert.equal(r.violations.filter((v) => v.class === 'isolation').length, leaked.total);
    });

    test('delivery faults: seen as lifecycle violations or errors, never as leaks', async () => {
      const r = await runMatrix(
        matrixScenario({ faults: 'drop=0.02,duplicate=0.02', noProbes: true, light: true }),
        on,
      );
      const s = r.summary;
      assert.equal(s.isolation.violations, 0, JSON.stringify(s.isolation));
      assert.ok(
        s.lifecycle.violations + s.errors.count > 0,
        `${JSON.stringify(s.lifecycle)} ${JSON.stringify(s.errors)}`,
      );
    });
  });
}
