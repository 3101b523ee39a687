// compileScenarioText with --set and --target overrides: applied before validation, users and rates
// next to stages scale them to a peak, and bad specs are reported as --set problems, all at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { compileScenarioText, loadScenario } from '../../src/config/load-scenario.js';
import { cohort, closedModel, FLAGSHIP, openModel, problemsOf, SCENARIOS_DIR, SIMPLE } from '../helpers/scenarios.js';

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
