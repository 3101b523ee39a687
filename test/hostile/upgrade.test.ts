// Behaviour 2: REST and health work, but the WebSocket upgrade (a) never
// answers, (b) answers 500, (c) answers 401. The run ends on time, the
// failures are counted by kind, the errors threshold decides the exit code,
// and the results folder is complete.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostileServer, type HostileServer } from './hostile-server.js';
import type { UpgradeMode } from './hostile-types.js';
import {
  assertCompleteRun,
  cleanup,
  counter,
  digest,
  once,
  runAgainst,
  scenarioYaml,
  SECRET,
  writeScenario,
} from './harness.js';

const servers: HostileServer[] = [];

/** One run against a target whose upgrade misbehaves as `mode`. */
function upgradeRun(mode: UpgradeMode, thresholds: string[]) {
  return once(async () => {
    const srv = await startHostileServer({ secret: SECRET, upgrade: mode });
    servers.push(srv);
    const f = writeScenario(scenarioYaml({ name: `upgrade-${mode}`, thresholds }));
    const r = await runAgainst(f.file, srv.url, f.out);
    return { r, f, srv };
  });
}

const STRICT = ['errors: ["rate < 0.01"]'];
const CASES: Array<{ mode: UpgradeMode; kind: string; label: string }> = [
  { mode: 'hang', kind: 'connect_timeout', label: '(a) never answers' },
  { mode: 'status500', kind: 'upgrade_failed', label: '(b) answers 500' },
  { mode: 'status401', kind: 'auth_rejected', label: '(c) answers 401' },
];
const runs = new Map(CASES.map((c) => [c.mode, upgradeRun(c.mode, STRICT)]));
const lenient500 = upgradeRun('status500', []);

describe('hostile: the WebSocket upgrade fails, REST works', { concurrency: 4 }, () => {
  after(async () => {
    cleanup();
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const c of CASES) {
    test(`upgrade ${c.label}: errors{kind:${c.kind}}, no connection, REST still measured, untested (exit 4): no connect ever succeeded`, async () => {
      const { r, f, srv } = await runs.get(c.mode)!();
      const s = assertCompleteRun(r, f.out, { code: 4 });
      assert.ok(
        s.untested?.some((u) => /^no connect ever succeeded/.test(u)),
        JSON.stringify(s.untested),
      );
      assert.equal(s.isolation.verdict, 'untested');
      assert.ok((s.errors.byKind[c.kind] ?? 0) >= 1, `errors{kind:${c.kind}} counted; ${digest(s, r)}`);
      assert.ok(srv.stats.upgrades >= 1, 'the generator did try to upgrade');
      assert.equal(counter(s, 'ws.connections'), 0, 'no connection was established');
      assert.equal(s.runs.completed, 0);
      assert.ok(
        srv.stats.restCalls >= 1 && s.metrics['http.create_thread']?.type === 'trend',
        `REST calls went through and were timed; ${digest(s)}`,
      );
      assert.equal(s.errors.byKind.http_5xx, undefined, 'REST itself did not fail');
      const t = s.thresholds.find((x) => x.metric === 'errors');
      assert.ok(t && t.ok === false, `the errors threshold failed: ${JSON.stringify(s.thresholds)}`);
      assert.equal(s.isolation.violations, 0);
    });
  }

  test('upgrade answers 500 without thresholds: still untested (exit 4), errors still counted', async () => {
    const { r, f } = await lenient500();
    const s = assertCompleteRun(r, f.out, { code: 4 });
    assert.ok((s.errors.byKind.upgrade_failed ?? 0) >= 1, digest(s, r));
    assert.ok(s.errors.rate > 0.1, digest(s));
  });

  test('a connection that never opened is counted once, not also as `disconnected`', async () => {
    for (const c of CASES) {
      const { r, f } = await runs.get(c.mode)!();
      const s = assertCompleteRun(r, f.out, { code: 4 });
      assert.equal(
        s.errors.byKind.disconnected,
        undefined,
        `upgrade ${c.label}: no connection was ever open, so none was disconnected; ${digest(s)}`,
      );
    }
  });
});
