// compileScenarioText on inline text: the defaults it fills in, the small forms it accepts, and the
// problems of a document that is not a scenario.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileScenarioText } from '../../src/config/load-scenario.js';
import { problemsOf, SIMPLE } from '../helpers/scenarios.js';

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
