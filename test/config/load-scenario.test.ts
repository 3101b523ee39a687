import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileScenarioText, loadScenario, type ScenarioOverrides } from '../../src/config/load-scenario.js';
import type { ClosedModel, Cohort, OpenModel, Scenario } from '../../src/core/scenario-types.js';
import { SimError, type InputProblem } from '../../src/core/sim-error.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
const FLAGSHIP = `${SCENARIOS_DIR}15-users.yaml`;

function cohort(s: Scenario, name: string): Cohort {
  const c = s.cohorts.find((x) => x.name === name);
  assert.ok(c, `no cohort ${name}`);
  return c;
}
function closedModel(c: Cohort): ClosedModel {
  assert.equal(c.model.kind, 'closed');
  return c.model;
}
function openModel(c: Cohort): OpenModel {
  assert.equal(c.model.kind, 'open');
  return c.model;
}

/** The problems of text that must not compile. */
function problemsOf(text: string, overrides: ScenarioOverrides = {}, file = 'inline.yaml'): InputProblem[] {
  try {
    compileScenarioText(text, file, overrides);
  } catch (err) {
    assert.ok(err instanceof SimError, String(err));
    assert.equal(err.code, 'INPUT');
    return [...err.problems];
  }
  assert.fail('the scenario compiled without problems');
}

const SIMPLE = `name: simple
cohorts:
  chatters:
    users: 5
    duration: 30s
    flow:
      - connect
      - createThread
      - sendMessage: { content: "hi {{user}}" }
`;

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

describe('compileScenarioText: defaults and small forms', () => {
  test('target defaults, embedded agent, profile', () => {
    const s = compileScenarioText(SIMPLE, 'simple.yaml');
    assert.equal(s.file, 'simple.yaml');
    assert.equal(s.target.adapter.name, 'crosstalk');
    assert.equal(s.target.transport, 'ws');
    assert.equal(s.target.adapter.transports.ws?.path, '/ws');
    assert.equal(s.target.connectTimeoutMs, 10_000);
    assert.equal(s.target.requestTimeoutMs, 30_000);
    assert.equal(s.target.embedded.agent, 'fast');
    assert.deepEqual(s.target.adapter.events.fieldRoots, ['payload', 'data', '']);
    assert.equal(s.target.adapter.events.fields.messageId, 'message_id');
    assert.equal(s.seed, 1);
    assert.equal(s.users.prefix, 'u');
    assert.deepEqual(s.thresholds, []);
  });

  test('the same text hashes the same; other text does not', () => {
    const a = compileScenarioText(SIMPLE, 'a.yaml');
    const b = compileScenarioText(SIMPLE, 'b.yaml');
    const c = compileScenarioText(`${SIMPLE}# comment\n`, 'a.yaml');
    assert.equal(a.sha256, b.sha256);
    assert.notEqual(a.sha256, c.sha256);
  });

  test('a target URL loses its trailing slash', () => {
    const s = compileScenarioText(`target: { url: "https://staging.example.com/" }\n${SIMPLE}`, 'x.yaml');
    assert.equal(s.target.url, 'https://staging.example.com');
  });

  test('thresholds in long form keep abortOnFail and delay', () => {
    const s = compileScenarioText(
      `${SIMPLE}thresholds:\n  run.total: { threshold: "p(95) < 2s", abortOnFail: true, delay: 10s }\n`,
      'x.yaml',
    );
    assert.deepEqual(
      s.thresholds.map((t) => ({
        metric: t.metricKey,
        expression: t.expression,
        abortOnFail: t.abortOnFail,
        delayMs: t.delayMs,
      })),
      [{ metric: 'run.total', expression: 'p(95) < 2s', abortOnFail: true, delayMs: 10_000 }],
    );
  });

  test('a document that is not a mapping is one problem at line 1', () => {
    for (const text of ['', 'just a string\n', '- a\n- b\n']) {
      const p = problemsOf(text);
      assert.equal(p.length, 1, text);
      assert.equal(p[0]!.line, 1);
      assert.match(p[0]!.message, /expected a mapping with at least "name" and "cohorts"/);
    }
  });

  test('missing cohorts is required', () => {
    const p = problemsOf('name: x\n');
    assert.equal(p.length, 1);
    assert.equal(p[0]!.path, 'cohorts');
    assert.match(p[0]!.message, /"cohorts" is required/);
  });

  test('problems outside the cohorts are still found when a cohort is broken', () => {
    const text = `name: x\ntarget: { url: "ftp://x" }\ncohorts:\n  a:\n    users: 0\n    duration: 1s\n    flow: [connect]\n`;
    assert.deepEqual(
      problemsOf(text).map((p) => p.path),
      ['target.url', 'cohorts.a.users'],
    );
  });

  test('an unknown top-level key is matched against top-level keys', () => {
    const p = problemsOf(`${SIMPLE}treshold:\n  errors: ["rate < 0.01"]\n`);
    assert.equal(p.length, 1);
    assert.match(p[0]!.message, /did you mean "thresholds"\?/);
  });

  test('a missing required field says it is required', () => {
    const p = problemsOf('description: x\ncohorts:\n  a:\n    users: 1\n    duration: 1s\n    flow: [connect]\n');
    assert.match(p[0]!.message, /"name" is required/);
    const q = problemsOf('name: x\ncohorts:\n  a:\n    stages: [{ users: 1 }]\n    flow: [connect]\n');
    assert.match(q[0]!.message, /"duration" is required/);
  });
});

describe('compileScenarioText: --set overrides', () => {
  test('cohorts.chatters.users=20 changes the users before validation', () => {
    const s = compileScenarioText(SIMPLE, 'simple.yaml', { set: ['cohorts.chatters.users=20'] });
    assert.deepEqual(closedModel(cohort(s, 'chatters')), {
      kind: 'closed',
      startUsers: 20,
      stages: [{ durationMs: 30_000, users: 20 }],
      gracefulRampDownMs: 30_000,
    });
  });

  test('several overrides, list indexes, durations and rates as YAML text', () => {
    const text = readFileSync(FLAGSHIP, 'utf8');
    const s = compileScenarioText(text, FLAGSHIP, {
      set: [
        'cohorts.chatters.stages[1].users=30',
        'cohorts.lurkers.duration=1m',
        'thresholds.errors=["rate < 0.05"]',
        'name=override',
      ],
    });
    assert.equal(s.name, 'override');
    assert.deepEqual(closedModel(cohort(s, 'chatters')).stages[1], { durationMs: 90_000, users: 30 });
    assert.deepEqual(closedModel(cohort(s, 'lurkers')).stages, [{ durationMs: 60_000, users: 5 }]);
    assert.equal(s.thresholds.find((t) => t.metricKey === 'errors')?.expression, 'rate < 0.05');
    // The hash is of the file as written, overrides or not.
    assert.equal(s.sha256, loadScenario(FLAGSHIP).sha256);
  });

  test('an override with a bad value is reported at the overridden path', () => {
    const p = problemsOf(SIMPLE, { set: ['cohorts.chatters.users=ten'] });
    assert.equal(p.length, 1);
    assert.equal(p[0]!.path, 'cohorts.chatters.users');
    assert.match(p[0]!.message, /expected a whole number of at least 1, got "ten"/);
  });

  test('the README example --set cohorts.chatters.users=50 works on every shipped scenario with chatters: the stages peak at 50, shape kept', () => {
    const withChatters = ['15-users.yaml', 'ramp-200.yaml', 'smoke.yaml', 'soak.yaml'];
    for (const name of withChatters) {
      const file = `${SCENARIOS_DIR}${name}`;
      const before = closedModel(cohort(loadScenario(file), 'chatters'));
      const after = closedModel(cohort(loadScenario(file, { set: ['cohorts.chatters.users=50'] }), 'chatters'));
      const peak = Math.max(...before.stages.map((st) => st.users));
      assert.equal(Math.max(...after.stages.map((st) => st.users)), 50, `${name}: the peak becomes 50`);
      assert.deepEqual(
        after.stages.map((st) => st.durationMs),
        before.stages.map((st) => st.durationMs),
        `${name}: durations kept`,
      );
      assert.deepEqual(
        after.stages.map((st) => (st.users === 0 ? 0 : st.users === 50 ? 'peak' : 'between')),
        before.stages.map((st) => (st.users === 0 ? 0 : st.users === peak ? 'peak' : 'between')),
        `${name}: ramps up, holds and ramps down as before`,
      );
      assert.equal(
        after.startUsers,
        before.startUsers === 0 ? 0 : Math.round((before.startUsers * 50) / peak),
        `${name}: startUsers scaled`,
      );
    }
    // Every shipped scenario with a chatters cohort is in the list above.
    const shipped = readdirSync(SCENARIOS_DIR).filter(
      (f) => f.endsWith('.yaml') && loadScenario(`${SCENARIOS_DIR}${f}`).cohorts.some((c) => c.name === 'chatters'),
    );
    assert.deepEqual(shipped.sort(), withChatters);
    const flagship = closedModel(cohort(loadScenario(FLAGSHIP, { set: ['cohorts.chatters.users=50'] }), 'chatters'));
    assert.deepEqual(flagship.stages, [
      { durationMs: 15_000, users: 50 },
      { durationMs: 90_000, users: 50 },
      { durationMs: 10_000, users: 0 },
    ]);
  });

  test('users next to stages scales every stage and startUsers, rounding, and never rounds a stage with users down to 0', () => {
    const text =
      'name: s\ncohorts:\n  c:\n    startUsers: 2\n    stages: [{ duration: 10s, users: 10 }, { duration: 10s, users: 5 }, { duration: 10s, users: 1 }, { duration: 5s, users: 0 }]\n    flow: [connect]\n';
    const m = closedModel(cohort(compileScenarioText(text, 's.yaml', { set: ['cohorts.c.users=4'] }), 'c'));
    assert.equal(m.startUsers, 1, '2 of 10 becomes 0.8, rounded to 1');
    assert.deepEqual(
      m.stages.map((st) => st.users),
      [4, 2, 1, 0],
      '10 5 1 0 scaled to a peak of 4; 1 stays 1',
    );
    const up = closedModel(cohort(compileScenarioText(text, 's.yaml', { set: ['cohorts.c.users=30'] }), 'c'));
    assert.equal(up.startUsers, 6);
    assert.deepEqual(
      up.stages.map((st) => st.users),
      [30, 15, 3, 0],
    );
  });

  test('users next to stages in the file means the same; "duration" next to stages is still refused', () => {
    const s = compileScenarioText(
      'name: s\ncohorts:\n  c:\n    users: 6\n    stages: [{ duration: 2s, users: 3 }, { duration: 1s, users: 0 }]\n    flow: [connect]\n',
      's.yaml',
    );
    assert.deepEqual(closedModel(cohort(s, 'c')).stages, [
      { durationMs: 2000, users: 6 },
      { durationMs: 1000, users: 0 },
    ]);
    const p = problemsOf(readFileSync(FLAGSHIP, 'utf8'), { set: ['cohorts.chatters.duration=1m'] });
    assert.equal(p.length, 1);
    assert.equal(p[0]!.path, 'cohorts.chatters');
    assert.match(
      p[0]!.message,
      /give "stages", or "users" with "duration", not both \("users" alone next to "stages" scales them to that peak\)/,
    );
  });

  test("rate next to an open cohort's stages scales the rates (startRate too) to that peak", () => {
    const s = loadScenario(`${SCENARIOS_DIR}open-rate.yaml`, { set: ['cohorts.visitors.rate=40/s'] });
    const m = openModel(cohort(s, 'visitors'));
    assert.equal(m.startRatePerSec, 10, 'startRate 5/s of a 20/s peak becomes 10/s');
    assert.deepEqual(
      m.stages.map((st) => st.ratePerSec),
      [40, 40],
    );
    assert.equal(m.maxUsers, 200, 'maxUsers is its own setting');
  });

  test('a spec that is not path=value is refused, naming --set', () => {
    for (const spec of ['nonsense', '=5', '.users=1', 'cohorts chatters=1']) {
      const p = problemsOf(SIMPLE, { set: [spec] });
      assert.equal(p.length, 1, spec);
      assert.equal(p[0]!.file, '--set');
      assert.match(p[0]!.message, /is not path=value \(e\.g\. cohorts\.chatters\.users=20/, spec);
    }
  });

  test('a value that is not YAML, or a path through a scalar, is refused', () => {
    const bad = problemsOf(SIMPLE, { set: ['cohorts.chatters.users=[1'] });
    assert.equal(bad[0]?.file, '--set');
    assert.match(bad[0].message, /the value is not valid YAML/);
    const through = problemsOf(SIMPLE, { set: ['name.first=1'] });
    assert.equal(through[0]?.file, '--set');
    assert.equal(through[0]?.path, 'name.first');
    assert.match(through[0].message, /a parent is not a mapping or list/);
  });

  test('every bad --set spec is reported at once', () => {
    assert.equal(problemsOf(SIMPLE, { set: ['nonsense', 'name.first=1', 'x=[1'] }).length, 3);
  });

  test('--target overrides target.url and is validated like it', () => {
    const s = compileScenarioText(SIMPLE, 'simple.yaml', { targetUrl: 'http://127.0.0.1:9090/' });
    assert.equal(s.target.url, 'http://127.0.0.1:9090');
    const p = problemsOf(SIMPLE, { targetUrl: 'ftp://x' });
    assert.equal(p[0]?.path, 'target.url');
  });

  test('--set can override a threshold of a dotted metric', () => {
    const s = compileScenarioText(readFileSync(FLAGSHIP, 'utf8'), FLAGSHIP, {
      set: ['thresholds.run.total=["p(95) < 1s"]'],
    });
    assert.equal(s.thresholds.find((t) => t.metricKey === 'run.total')?.expression, 'p(95) < 1s');
  });

  test('--set past the end of a list is refused as a --set problem', () => {
    const p = problemsOf(readFileSync(FLAGSHIP, 'utf8'), { set: ['cohorts.chatters.stages[5].users=3'] });
    assert.equal(p.length, 1);
    assert.equal(p[0]!.file, '--set');
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
