// A verdict a release gate can trust: a run that reached nothing, or checked too little, never passes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSummary, removeTempDirs, writeScenario } from '../helpers/sim.js';
import { envWithout, killCliChildren, runCli } from '../helpers/cli.js';

/** What `python3 -m http.server` is to crosstalk: HTTP that answers 404 to everything, upgrades included. */
function start404(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
  });
  server.on('upgrade', (_req, socket) => {
    socket.end(
      'HTTP/1.1 404 File not found\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    ),
  );
}

const ISOLATION_ONLY = `name: isolation-only
auth: { kind: jwt }
cohorts:
  chatters:
    users: 3
    duration: 2s
    flow:
      - connect
      - createThread: { title: "hello {{user}}" }
      - sendMessage: { content: "hi", timeout: 2s }
thresholds:
  isolation.violations: ["count == 0"]
`;

describe('untested runs never pass', { concurrency: 2 }, () => {
  let target: { url: string; server: Server };
  before(async () => {
    target = await start404();
  });
  after(() => {
    target.server.close();
    killCliChildren();
    removeTempDirs();
  });

  test('a target that answers 404 to everything: exit 4, "isolation untested: 0 frames received" on every surface', async () => {
    const f = writeScenario(ISOLATION_ONLY);
    const r = await runCli(['run', f.file, '--target', target.url, '--out', f.out, '--no-progress'], {
      env: { ...envWithout('SIM_JWT_SECRET'), SIM_JWT_SECRET: 'a-secret-for-a-404-server' },
    });
    assert.equal(r.code, 4, `exit code; stdout: ${r.stdout} stderr: ${r.stderr}`);
    assert.match(r.stdout, /^UNTESTED \(exit 4\): isolation untested: 0 frames received$/m);
    assert.match(r.stdout, /^isolation: UNTESTED \(0 frames received\)/m);
    assert.doesNotMatch(r.stdout, /PASS|no violations/);
    const s = readSummary(f.out);
    assert.equal(s.schema, 'crosstalk.summary/2');
    assert.equal(s.verdict, 'untested');
    assert.equal(s.exitCode, 4);
    assert.deepEqual(
      { verdict: s.isolation.verdict, reason: s.isolation.reason },
      { verdict: 'untested', reason: 'isolation untested: 0 frames received' },
    );
    assert.equal(s.coverage?.framesReceived, 0);
    assert.equal(s.coverage?.operations.connect?.succeeded, 0);
    assert.ok((s.coverage?.operations.connect?.attempted ?? 0) > 0);
    assert.ok(
      s.untested?.includes(
        'no connect ever succeeded (' + String(s.coverage?.operations.connect?.attempted) + ' attempted)',
      ),
      JSON.stringify(s.untested),
    );
    assert.deepEqual(
      s.thresholds.map((t) => [t.ok, t.note]),
      [[false, 'no data: isolation untested: 0 frames received']],
    );
    const junit = readFileSync(join(f.out, 'junit.xml'), 'utf8');
    assert.match(junit, /<error message="UNTESTED: isolation untested: 0 frames received" type="untested">/);
    assert.match(junit, /errors="2"/);
    const html = readFileSync(join(f.out, 'report.html'), 'utf8');
    assert.match(
      html,
      /class="verdict untested"[\s\S]*?>UNTESTED<[\s\S]*?exit 4[\s\S]*?isolation untested: 0 frames received/,
    );
  });

  test('a threshold on a metric that has no samples fails with "no data"', async () => {
    const f = writeScenario(`name: empty-metric
target: { embedded: { agent: fast } }
cohorts:
  c: { users: 2, duration: 1s, flow: [connect, createThread, { sendMessage: { content: "hi" } }] }
thresholds:
  http.login: ["p(95) < 1s"]
  run.total: ["p(95) < 10s"]
`);
    const r = await runCli(['run', f.file, '--out', f.out, '--no-progress']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✗ http\.login\s+p\(95\) < 1s\s+\(actual no data\)/);
    assert.match(r.stdout, /✓ run\.total/);
    const s = readSummary(f.out);
    assert.deepEqual(s.thresholds[0], {
      metric: 'http.login',
      expression: 'p(95) < 1s',
      actual: null,
      ok: false,
      note: 'no data',
    });
  });

  test('coverage floors come from the scenario: too little checked is untested, and a floor of 0 turns one off', async () => {
    const yaml = (coverage: string): string => `name: floors
target: { embedded: { agent: fast } }
${coverage}
cohorts:
  c: { users: 2, duration: 1s, flow: [connect, createThread, { sendMessage: { content: "hi" } }] }
`;
    const high = writeScenario(yaml('coverage: { framesChecked: 1000000 }'));
    const r1 = await runCli(['run', high.file, '--out', high.out, '--no-progress']);
    assert.equal(r1.code, 4, r1.stdout + r1.stderr);
    const s1 = readSummary(high.out);
    assert.match(s1.isolation.reason ?? '', /^isolation untested: \d+ frames checked, below the floor of 1000000$/);
    assert.equal(s1.coverage?.floor.framesChecked, 1_000_000);
    assert.ok(
      (s1.coverage?.framesChecked ?? 0) > 0 && s1.coverage?.framesChecked === s1.coverage?.framesReceived,
      'every frame received was checked',
    );

    const off = writeScenario(
      yaml('coverage: { usersWithRun: 0, runsCompleted: 0, framesChecked: 0, restAnswersChecked: 0 }'),
    );
    const r2 = await runCli(['run', off.file, '--out', off.out, '--no-progress']);
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.deepEqual(readSummary(off.out).coverage?.floor, {
      framesChecked: 0,
      restAnswersChecked: 0,
      runsCompleted: 0,
      usersWithRun: 0,
      probesAnswered: 0,
    });

    const bad = writeScenario(yaml('coverage: { framesChecked: -1, frameChecked: 3 }'));
    const r3 = await runCli(['validate', bad.file]);
    assert.equal(r3.code, 3);
    assert.match(r3.stderr, /coverage\.framesChecked: expected a whole number of at least 0, got -1/);
    assert.match(r3.stderr, /coverage\.frameChecked: unknown key "frameChecked" \(did you mean "framesChecked"\?\)/);
  });
});
