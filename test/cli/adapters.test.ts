// Adapters: a backend nobody planned for ("Parley", test/helpers/made-up-backend.ts) driven by writing only an
// adapter file (test/fixtures/adapters/parley.yaml): runs, per-role latencies, isolation through its own paths;
// and adapter mistakes as exit 3 naming the files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMadeUpBackend, type MadeUpBackend } from '../helpers/made-up-backend.js';
import { counter, readSummary, removeTempDirs, trendCount, writeScenario } from '../helpers/sim.js';
import { envWithout, ROOT, runCli } from '../helpers/cli.js';

const PARLEY = join(ROOT, 'test', 'fixtures', 'adapters', 'parley.yaml');

/** The flagship's shape, short: chatters loop runs, lurkers idle, probes on; nothing in it names Parley's wire. */
const scenario = (extra = ''): string => `name: parley
target: { api: ${PARLEY} }
auth: { kind: jwt, delivery: header }
cohorts:
  chatters:
    users: 4
    duration: 2s
    gracefulStop: 10s
    flow:
      - connect
      - createThread: { title: "Cost review {{user}}" }
      - repeat:
          times: 3
          steps:
            - sendMessage: { content: "Summarise spend for {{user}}", await: agent_completed, timeout: 10s }
      - listThreads
      - getThread
${extra}      - disconnect
  lurkers:
    users: 2
    duration: 2s
    flow: [connect, { idle: 1s }]
probes: { crossUserRead: { rate: 20/s }, forgedTokens: { rate: 20/s } }
thresholds:
  run.agent_started: ["p(95) < 2s"]
  run.first_content: ["p(95) < 2s"]
  errors: ["rate < 0.01"]
  isolation.violations: ["count == 0"]
`;

describe('an adapter drives a backend nobody planned for', { concurrency: 2 }, () => {
  const secret = randomBytes(32).toString('base64url');
  const env = { ...envWithout('SIM_JWT_SECRET'), SIM_JWT_SECRET: secret };
  let clean: MadeUpBackend;
  let leaky: MadeUpBackend;

  before(async () => {
    clean = await startMadeUpBackend({ secret });
    leaky = await startMadeUpBackend({ secret, leakListings: true });
  });
  after(async () => {
    await clean.close();
    await leaky.close();
    removeTempDirs();
  });

  test('clean: every run completes, timed by role, with no violation', async () => {
    const f = writeScenario(scenario());
    const r = await runCli(['run', f.file, '--target', clean.url, '--out', f.out, '--no-progress'], {
      env,
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = readSummary(f.out);
    const runs = s.runs.completed;
    assert.ok(runs > 0 && runs === s.runs.started, JSON.stringify(s.runs));
    assert.equal(clean.stats.chats, runs);
    // TTFT and the gaps between deltas come from chat.delta, mapped to the content role.
    assert.equal(trendCount(s, 'run.first_content'), runs);
    assert.ok(trendCount(s, 'run.content_gap') >= runs * 4, `content gaps: ${trendCount(s, 'run.content_gap')}`);
    assert.equal(trendCount(s, 'run.first_event'), runs);
    assert.ok(counter(s, 'run.content_deltas') >= runs * 5);
    assert.equal(s.isolation.verdict, 'clean');
    assert.equal(s.lifecycle.violations, 0, JSON.stringify(s.lifecycle));
    assert.ok((s.coverage?.probesAnswered ?? 0) > 0, JSON.stringify(s.coverage));
    // No persistent connection on this transport: connect and disconnect did nothing, and nothing failed for it.
    assert.equal(counter(s, 'ws.connections'), 0);
  });

  test("its listing leaks other users' conversations: rest_foreign_listing through the adapter's items and owner paths", async () => {
    const f = writeScenario(scenario());
    const r = await runCli(['run', f.file, '--target', leaky.url, '--out', f.out, '--no-progress'], {
      env,
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const s = readSummary(f.out);
    assert.ok((s.isolation.byKind.rest_foreign_listing ?? 0) > 0, JSON.stringify(s.isolation));
    assert.ok(leaky.stats.leakedListings > 0);
  });

  test('a step the adapter lacks is exit 3 naming the scenario, the step and the adapter', async () => {
    const f = writeScenario(scenario('      - deleteThread\n'));
    const r = await runCli(['validate', f.file], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /scenario\.yaml:\d+:\d+: cohorts\.chatters\.flow\[5\]: adapter "parley" \(.*parley\.yaml\) has no route for deleteThread/,
    );
  });

  test('a broken adapter: validate names its file, line and path', async () => {
    const f = writeScenario('');
    const bad = join(f.dir, 'bad-adapter.yaml');
    writeFileSync(
      bad,
      `adapter: bad
rest:
  createThread: { method: POST, path: /things, body: { who: "{{usr}}" } }
transports:
  sse:
    start: { request: { method: POST, path: "/things/{{thread}}/go" } }
`,
    );
    const r = await runCli(['validate', bad]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /bad-adapter\.yaml:3:\d+: rest\.createThread: createThread needs "id"/);
    assert.match(
      r.stderr,
      /bad-adapter\.yaml:3:\d+: rest\.createThread\.body\.who: template "\{\{usr\}\}" names nothing/,
    );
    assert.doesNotMatch(r.stderr, /^ {4}at /m);
    const ok = await runCli(['validate', PARLEY]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ok \(adapter parley: sse; 3 REST steps\)/);
  });
});
