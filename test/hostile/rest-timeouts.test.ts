// Behaviours 5 and 6: REST that answers after 60 s, never, or drip-feeds its
// body; and a 5xx storm. With requestTimeout 2s the calls fail as `timeout`
// and the run ends on time (not 60 s later); every 503 is errors{kind:http_5xx}
// and the errors threshold fails the run (exit 1) with complete results.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHostileServer, type HostileServer } from './hostile-server.js';
import type { HostileOptions } from './hostile-types.js';
import {
  assertCompleteRun,
  cleanup,
  digest,
  once,
  runAgainst,
  scenarioYaml,
  SECRET,
  writeScenario,
  type ScenarioOptions,
} from './harness.js';

const servers: HostileServer[] = [];
const STRICT = ['errors: ["rate < 0.01"]'];

function restRun(server: Omit<HostileOptions, 'secret'>, scenario: ScenarioOptions) {
  return once(async () => {
    const srv = await startHostileServer({ secret: SECRET, ...server });
    servers.push(srv);
    const f = writeScenario(scenarioYaml(scenario));
    const r = await runAgainst(f.file, srv.url, f.out);
    return { r, f, srv };
  });
}

const hang = restRun({ rest: 'hang' }, { name: 'rest-never', thresholds: STRICT });
const slow = restRun({ rest: 'slow', slowMs: 60_000 }, { name: 'rest-after-60s', thresholds: STRICT });
const storm = restRun({ rest: 'status503' }, { name: 'rest-503-storm', thresholds: STRICT });
// One byte every 500 ms: never idle for requestTimeout, never done.
const trickle = restRun({ rest: 'trickle' }, { name: 'rest-trickle', gracefulStop: '8s', thresholds: STRICT });
// requestTimeout longer than the run: calls in flight at the end are cut by gracefulStop.
const hangLong = restRun(
  { rest: 'hang' },
  { name: 'rest-never-long-timeout', requestTimeout: '30s', thresholds: STRICT },
);

describe('hostile: slow, silent and failing REST', { concurrency: 7 }, () => {
  after(async () => {
    cleanup();
    await Promise.all(servers.map((s) => s.close()));
  });

  test('a drip-fed REST body: the run still ends (within planned + gracefulStop)', async () => {
    const { r, f } = await trickle();
    assertCompleteRun(r, f.out, { code: r.code ?? -1, graceMs: 8_000 });
  });

  test('a drip-fed REST body fails as a timeout after requestTimeout (2s)', async () => {
    const { r, f } = await trickle();
    const s = assertCompleteRun(r, f.out, { code: 4, graceMs: 8_000 });
    assert.ok((s.errors.byKind.timeout ?? 0) >= 1, digest(s, r));
    assert.ok(
      s.durationMs < 3000 + 2000 + 4000,
      `ends about requestTimeout after the planned end, not at gracefulStop: durationMs ${s.durationMs}`,
    );
  });

  test('REST never answers, requestTimeout 2s: errors{kind:timeout}, on time, untested (exit 4): no create_thread ever succeeded', async () => {
    const { r, f } = await hang();
    const s = assertCompleteRun(r, f.out, { code: 4 });
    assert.ok(
      s.untested?.some((u) => /^no create_thread ever succeeded \(\d+ attempted\)$/.test(u)),
      JSON.stringify(s.untested),
    );
    assert.ok((s.errors.byKind.timeout ?? 0) >= 1, `timeouts counted; ${digest(s, r)}`);
    assert.equal(s.errors.byKind.network, undefined, `a timeout is a timeout, not "network"; ${digest(s)}`);
  });

  test('REST answers after 60 s, requestTimeout 2s: errors{kind:timeout}, the run ends on time, not 60 s later', async () => {
    const { r, f } = await slow();
    const s = assertCompleteRun(r, f.out, { code: 4 });
    assert.ok((s.errors.byKind.timeout ?? 0) >= 1, `timeouts counted; ${digest(s, r)}`);
    assert.ok(r.elapsedMs < 20_000, `${Math.round(r.elapsedMs)} ms`);
  });

  test('every REST call 503: errors{kind:http_5xx}, untested (exit 4, over the failed errors rate < 0.01), junit names both', async () => {
    const { r, f, srv } = await storm();
    const s = assertCompleteRun(r, f.out, { code: 4 });
    assert.ok((s.errors.byKind.http_5xx ?? 0) >= 1, digest(s, r));
    assert.ok(
      (s.errors.byKind.http_5xx ?? 0) <= srv.stats.restCalls,
      `no more 5xx than calls answered 503 (${srv.stats.restCalls}); ${digest(s)}`,
    );
    assert.ok(s.errors.rate > 0.5, digest(s));
    const t = s.thresholds.find((x) => x.metric === 'errors');
    assert.ok(t && !t.ok && t.actual !== null && t.actual > 0.01, JSON.stringify(s.thresholds));
    const xml = readFileSync(join(f.out, 'junit.xml'), 'utf8');
    assert.match(xml, /<failure[\s>]/, 'junit.xml carries the failed threshold');
    assert.match(xml, /<error message="UNTESTED: no create_thread ever succeeded/, 'and the untested verdict');
  });

  test('REST never answers and requestTimeout (30s) outlasts the run: the run ends at planned + gracefulStop', async () => {
    const { r, f } = await hangLong();
    assertCompleteRun(r, f.out, { code: r.code ?? -1 });
  });

  test('REST calls cut short by gracefulStop are counted: a backend that never answers fails `errors: rate < 0.01` and is untested', async () => {
    const { r, f } = await hangLong();
    const s = assertCompleteRun(r, f.out, { code: 4 });
    assert.ok(s.errors.count >= 1, digest(s, r));
    assert.equal(s.thresholds.find((t) => t.metric === 'errors')?.ok, false, JSON.stringify(s.thresholds));
  });
});
