// Behaviour 3: the server destroys sockets at random mid-run (WebSocket TCP
// sockets after a few frames, with no close frame; REST sockets instead of an
// answer). Errors are counted as `disconnected` and `reset`, runs cut by a
// reset end (not hang), the run ends on time and nothing crashes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostileServer, type HostileServer } from './hostile-server.js';
import { assertCompleteRun, cleanup, digest, runAgainst, scenarioYaml, SECRET, writeScenario } from './harness.js';

describe('hostile: sockets reset mid-run', () => {
  let srv: HostileServer | undefined;
  after(async () => {
    cleanup();
    await srv?.close();
  });

  test('WebSocket and REST resets: errors{kind:disconnected} and errors{kind:reset}, on time, no crash, no false leak', async () => {
    srv = await startHostileServer({
      secret: SECRET,
      wsResetProbability: 0.35,
      wsResetAfterFrames: 2,
      restResetProbability: 0.25,
    });
    const f = writeScenario(scenarioYaml({ name: 'resets', users: 4, thresholds: ['errors: ["rate < 0.01"]'] }));
    const r = await runAgainst(f.file, srv.url, f.out);
    const s = assertCompleteRun(r, f.out, { code: 1 });
    assert.ok(
      srv.stats.wsResets >= 1 && srv.stats.restResets >= 1,
      `the server did reset sockets: ${JSON.stringify(srv.stats)}`,
    );
    assert.ok((s.errors.byKind.disconnected ?? 0) >= 1, `WebSocket resets counted as disconnected; ${digest(s, r)}`);
    assert.ok((s.errors.byKind.reset ?? 0) >= 1, `REST resets counted as reset; ${digest(s, r)}`);
    // Every run the generator started has an outcome: none is left hanging.
    assert.equal(
      s.runs.started,
      s.runs.completed + s.runs.failed + s.runs.timedOut + s.runs.interrupted,
      `every run ended; ${digest(s)}`,
    );
    assert.ok(s.runs.completed >= 1, `between resets, runs still complete; ${digest(s)}`);
    assert.equal(s.isolation.violations, 0, `a reset is not a leak; ${digest(s)}`);
    assert.equal(s.errors.byKind.network, undefined, `resets are classified, not lumped into "network"; ${digest(s)}`);
  });
});
