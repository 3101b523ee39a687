// `simulate compare` end to end: a real summary (one smoke run in a child
// process) and copies of it, summaries with planted regressions built from
// real HDR histograms, both summary schemas, what the table and the markdown
// show, exit codes, and input errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCompare } from '../../src/cli/compare-command.js';
import { computeComparison } from '../../src/core/compare.js';
import type { ComparableSummary, Comparison } from '../../src/core/compare-types.js';
import { SimError } from '../../src/core/sim-error.js';
import type { Summary } from '../../src/core/summary.js';
import { buildSeries, buildSummary, drawRunLatenciesMs, type SyntheticRun } from '../helpers/synthetic-summary.js';
import { runCli, STACK_LINE } from '../helpers/cli.js';
import { rowOf } from '../helpers/comparison-rows.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

let dir = '';
let real: Summary;
let baseFile = '';

/** Runs `node bin/simulate <args>` from the repository root; resolves with its exit code and output (stdout, then stderr). */
async function simulate(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const r = await runCli(args, { timeoutMs });
  return { code: r.code, output: `${r.stdout}${r.stderr}` };
}

/** A deep copy of the real summary, changed by `edit`, written to `<name>.json`; returns the path. */
function variant(name: string, edit: (s: Mutable<Summary>) => void): string {
  const s = JSON.parse(JSON.stringify(real)) as Mutable<Summary>;
  edit(s);
  return write(name, s);
}

/** A synthetic summary (real histograms of seeded samples) written to `<name>.json`. */
function synthetic(name: string, run: SyntheticRun): string {
  return write(name, buildSummary(run));
}

function write(name: string, doc: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** runCompare with its output captured. */
function compare(
  base: string,
  current: string,
  opts: { tolerance?: string; confidence?: string; format?: string } = {},
): { code: number; out: string } {
  let out = '';
  const code = runCompare(base, current, opts, (s) => {
    out += s;
  });
  return { code, out };
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
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a real summary against a copy of itself: exit 0, nothing marked worse or better', () => {
    const { code, out } = compare(
      baseFile,
      variant('same', () => {}),
    );
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /[✗✓]/);
    assert.match(out, /^OK: no regression beyond 10%/m);
    assert.match(out, /\brun\.total\s+p50\s+\S+\s+\S+\s+0\.0%/, 'run.total p50 shows 0.0%');
    assert.match(
      out,
      /^\s+metric\s+stat\s+baseline\s+current\s+change\s+95% interval\s+n$/m,
      'the header names the interval and n columns',
    );
    assert.match(out, /^method: a figure regresses when its whole 95% interval is beyond 10% worse/m);
  });

  test('a results folder is accepted in place of its summary.json', () => {
    assert.equal(compare(join(dir, 'base-run'), baseFile).code, 0);
  });

  test('run.total 50% slower on 2000 samples: exit 1, marked ✗ with the interval, listed first', () => {
    const base = synthetic('fast', {
      trends: { 'run.total': drawRunLatenciesMs(2000, 1), 'ws.connect': drawRunLatenciesMs(40, 5, 0.1) },
    });
    const slow = synthetic('slow', {
      trends: { 'run.total': drawRunLatenciesMs(2000, 2, 1.5), 'ws.connect': drawRunLatenciesMs(40, 6, 0.1) },
    });
    const { code, out } = compare(base, slow);
    assert.equal(code, 1, out);
    for (const stat of ['p50', 'p95', 'p99']) {
      assert.match(
        out,
        new RegExp(
          `^✗\\s+run\\.total\\s+${stat}\\s+\\S+\\s+\\S+\\s+\\+[45]\\d\\.\\d%\\s+\\[\\+\\d+\\.\\d%, \\+\\d+\\.\\d%\\]\\s+2000/2000$`,
          'm',
        ),
      );
    }
    assert.match(
      out,
      /^REGRESSION: 3 figures worse beyond 10%: run\.total p\d\d, run\.total p\d\d, run\.total p\d\d; 2 inconclusive \(not judged\)$/m,
    );
    const lines = out.split('\n');
    const header = lines.findIndex((l) => /^\s+metric\s+stat\s+baseline/.test(l));
    assert.ok(
      lines[header + 1]!.startsWith('✗') && lines[header + 3]!.startsWith('✗'),
      `regressions come first:\n${out}`,
    );
    // 40 connects judge p50 only; p95 and p99 are shown as inconclusive, last, with why.
    assert.match(out, /^\?\s+ws\.connect\s+p95\s+.*inconclusive: n=40 < 200 for p95$/m);
    assert.match(out, /^\?\s+ws\.connect\s+p99\s+.*inconclusive: n=40 < 1000 for p99$/m);

    const md = compare(base, slow, { format: 'markdown' });
    assert.equal(md.code, 1);
    assert.match(md.out, /^## ❌ crosstalk: 3 regressions beyond 10%$/m);
    assert.match(md.out, /tolerance 10% at 95% confidence; 2 inconclusive\.$/m);
    const mdLines = md.out.split('\n');
    const mdHeader = mdLines.indexOf('| | metric | stat | baseline | current | change | 95% interval | n | |');
    assert.ok(mdHeader >= 0, `a markdown table:\n${md.out}`);
    assert.match(mdLines[mdHeader + 1]!, /^\|---\|---\|---\|---:\|---:\|---:\|---:\|---:\|---\|$/);
    assert.match(
      mdLines[mdHeader + 2]!,
      /^\| ✗ \| `run\.total` \| p\d\d \|.*\| \+\d+\.\d% \| \[\+\d+\.\d%, \+\d+\.\d%\] \| 2000\/2000 \|/,
    );
    assert.match(md.out, /<summary>2 inconclusive figures \(not judged\)<\/summary>/);
    assert.match(md.out, /^\| `ws\.connect` \| p95 \| .* \| n=40 \\< 200 for p95 \|$/m, 'markdown escapes the <');
  });

  test('within tolerance: +5% on 20000 samples is real but exits 0; a 2% tolerance catches it', () => {
    const base = synthetic('steady', { trends: { 'run.total': drawRunLatenciesMs(20_000, 1) } });
    const current = synthetic('wobble', { trends: { 'run.total': drawRunLatenciesMs(20_000, 2, 1.05) } });
    assert.equal(compare(base, current).code, 0);
    assert.equal(compare(base, current, { tolerance: '0.1' }).code, 0, 'a fraction works like a percentage');
    const tight = compare(base, current, { tolerance: '2%' });
    assert.equal(tight.code, 1, tight.out);
    assert.match(tight.out, /^✗\s+run\.total\s+p50\s+/m);
  });

  test('--confidence widens or narrows the intervals', () => {
    const base = synthetic('conf-base', { trends: { 'run.total': drawRunLatenciesMs(3000, 1) } });
    const current = synthetic('conf-current', { trends: { 'run.total': drawRunLatenciesMs(3000, 2, 1.2) } });
    const read = (conf: string): Comparison =>
      computeComparison(load(base), load(current), 0.1, { confidence: Number(conf) });
    const at90 = rowOf(read('0.9'), 'run.total', 'p95').intervalPct!;
    const at99 = rowOf(read('0.99'), 'run.total', 'p95').intervalPct!;
    assert.ok(at99.low < at90.low && at99.high > at90.high, `99% is wider than 90%: ${JSON.stringify({ at90, at99 })}`);
    assert.match(compare(base, current, { confidence: '99%' }).out, /confidence 99%/);
  });

  test('error rate: up 50% from a non-zero baseline is a regression; from zero only above the floor', () => {
    const base = variant('errors-2pct', (s) => {
      s.errors.rate = 0.02;
    });
    const worse = variant('errors-3pct', (s) => {
      s.errors.rate = 0.03;
    });
    const r = compare(base, worse);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^✗\s+errors\s+error rate\s+2\.00%\s+3\.00%\s+\+50\.0%$/m);
    assert.equal(compare(base, worse, { tolerance: '60%' }).code, 0, '+50% is within 60%');

    // From 0: the percentage is infinite, so only the absolute change decides.
    const spike = variant('errors-5pct', (s) => {
      s.errors.rate = 0.05;
    });
    const fromZero = compare(baseFile, spike, { tolerance: '1000%' });
    assert.equal(fromZero.code, 1, fromZero.out);
    assert.match(fromZero.out, /^✗\s+errors\s+error rate\s+0\.00%\s+5\.00%\s+new$/m);
    const speck = variant('errors-speck', (s) => {
      s.errors.rate = 0.0005;
    });
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
    const c = computeComparison(real, load(leaky), 10);
    assert.equal(rowOf(c, 'isolation', 'violations').status, 'regression');
    assert.equal(c.verdict, 'regression');
  });

  test('counter rates come from the steady state of the series; a counter missing from the baseline counts as 0', () => {
    const shape = { users: 10, rampSec: 2, plateauSec: 15, downSec: 2 };
    const base = synthetic('rates-base', {
      series: buildSeries({ ...shape, seed: 1, ratesPerSec: { 'runs.completed': 40, 'http.requests': 60 } }),
    });
    const current = synthetic('rates-current', {
      series: buildSeries({
        ...shape,
        seed: 2,
        ratesPerSec: { 'runs.completed': 40, 'http.requests': 30, 'lifecycle.violations': 3 },
      }),
    });
    const { code, out } = compare(base, current);
    assert.equal(code, 1, out);
    assert.match(
      out,
      /^✗\s+http\.requests\s+rate\s+\S+\/s\s+\S+\/s\s+-\d\d\.\d%\s+\[-\d+\.\d%, -\d+\.\d%\]/m,
      'throughput halved',
    );
    assert.match(
      out,
      /^✗\s+lifecycle\.violations\s+rate\s+0\.00\/s\s+\S+\/s\s+new\s+\[\+\d+\.\d%, \+∞\]\s+0\/\d+$/m,
      'new violations from none',
    );
    assert.doesNotMatch(out, /[✗✓]\s+runs\.completed/);
    assert.match(
      out,
      /^note: counter rates are per second of steady state: baseline seconds 3–17 \(14 s at peak users\)/m,
    );
  });

  test('/1 and /2 summaries are both read; mixing them says why isolation counts do not compare', () => {
    // The real run writes /2; a /1 document is what earlier versions wrote: no isolation verdict, no coverage.
    const v2 = baseFile;
    assert.equal(real.schema, 'crosstalk.summary/2');
    const v1 = variant('v1', (s) => {
      (s as { schema: string }).schema = 'crosstalk.summary/1';
      delete (s as unknown as { isolation: { verdict?: string } }).isolation.verdict;
      delete (s as unknown as { coverage?: object }).coverage;
    });
    assert.equal(compare(v1, v1).code, 0);
    const { code, out } = compare(v1, v2);
    assert.equal(code, 0, out);
    assert.match(
      out,
      /^note: the baseline is crosstalk\.summary\/1 and the current run crosstalk\.summary\/2: isolation counts are not comparable/m,
    );
    const untested = variant('untested', (s) => {
      (s as { schema: string }).schema = 'crosstalk.summary/2';
      (s as { verdict: string }).verdict = 'untested';
      (s as unknown as { isolation: { verdict: string } }).isolation.verdict = 'untested';
    });
    const u = compare(v2, untested);
    assert.equal(u.code, 0, u.out);
    assert.match(u.out, /^note: the current run's verdict is untested: its figures do not describe a working target$/m);
    assert.match(
      u.out,
      /^\?\s+isolation\s+violations\s+0\s+0\s+0\.0%\s+inconclusive: isolation untested in the current run$/m,
    );
  });

  test('bad tolerance, confidence and format are input errors', () => {
    for (const tolerance of ['abc', '-5%', '10%%', '']) {
      assert.throws(() => compare(baseFile, baseFile, { tolerance }), isInputError(/--tolerance/), tolerance);
    }
    assert.throws(
      () => compare(baseFile, baseFile, { tolerance: '10' }),
      isInputError(/--tolerance "10" is ambiguous/),
    );
    for (const confidence of ['high', '50%', '100%', '1', '0.5', '']) {
      assert.throws(() => compare(baseFile, baseFile, { confidence }), isInputError(/--confidence/), confidence);
    }
    assert.throws(
      () => compare(baseFile, baseFile, { confidence: '95' }),
      isInputError(/--confidence "95" is ambiguous/),
    );
    assert.throws(() => compare(baseFile, baseFile, { format: 'html' }), isInputError(/--format "html"/));
  });

  test('missing, non-JSON, foreign and incomplete files are input errors naming the file', () => {
    const missing = join(dir, 'nope', 'summary.json');
    assert.throws(
      () => compare(missing, baseFile),
      isInputError(new RegExp(`baseline summary ${escape(missing)}: no such file`)),
    );
    assert.throws(() => compare(baseFile, missing), isInputError(new RegExp(`current summary ${escape(missing)}`)));
    const notJson = join(dir, 'garbage.json');
    writeFileSync(notJson, '{ not json');
    assert.throws(
      () => compare(baseFile, notJson),
      isInputError(new RegExp(`${escape(notJson)} \\(current\\) is not JSON`)),
    );
    const foreign = write('foreign', { schema: 'k6.summary', metrics: {} });
    assert.throws(
      () => compare(foreign, baseFile),
      isInputError(
        new RegExp(
          `${escape(foreign)} \\(baseline\\) is not a crosstalk summary: schema is "k6.summary", expected "crosstalk.summary/1" or "crosstalk.summary/2"`,
        ),
      ),
    );
    const future = variant('future', (s) => {
      (s as { schema: string }).schema = 'crosstalk.summary/3';
    });
    assert.throws(() => compare(baseFile, future), isInputError(/schema is "crosstalk\.summary\/3"/));
    const partial = variant('partial', (s) => {
      delete (s as Partial<Mutable<Summary>>).errors;
    });
    assert.throws(() => compare(baseFile, partial), isInputError(/incomplete crosstalk summary: missing errors\.rate/));
  });

  test('the CLI exits 3 on a foreign schema or a bad --confidence, with a sentence and no stack', async () => {
    const foreign = write('foreign-cli', { schema: 'k6.summary', metrics: {} });
    const bad = await simulate(['compare', foreign, baseFile], 30_000);
    assert.equal(bad.code, 3, bad.output);
    assert.match(bad.output, /is not a crosstalk summary: schema is "k6\.summary"/);
    assert.doesNotMatch(bad.output, STACK_LINE, 'no stack trace');
    const conf = await simulate(['compare', baseFile, baseFile, '--confidence', '42%'], 30_000);
    assert.equal(conf.code, 3, conf.output);
    assert.match(conf.output, /--confidence "42%" is out of range; expected 80% to 99\.9%/);
    const ok = await simulate(['compare', baseFile, baseFile, '--confidence', '0.9'], 30_000);
    assert.equal(ok.code, 0, ok.output);
  });
});

function load(file: string): ComparableSummary {
  return JSON.parse(readFileSync(file, 'utf8')) as ComparableSummary;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
