// `outputs:` in a scenario file, and --publish / --metrics-port on top of it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileScenarioText } from '../../src/config/load-scenario.js';
import type { InputProblem } from '../../src/core/sim-error.js';
import { problemsOf } from '../helpers/scenarios.js';

const BASE = `name: live
cohorts:
  chatters:
    users: 2
    duration: 5s
    flow: [connect, createThread, { sendMessage: { content: "hi" } }]
`;

function hasProblem(
  ps: readonly InputProblem[],
  where: { file?: string; line?: number; path: string; includes: string },
): void {
  const hit = ps.find(
    (p) =>
      p.path === where.path &&
      p.message.includes(where.includes) &&
      (where.line === undefined || p.line === where.line) &&
      (where.file === undefined || p.file === where.file),
  );
  assert.ok(hit, `expected ${JSON.stringify(where)}; got ${JSON.stringify(ps)}`);
}

describe('outputs', () => {
  test('no outputs: none; a block with both forms, labels and the endpoint compiles with its defaults filled in', () => {
    assert.equal(compileScenarioText(BASE, 'live.yaml').outputs, undefined);
    const s = compileScenarioText(
      `${BASE}outputs:
  interval: 2s
  labels: { env: staging, build: 42 }
  publish:
    - prometheus-rw=http://127.0.0.1:9090/api/v1/write
    - { kind: prometheus-rw, url: "https://mimir.example/api/v1/push/", headers: { X-Scope-OrgID: load }, bearerTokenEnv: MIMIR_TOKEN }
  metricsPort: 9464
`,
      'live.yaml',
    );
    assert.deepEqual(s.outputs, {
      intervalMs: 2000,
      flushTimeoutMs: 5000,
      labels: { env: 'staging', build: '42' },
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      prometheusRw: [
        { url: 'http://127.0.0.1:9090/api/v1/write', headers: {}, source: 'outputs.publish[0]' },
        {
          url: 'https://mimir.example/api/v1/push',
          headers: { 'X-Scope-OrgID': 'load' },
          bearerTokenEnv: 'MIMIR_TOKEN',
          source: 'outputs.publish[1]',
        },
      ],
    });
  });

  test("--publish adds to the file's list and --metrics-port sets the port; each flag alone is enough", () => {
    const s = compileScenarioText(`${BASE}outputs:\n  publish: [prometheus-rw=http://a.example/w]\n`, 'live.yaml', {
      publish: ['prometheus-rw=http://b.example/w'],
      metricsPort: '0',
    });
    assert.deepEqual(
      s.outputs?.prometheusRw.map((p) => [p.url, p.source]),
      [
        ['http://a.example/w', 'outputs.publish[0]'],
        ['http://b.example/w', 'outputs.publish[1]'],
      ],
    );
    assert.equal(s.outputs?.metricsPort, 0);
    assert.equal(compileScenarioText(BASE, 'live.yaml', { metricsPort: '9464' }).outputs?.metricsPort, 9464);
    assert.equal(
      compileScenarioText(BASE, 'live.yaml', { publish: ['prometheus-rw=http://b.example/w'] }).outputs?.prometheusRw
        .length,
      1,
    );
  });

  test('bad entries are reported at once, each with its line and YAML path', () => {
    const ps = problemsOf(`${BASE}outputs:
  interval: 10ms
  labels: { scenario: x, "bad-name": y }
  publish:
    - influx=http://127.0.0.1:8086
    - prometheus-rw=ftp://example
    - { kind: prometheus-rw, url: "http://user:secret@example/w" }
    - { kind: prometheus-rw, url: "http://example/w", headers: { Authorization: Bearer x } }
    - { kind: prometheus-rw, uri: "http://example/w" }
  metricsPort: 70000
`);
    hasProblem(ps, { line: 8, path: 'outputs.interval', includes: 'at least 1000ms' });
    hasProblem(ps, { line: 9, path: 'outputs.labels.scenario', includes: 'crosstalk sets itself' });
    hasProblem(ps, { line: 9, path: 'outputs.labels.bad-name', includes: 'not a Prometheus label name' });
    hasProblem(ps, { line: 11, path: 'outputs.publish[0]', includes: 'KIND one of prometheus-rw' });
    hasProblem(ps, { line: 12, path: 'outputs.publish[1]', includes: 'expected a http or https URL' });
    hasProblem(ps, { line: 13, path: 'outputs.publish[2].url', includes: 'basicAuthEnv' });
    hasProblem(ps, { line: 14, path: 'outputs.publish[3].headers.Authorization', includes: 'bearerTokenEnv' });
    hasProblem(ps, { line: 15, path: 'outputs.publish[4].uri', includes: 'did you mean "url"' });
    hasProblem(ps, { line: 16, path: 'outputs.metricsPort', includes: 'from 0 to 65535' });
  });

  test('a bad flag is blamed on the flag, not on a line of the file', () => {
    hasProblem(problemsOf(BASE, { publish: ['prometheus=http://x'] }), {
      file: '--publish',
      path: 'outputs.publish[0]',
      includes: 'KIND one of prometheus-rw',
    });
    hasProblem(problemsOf(BASE, { publish: ['prometheus-rw=localhost:9090'] }), {
      file: '--publish',
      path: 'outputs.publish[0]',
      includes: 'http or https URL',
    });
    hasProblem(problemsOf(BASE, { metricsPort: 'ninety' }), {
      file: '--metrics-port',
      path: 'outputs.metricsPort',
      includes: 'whole number',
    });
    hasProblem(problemsOf(`${BASE}outputs: 5\n`, { metricsPort: '1' }), {
      line: 7,
      path: 'outputs',
      includes: 'expected a mapping',
    });
  });
});
