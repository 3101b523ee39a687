// `simulate compare` on a real summary (one smoke run in a child process) and
// copies of it with planted regressions: exit codes, what gets marked, the
// zero-baseline rules, and input errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCompare } from '../../src/cli/compare-command.js';
import { computeComparison, type Comparison, type ComparisonRow } from '../../src/core/compare.js';
import { SimError } from '../../src/core/sim-error.js';
import type { CounterSummary, Summary, TrendSummary } from '../../src/core/summary.js';

/** The repository root (this file is dist/test/ci/compare.test.js once compiled). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

let dir = '';
let real: Summary;
let baseFile = '';

/** Runs `node bin/simulate <args>` from the repository root; resolves with its exit code and output. */
function simulate(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.SIM_JWT_SECRET; // the embedded target mints its own
    const child = spawn(process.execPath, ['bin/simulate', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

/** A deep copy of the real summary, changed by `edit`, written to `<name>.json`; returns the path. */
function variant(name: string, edit: (s: Mutable<Summary>) => void): string {
  const s = JSON.parse(JSON.stringify(real)) as Mutable<Summary>;
  edit(s);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(s));
  return file;
}

function trendOf(s: Mutable<Summary>, name: string): Mutable<TrendSummary> {
  const m = s.metrics[name];
  assert.ok(m && m.type === 'trend', `the real summary has a trend ${name}`);
  return m as Mutable<TrendSummary>;
}

function counterOf(s: Mutable<Summary>, name: string): Mutable<CounterSummary> {
  const m = s.metrics[name];
  assert.ok(m && m.type === 'counter', `the real summary has a counter ${name}`);
  return m as Mutable<CounterSummary>;
}

/** runCompare with its output captured. */
function compare(base: string, current: string, opts: { tolerance?: string; format?: string } = {}): { code: number; out: string } {
  let out = '';
  const code = runCompare(base, current, opts, (s) => { out += s; });
  return { code, out };
}

function rowOf(c: Comparison, metric: string, stat: string): ComparisonRow {
  const r = c.rows.find((x) => x.metric === metric && x.stat === stat);
  assert.ok(r, `a row for ${metric} ${stat}`);
  return r;
}

function isInputError(pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof SimError, `a SimError, got ${String(err)}`);
    assert.equal(err.code, 'INPUT');
    assert.match(err.message, pattern);
    return true;
  };
}

describe('simulate compare', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crosstalk-compare-'));
    const out = join(dir, 'base-run');
    const r = await simulate(['run', 'scenarios/smoke.yaml', '--out', out, '--no-progress', '--quiet'], 90_000);
    // Thresholds may wobble on a loaded machine (exit 1); the summary is what matters here.
    assert.ok(existsSync(join(out, 'summary.json')), `smoke run wrote summary.json (exit ${r.code}):\n${r.output}`);
    baseFile = join(out, 'summary.json');
    real = JSON.parse(readFileSync(baseFile, 'utf8')) as Summary;
    assert.equal(real.isolation.violations, 0, 'the smoke baseline is leak-free');
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('identical summaries: exit 0, nothing marked', () => {
    const { code, out } = compare(baseFile, variant('same', () => {}));
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /[✗✓]/);
    assert.match(out, /^OK: no regression beyond 10%$/m);
    assert.match(out, /^\s+run\.total\s+p95\s+\S+\s+\S+\s+0\.0%$/m, 'run.total p95 shows 0.0%');
  });

  test('a results folder is accepted in place of its summary.json', () => {
    assert.equal(compare(join(dir, 'base-run'), baseFile).code, 0);
  });

  test('run.total p95 and p99 up 50%: exit 1, both marked ✗ and listed first', () => {
    const current = variant('slow', (s) => {
      const t = trendOf(s, 'run.total');
      t.p95 *= 1.5;
      t.p99 *= 1.5;
    });
    const { code, out } = compare(baseFile, current);
    assert.equal(code, 1, out);
    assert.match(out, /^✗\s+run\.total\s+p95\s+.*\+50\.0%$/m);
    assert.match(out, /^✗\s+run\.total\s+p99\s+.*\+50\.0%$/m);
    assert.match(out, /^REGRESSION: 2 figures worse beyond 10%: run\.total p95, run\.total p99$/m);
    const lines = out.split('\n');
    const header = lines.findIndex((l) => /^\s+metric\s+stat\s+baseline\s+current\s+change$/.test(l));
    assert.ok(header >= 0, `a table header:\n${out}`);
    assert.ok(lines[header + 1]!.startsWith('✗') && lines[header + 2]!.startsWith('✗'), `regressions come first:\n${out}`);
    assert.doesNotMatch(out, /✗\s+run\.total\s+p50/, 'p50 did not move');

    const md = compare(baseFile, current, { format: 'markdown' });
    assert.equal(md.code, 1);
    assert.match(md.out, /^## ❌ crosstalk: 2 regressions beyond 10%$/m);
    const mdLines = md.out.split('\n');
    const mdHeader = mdLines.indexOf('| | metric | stat | baseline | current | change | |');
    assert.ok(mdHeader >= 0, `a markdown table:\n${md.out}`);
    assert.match(mdLines[mdHeader + 1]!, /^\|---\|---\|---\|---:\|---:\|---:\|---\|$/);
    assert.match(mdLines[mdHeader + 2]!, /^\| ✗ \| `run\.total` \| p9[59] \|.*\| \+50\.0% \|/);
    assert.match(mdLines[mdHeader + 3]!, /^\| ✗ \| `run\.total` \| p9[59] \|/);
  });

  test('within tolerance: +5% latency and -5% throughput exit 0; a tighter tolerance catches them', () => {
    const current = variant('wobble', (s) => {
      const t = trendOf(s, 'run.total');
      t.p95 *= 1.05;
      t.p99 *= 1.05;
      counterOf(s, 'http.requests').ratePerSec *= 0.95;
    });
    assert.equal(compare(baseFile, current).code, 0);
    assert.equal(compare(baseFile, current, { tolerance: '0.1' }).code, 0, 'a fraction works like a percentage');
    const tight = compare(baseFile, current, { tolerance: '2%' });
    assert.equal(tight.code, 1, tight.out);
    assert.match(tight.out, /^✗\s+http\.requests\s+rate\s+.*-5\.0%$/m, 'lower throughput is worse');
  });

  test('error rate: up 50% from a non-zero baseline is a regression; from zero only above the noise floor', () => {
    const base = variant('errors-2pct', (s) => { s.errors.rate = 0.02; });
    const worse = variant('errors-3pct', (s) => { s.errors.rate = 0.03; });
    const r = compare(base, worse);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^✗\s+errors\s+error rate\s+2\.00%\s+3\.00%\s+\+50\.0%$/m);
    assert.equal(compare(base, worse, { tolerance: '60%' }).code, 0, '+50% is within 60%');

    // From 0: the percentage is infinite, so only the absolute change decides.
    const spike = variant('errors-5pct', (s) => { s.errors.rate = 0.05; });
    const fromZero = compare(baseFile, spike, { tolerance: '1000%' });
    assert.equal(fromZero.code, 1, fromZero.out);
    assert.match(fromZero.out, /^✗\s+errors\s+error rate\s+0\.00%\s+5\.00%\s+new$/m);
    const speck = variant('errors-speck', (s) => { s.errors.rate = 0.0005; });
    assert.equal(compare(baseFile, speck).code, 0, 'a 0.05-point blip from 0 is below the floor');
  });

  test('isolation 0 → 1 is a regression even at 1000% tolerance', () => {
    const leaky = variant('leak', (s) => {
      s.isolation.violations = 1;
      s.isolation.byKind = { foreign_run: 1 };
    });
    const { code, out } = compare(baseFile, leaky, { tolerance: '1000%' });
    assert.equal(code, 1, out);
    assert.match(out, /^✗\s+isolation\s+violations\s+0\s+1\s+new\s+any leak after a clean baseline$/m);
    const c = computeComparison(real, JSON.parse(readFileSync(leaky, 'utf8')) as Summary, 10);
    assert.equal(rowOf(c, 'isolation', 'violations').status, 'regression');
    assert.equal(c.verdict, 'regression');
  });

  test('counters: directions, informational ones, and zero baselines', () => {
    // Pin the zero baselines: a loaded machine may drop or time out a run even in the real smoke run.
    const base = JSON.parse(JSON.stringify(real)) as Mutable<Summary>;
    for (const name of ['runs.failed', 'runs.timed_out', 'dropped']) counterOf(base, name).ratePerSec = 0;
    const current = JSON.parse(JSON.stringify(base)) as Mutable<Summary>;
    counterOf(current, 'http.requests').ratePerSec *= 2; // throughput up: better
    counterOf(current, 'ws.connections').ratePerSec *= 10; // informational
    const oneEvent = 1000 / Math.min(real.durationMs, current.durationMs);
    counterOf(current, 'runs.failed').ratePerSec = 0.9 * oneEvent; // less than one event's worth
    counterOf(current, 'dropped').ratePerSec = 5 * oneEvent; // five drops from none
    const c = computeComparison(base as Summary, current as Summary, 0.1);
    assert.equal(rowOf(c, 'http.requests', 'rate').status, 'improvement');
    assert.equal(rowOf(c, 'ws.connections', 'rate').status, 'info');
    assert.equal(rowOf(c, 'runs.timed_out', 'rate').changePct, 0, '0 → 0 is no change');
    assert.equal(rowOf(c, 'runs.timed_out', 'rate').status, 'unchanged');
    assert.equal(rowOf(c, 'runs.failed', 'rate').status, 'unchanged', 'one stray event is noise');
    assert.equal(rowOf(c, 'dropped', 'rate').status, 'regression');
    assert.equal(rowOf(c, 'dropped', 'rate').changePct, null, 'no finite percentage from 0');
    assert.deepEqual(c.rows.filter((r) => r.status === 'regression').map((r) => r.metric), ['dropped']);
  });

  test('a counter missing from the baseline counts as 0 (summaries list only counters that were touched)', () => {
    const current = JSON.parse(JSON.stringify(real)) as Mutable<Summary>;
    current.metrics['lifecycle.violations'] = { type: 'counter', value: 9, ratePerSec: 9000 / current.durationMs, byTag: { 'kind:missing_event': 9 } };
    const base = JSON.parse(JSON.stringify(real)) as Mutable<Summary>;
    delete base.metrics['lifecycle.violations'];
    const c = computeComparison(base as Summary, current as Summary, 0.1);
    assert.equal(rowOf(c, 'lifecycle.violations', 'rate').status, 'regression');
  });

  test('bad tolerance and bad format are input errors', () => {
    for (const tolerance of ['abc', '-5%', '10%%', '']) {
      assert.throws(() => compare(baseFile, baseFile, { tolerance }), isInputError(/--tolerance/), tolerance);
    }
    assert.throws(() => compare(baseFile, baseFile, { tolerance: '10' }), isInputError(/--tolerance "10" is ambiguous/));
    assert.throws(() => compare(baseFile, baseFile, { format: 'html' }), isInputError(/--format "html"/));
  });

  test('missing, non-JSON and foreign files are input errors naming the file', () => {
    const missing = join(dir, 'nope', 'summary.json');
    assert.throws(() => compare(missing, baseFile), isInputError(new RegExp(`baseline summary ${escape(missing)}: no such file`)));
    assert.throws(() => compare(baseFile, missing), isInputError(new RegExp(`current summary ${escape(missing)}`)));
    const notJson = join(dir, 'garbage.json');
    writeFileSync(notJson, '{ not json');
    assert.throws(() => compare(baseFile, notJson), isInputError(new RegExp(`${escape(notJson)} \\(current\\) is not JSON`)));
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, JSON.stringify({ schema: 'k6.summary', metrics: {} }));
    assert.throws(() => compare(foreign, baseFile), isInputError(new RegExp(`${escape(foreign)} \\(baseline\\) is not a crosstalk summary: schema is "k6.summary"`)));
    const partial = variant('partial', (s) => { delete (s as Partial<Mutable<Summary>>).errors; });
    assert.throws(() => compare(baseFile, partial), isInputError(/incomplete crosstalk summary: missing errors\.rate/));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
