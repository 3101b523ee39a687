// `simulate run scenarios/smoke.yaml` as CI runs it: a child process, its output, summary.json, run.log.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { counter, makeTempDir, readSummary, removeTempDirs, trend } from '../helpers/sim.js';
import { killCliChildren, ROOT, runCli } from '../helpers/cli.js';

const SMOKE_TRENDS = [
  'ws.connect',
  'http.create_thread',
  'http.list_threads',
  'http.get_thread',
  'http.update_thread',
  'http.delete_thread',
  'http.list_messages',
  'http.post_message',
  'run.agent_started',
  'run.agent_completed',
  'run.total',
  'run.gap',
];

describe('simulate run scenarios/smoke.yaml', () => {
  after(() => {
    killCliChildren();
    removeTempDirs();
  });

  test('exits 0, prints the summary table, and writes a complete summary.json and an NDJSON run.log', async () => {
    const out = join(makeTempDir(), 'results');
    const r = await runCli(['run', 'scenarios/smoke.yaml', '--out', out], { timeoutMs: 40_000 });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}\nstdout: ${r.stdout}`);

    // The console summary.
    assert.match(r.stdout, /^latency\s+count\s+p50\s+p90\s+p95\s+p99\s+max$/m, 'latency table header');
    assert.match(r.stdout, /^run\.total\s+\d+\s/m, 'a run.total row');
    assert.match(r.stdout, /^runs: \d+ started, \d+ completed/m);
    assert.match(r.stdout, /^thresholds:$/m);
    assert.match(r.stdout, /✓ run\.total\s+p\(99\) < 10s/);
    assert.match(r.stdout, /^PASS$/m);
    assert.match(
      r.stdout,
      new RegExp(`^results: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      'the results line names the folder',
    );

    const s = readSummary(out);
    assert.equal(s.schema, 'crosstalk.summary/2');
    assert.equal(s.scenario.name, 'smoke');
    const sha = createHash('sha256')
      .update(readFileSync(join(ROOT, 'scenarios/smoke.yaml')))
      .digest('hex');
    assert.equal(s.scenario.sha256, sha, 'sha256 of the scenario file');
    assert.equal(s.target.embedded, true);
    assert.equal(s.verdict, 'pass');
    assert.equal(s.exitCode, 0);
    assert.equal(s.segment, '0/1');
    assert.equal(s.interrupted, false);
    assert.ok(Date.parse(s.endedAt) >= Date.parse(s.startedAt), 'startedAt/endedAt are ISO times in order');
    assert.ok(s.durationMs >= 5000 && s.durationMs < 30_000, `the scenario lasts about 6 s (${s.durationMs} ms)`);

    for (const name of SMOKE_TRENDS) {
      const t = trend(s, name);
      assert.ok(t.count > 0, `${name}.count`);
      assert.ok(
        t.p50 <= t.p95 && t.p95 <= t.p99 && t.p99 <= t.max,
        `${name}: p50 ${t.p50} <= p95 ${t.p95} <= p99 ${t.p99} <= max ${t.max}`,
      );
      assert.ok(t.min <= t.p50, `${name}: min <= p50`);
      assert.equal(typeof t.hdr, 'string');
      assert.ok(t.hdr.length > 0, `${name}.hdr`);
    }
    // The flow's counts agree with each other.
    const chatIterations = trend(s, 'http.update_thread').count;
    assert.equal(
      trend(s, 'http.get_thread').count,
      chatIterations,
      'every chatters iteration gets and updates its thread',
    );
    assert.equal(trend(s, 'run.total').count, s.runs.completed, 'one run.total per completed run');
    assert.equal(
      s.runs.started,
      s.runs.completed + s.runs.failed + s.runs.timedOut + s.runs.interrupted,
      `runs add up: ${JSON.stringify(s.runs)}`,
    );
    assert.equal(counter(s, 'runs.started'), s.runs.started);
    assert.equal(s.errors.count, 0, JSON.stringify(s.errors));
    assert.equal(s.isolation.violations, 0);
    assert.deepEqual(Object.keys(s.users.byCohort).sort(), ['arrivals', 'chatters', 'lurkers']);
    assert.equal(s.users.byCohort.chatters, 4);
    assert.equal(s.users.byCohort.lurkers, 2);

    assert.equal(s.thresholds.length, 6, 'one result per threshold expression');
    for (const t of s.thresholds) {
      assert.equal(typeof t.metric, 'string');
      assert.equal(typeof t.expression, 'string');
      assert.equal(typeof t.actual, 'number', `${t.metric} ${t.expression} has an actual value`);
      assert.equal(t.ok, true, `${t.metric} ${t.expression} (actual ${t.actual})`);
    }
    assert.ok(
      s.thresholds.some((t) => t.metric === 'run.total{cohort:chatters}'),
      'scoped thresholds keep their scope',
    );
    assert.equal(typeof s.generator.cpuPercent, 'number');
    assert.equal(typeof s.generator.saturated, 'boolean');

    const logPath = join(out, 'run.log');
    assert.ok(existsSync(logPath), 'run.log exists');
    const lines = readFileSync(logPath, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    assert.ok(lines.length >= 2, 'run.log has lines');
    const entries = lines.map((l, i) => {
      try {
        return JSON.parse(l) as { level: number; time: number; msg?: string };
      } catch {
        assert.fail(`run.log line ${i + 1} is not JSON: ${l}`);
      }
    });
    for (const e of entries) assert.ok(typeof e.level === 'number' && typeof e.time === 'number', 'pino fields');
    assert.ok(
      entries.some((e) => e.msg === 'run finished'),
      'the log ends the run',
    );
    assert.doesNotMatch(readFileSync(logPath, 'utf8'), /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/, 'no token in the log');
  });
});
