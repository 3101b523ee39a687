// loadScenario on files: the shipped scenarios compile to what design.md describes, and a file that
// cannot be read is an INPUT error. Defaults and small forms: load-scenario-defaults.test.ts; --set and
// --target: load-scenario-overrides.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario } from '../../src/config/load-scenario.js';
import { SimError } from '../../src/core/sim-error.js';
import { cohort, closedModel, FLAGSHIP, openModel, SCENARIOS_DIR } from '../helpers/scenarios.js';

describe('loadScenario: the flagship compiles to what design.md describes', () => {
  const s = loadScenario(FLAGSHIP);

  test('name, file, sha256 and seed', () => {
    assert.equal(s.name, '15-users');
    assert.equal(s.file, FLAGSHIP);
    assert.match(s.sha256, /^[0-9a-f]{64}$/);
    assert.equal(s.target.url, undefined, 'no url: the embedded target');
    assert.equal(s.target.embedded.agent, 'realistic');
    assert.equal(s.target.embedded.seed, 42);
  });

  test('auth, with defaults filled in', () => {
    assert.equal(s.auth.kind, 'jwt');
    if (s.auth.kind !== 'jwt') return;
    assert.equal(s.auth.secretEnv, 'SIM_JWT_SECRET');
    assert.equal(s.auth.delivery, 'subprotocol');
    assert.equal(s.auth.ttlMs, 15 * 60_000);
    assert.equal(s.auth.renewBeforeMs, 60_000);
  });

  test('chatters: staged closed model, durations in ms, flow steps compiled', () => {
    const c = cohort(s, 'chatters');
    assert.deepEqual(closedModel(c).stages, [
      { durationMs: 15_000, users: 15 },
      { durationMs: 90_000, users: 15 },
      { durationMs: 10_000, users: 0 },
    ]);
    assert.equal(closedModel(c).startUsers, 0);
    assert.equal(c.gracefulStopMs, 30_000);
    assert.equal(c.connectionsPerUser, 1);
    assert.deepEqual(
      c.flow.map((f) => f.kind),
      ['connect', 'createThread', 'repeat', 'listThreads', 'listMessages', 'disconnect'],
    );
    const repeat = c.flow[2];
    assert.ok(repeat?.kind === 'repeat');
    assert.equal(repeat.times, 3);
    assert.deepEqual(repeat.steps[0], {
      kind: 'sendMessage',
      thread: '{{thread}}',
      content: "Summarise last month's cloud spend for {{user}}",
      await: 'agent_completed',
      timeoutMs: 30_000,
      connection: 0,
    });
    assert.deepEqual(repeat.steps[1], { kind: 'think', range: { minMs: 1000, maxMs: 3000 } });
  });

  test('lurkers: users with duration is a one-stage plan starting with every user', () => {
    const c = cohort(s, 'lurkers');
    assert.deepEqual(closedModel(c), {
      kind: 'closed',
      startUsers: 5,
      stages: [{ durationMs: 115_000, users: 5 }],
      gracefulRampDownMs: 30_000,
    });
    assert.deepEqual(c.flow, [{ kind: 'connect' }, { kind: 'idle', durationMs: 115_000 }]);
  });

  test('thresholds keep metric keys and expressions as written', () => {
    assert.deepEqual(
      s.thresholds.map((t) => [t.metricKey, t.expression]),
      [
        ['ws.connect', 'p(95) < 2s'],
        ['run.agent_started', 'p(95) < 500ms'],
        ['run.total', 'p(99) < 30s'],
        ['run.total{cohort:chatters}', 'p(50) < 10s'],
        ['errors', 'rate < 0.01'],
        ['isolation.violations', 'count == 0'],
      ],
    );
    assert.ok(s.thresholds.every((t) => t.abortOnFail === false && t.delayMs === 0));
  });
});

describe('loadScenario: the other shipped scenarios', () => {
  test('open-rate: start rate, stages in events/s, maxUsers', () => {
    const s = loadScenario(`${SCENARIOS_DIR}open-rate.yaml`);
    const m = openModel(cohort(s, 'visitors'));
    assert.equal(m.startRatePerSec, 5);
    assert.deepEqual(m.stages, [
      { durationMs: 30_000, ratePerSec: 20 },
      { durationMs: 30_000, ratePerSec: 20 },
    ]);
    assert.equal(m.maxUsers, 200);
    assert.equal(s.auth.delivery, 'ticket');
    const send = cohort(s, 'visitors').flow[2];
    assert.ok(send?.kind === 'sendMessage');
    assert.equal(send.timeoutMs, 15_000);
    assert.equal(send.await, 'agent_completed', 'default await');
  });

  test('smoke: three cohorts; an open cohort without startRate starts at its first rate', () => {
    const s = loadScenario(`${SCENARIOS_DIR}smoke.yaml`);
    assert.deepEqual(
      s.cohorts.map((c) => c.name),
      ['chatters', 'arrivals', 'lurkers'],
    );
    assert.equal(cohort(s, 'chatters').connectionsPerUser, 2);
    const arrivals = cohort(s, 'arrivals');
    assert.equal(arrivals.startAfterMs, 500);
    assert.deepEqual(openModel(arrivals), {
      kind: 'open',
      startRatePerSec: 2,
      stages: [{ durationMs: 5000, ratePerSec: 2 }],
      maxUsers: 10,
    });
    const update = cohort(s, 'chatters').flow[4];
    assert.deepEqual(update, { kind: 'updateThread', thread: '{{thread}}', title: 'Smoke {{user}} #{{iteration}}' });
  });

  test('soak: repeat for a duration, short-lived tokens', () => {
    const s = loadScenario(`${SCENARIOS_DIR}soak.yaml`);
    const repeat = cohort(s, 'chatters').flow[2];
    assert.ok(repeat?.kind === 'repeat');
    assert.equal(repeat.durationMs, 5 * 60_000);
    assert.equal(repeat.times, undefined);
    assert.deepEqual(repeat.steps[2], { kind: 'listMessages', thread: '{{thread}}', limit: 20 });
    assert.equal(s.auth.kind, 'jwt');
    if (s.auth.kind === 'jwt')
      assert.deepEqual([s.auth.delivery, s.auth.ttlMs, s.auth.renewBeforeMs], ['header', 300_000, 60_000]);
  });

  test('ramp-200: gracefulRampDown is read', () => {
    const s = loadScenario(`${SCENARIOS_DIR}ramp-200.yaml`);
    assert.equal(closedModel(cohort(s, 'chatters')).gracefulRampDownMs, 10_000);
  });
});

describe('loadScenario: files that cannot be read', () => {
  test('a missing file is an INPUT error that says so', () => {
    assert.throws(
      () => loadScenario('/nonexistent/dir/missing.yaml'),
      (err: unknown) => {
        assert.ok(err instanceof SimError);
        assert.equal(err.code, 'INPUT');
        assert.match(err.message, /cannot read scenario \/nonexistent\/dir\/missing\.yaml: no such file/);
        assert.ok(err.hint);
        return true;
      },
    );
  });

  test('a directory is an INPUT error that says so', () => {
    assert.throws(
      () => loadScenario(SCENARIOS_DIR),
      (err: unknown) => err instanceof SimError && err.code === 'INPUT' && /it is a directory/.test(err.message),
    );
  });
});
