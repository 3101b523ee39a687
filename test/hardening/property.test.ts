// Property: whatever text it gets, compileScenarioText returns a Scenario or
// throws SimError('INPUT') whose problems each have a message and name the
// file. Cases are seeded mutations of the shipped scenarios (and valid ones
// with random --set/--target), run in a worker thread under a watchdog so a
// hang fails the test instead of stalling it.
//
// Reproduce a failure: HARDENING_SEED=<run seed> node --test dist/test/hardening/property.test.js
// (every failure prints its run seed, case index, case seed, mutations and text).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { compileScenarioText } from '../../src/config/load-scenario.js';
import { SimError } from '../../src/core/sim-error.js';
import { cleanup, crashSign, mapLimit, tempDir } from './cli.js';
import { ROOT, runCli } from '../helpers/cli.js';
import type { Source } from './mutate.js';
import { buildCase, type CaseInfo, type PropertyJob } from './property-cases.js';
import { findNonFinite } from './property-check.js';
import type { PropertyMessage } from './property-worker.js';

const RUN_SEED = process.env.HARDENING_SEED ? Number(process.env.HARDENING_SEED) : 0x5eed_c0de;
const MUTANTS = 600;
const OVERRIDES = 200;
/** A single compile taking longer than this is a hang. */
const HANG_MS = 10_000;
const FILE = 'mutant-scenario.yaml';

const SCENARIOS_DIR = join(ROOT, 'scenarios');
const sources: Source[] = readdirSync(SCENARIOS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(SCENARIOS_DIR, f), 'utf8') }));

type Done = Extract<PropertyMessage, { type: 'done' }>;

interface Outcome {
  readonly done: Done[];
  readonly hang?: { readonly case: CaseInfo; readonly afterMs: number };
  readonly workerError?: string;
  readonly ms: number;
}

let outcome: Outcome;

function runJob(job: PropertyJob): Promise<Outcome> {
  const started = performance.now();
  const worker = new Worker(new URL('./property-worker.js', import.meta.url), { workerData: job });
  const done: Done[] = [];
  let current = -1;
  let lastAt = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (extra: Partial<Outcome>): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve({ done, ms: performance.now() - started, ...extra });
    };
    const watchdog = setInterval(() => {
      const quiet = performance.now() - lastAt;
      if (quiet > HANG_MS && current >= 0) finish({ hang: { case: buildCase(job, current), afterMs: quiet } });
    }, 250);
    worker.on('message', (m: PropertyMessage) => {
      lastAt = performance.now();
      if (m.type === 'begin') current = m.i;
      else if (m.type === 'done') done.push(m);
      else finish({});
    });
    worker.on('error', (err) => finish({ workerError: `${err.name}: ${err.message}\n${err.stack ?? ''}` }));
    worker.on('exit', (code) => finish(code === 0 ? {} : { workerError: `worker exited with ${code}` }));
  });
}

/** A failing case as it must be printed: enough to replay it. */
function show(d: Done): string {
  const c = d.case;
  const text = c?.text ?? '(text not kept)';
  return [
    `--- case ${d.i} (${d.mode}) of run seed ${RUN_SEED} (HARDENING_SEED=${RUN_SEED}); case seed ${c?.seed}; source ${c?.source}`,
    `ops: ${d.ops.join('; ')}`,
    d.why ? `why: ${d.why}` : '',
    d.nonFinite ? `non-finite: ${d.nonFinite.join(', ')}` : '',
    `text (${text.length} chars):`,
    text.length > 6000 ? `${text.slice(0, 6000)}\n...[${text.length - 6000} more chars]` : text,
  ]
    .filter(Boolean)
    .join('\n');
}

before(async () => {
  assert.ok(sources.length >= 1, 'no scenarios to mutate');
  outcome = await runJob({ sources, runSeed: RUN_SEED, mutants: MUTANTS, overrides: OVERRIDES, file: FILE });
});

after(cleanup);

describe(`compileScenarioText under seeded mutation (run seed ${RUN_SEED})`, () => {
  test('the worker ran every case without hanging', () => {
    assert.equal(outcome.workerError, undefined, outcome.workerError);
    if (outcome.hang) {
      const c = outcome.hang.case;
      assert.fail(
        `case ${c.i} (${c.mode}) has not returned after ${Math.round(outcome.hang.afterMs)} ms: a hang.\nrun seed ${RUN_SEED}, case seed ${c.seed}, source ${c.source}\nops: ${c.ops.join('; ')}\ntext:\n${c.text}`,
      );
    }
    assert.equal(outcome.done.length, MUTANTS + OVERRIDES);
  });

  test(`at least 500 mutated texts (${MUTANTS}): each a Scenario or SimError('INPUT') with messages naming "${FILE}"`, () => {
    const mutants = outcome.done.filter((d) => d.mode === 'mutant');
    assert.ok(mutants.length >= 500, `only ${mutants.length} mutants ran`);
    const broken = mutants.filter((d) => d.kind === 'broken');
    assert.equal(
      broken.length,
      0,
      `${broken.length} mutant(s) broke the promise:\n${broken.slice(0, 5).map(show).join('\n\n')}`,
    );
    // The mix is sane: most mutants are refused, some still compile.
    const kinds = {
      scenario: mutants.filter((d) => d.kind === 'scenario').length,
      input: mutants.filter((d) => d.kind === 'input').length,
    };
    assert.ok(
      kinds.input > mutants.length / 3 && kinds.scenario > 0,
      `an odd mix of outcomes: ${JSON.stringify(kinds)}`,
    );
    // Every kind of mutation was tried, many times.
    for (const op of [
      'deleteKey',
      'renameKey',
      'replaceValue',
      'duplicateKey',
      'nestDeeper',
      'truncate',
      'insertChar',
      'swapLines',
    ]) {
      const n = mutants.filter((d) => d.ops.some((o) => o.startsWith(op))).length;
      assert.ok(n >= 20, `only ${n} mutants used ${op}`);
    }
    const slowest = Math.max(...mutants.map((d) => d.ms));
    assert.ok(slowest < 2000, `one compile took ${Math.round(slowest)} ms`);
  });

  test(`valid scenarios with random --set and --target (${OVERRIDES}): a Scenario or SimError('INPUT') (problems name the file or --set)`, () => {
    const cases = outcome.done.filter((d) => d.mode === 'overrides');
    const broken = cases.filter((d) => d.kind === 'broken');
    assert.equal(
      broken.length,
      0,
      `${broken.length} case(s) broke the promise:\n${broken.slice(0, 5).map(show).join('\n\n')}`,
    );
  });

  test('the whole job stayed within its time budget', (t) => {
    const count = (mode: string, kind: string): number =>
      outcome.done.filter((d) => d.mode === mode && d.kind === kind).length;
    t.diagnostic(
      `${Math.round(outcome.ms)} ms; mutants: ${count('mutant', 'scenario')} compiled, ${count('mutant', 'input')} refused; overrides: ${count('overrides', 'scenario')} compiled, ${count('overrides', 'input')} refused, ${count('overrides', 'broken')} broken`,
    );
    assert.ok(outcome.ms < 60_000, `took ${Math.round(outcome.ms)} ms`);
  });
});

describe('cases the property found, kept as regression tests', () => {
  test('a compiled Scenario holds no NaN or Infinity', () => {
    const huge = `${'9'.repeat(400)}`;
    const text = `name: x\ncohorts:\n  c:\n    users: 2\n    duration: ${huge}s\n    flow: [connect]\n  o:\n    model: open\n    rate: ${huge}/s\n    duration: 5s\n    flow: [connect]\n`;
    let found: string[] = [];
    try {
      found = findNonFinite(compileScenarioText(text, FILE));
    } catch (err) {
      if (!(err instanceof SimError && err.code === 'INPUT')) throw err;
    }
    const fromFuzz = outcome.done.filter((d) => d.nonFinite?.length);
    assert.deepEqual(found, [], `Infinity compiled: ${found.join(', ')}`);
    assert.equal(
      fromFuzz.length,
      0,
      `${fromFuzz.length} fuzz case(s) compiled to non-finite numbers:\n${fromFuzz.slice(0, 2).map(show).join('\n\n')}`,
    );
  });

  test('a --set path with a bad escape in a quoted key is an input error, not a SyntaxError', () => {
    const text = sources.find((s) => s.name === 'smoke.yaml')?.text ?? sources[0]!.text;
    for (const spec of ['thresholds["run.total\\q"]=["p(95) < 1s"]', '["\\x"]=1', 'cohorts["a\\u12"].users=1']) {
      assert.throws(
        () => compileScenarioText(text, FILE, { set: [spec] }),
        (err: unknown) => err instanceof SimError && err.code === 'INPUT',
        `--set ${spec}`,
      );
    }
  });

  test('--target over a scenario whose target is not a mapping is an input error', () => {
    for (const target of ['http://127.0.0.1:8080', '[a, b]']) {
      const text = `name: x\ntarget: ${target}\ncohorts:\n  c:\n    users: 1\n    duration: 1s\n    flow: [connect]\n`;
      assert.throws(
        () => compileScenarioText(text, FILE, { targetUrl: 'http://127.0.0.1:9' }),
        (err: unknown) => err instanceof SimError && err.code === 'INPUT',
        `target: ${target}`,
      );
    }
  });
});

describe('mutants through the CLI', () => {
  test('10 mutants through `simulate validate`: exit 0 when they compile, 3 when not, never a stack trace', async () => {
    const dir = tempDir();
    // A fixed mix: mutants that compiled and mutants that were refused, spread over the run.
    const mutants = outcome.done.filter((d) => d.mode === 'mutant');
    const ok = mutants.filter((d) => d.kind === 'scenario').slice(0, 3);
    const refused = mutants.filter((d) => d.kind === 'input');
    const step = Math.max(1, Math.floor(refused.length / 7));
    const picked = [...ok, ...refused.filter((_, k) => k % step === 0).slice(0, 10 - ok.length)];
    assert.equal(picked.length, 10);
    const job = { sources, runSeed: RUN_SEED, mutants: MUTANTS };
    const results = await mapLimit(picked, 2, async (d) => {
      const c = buildCase(job, d.i);
      const file = join(dir, `mutant-${d.i}.yaml`);
      writeFileSync(file, c.text);
      const r = await runCli(['validate', file], { timeoutMs: 20_000 });
      return { d, c, r };
    });
    const bad: string[] = [];
    for (const { d, c, r } of results) {
      const all = `${r.stdout}${r.stderr}`;
      const want = d.kind === 'scenario' ? 0 : 3;
      const sign = crashSign(all);
      if (r.timedOut || sign || r.code !== want) {
        bad.push(
          `case ${d.i} (seed ${c.seed}, ${c.ops.join('; ')}): exit ${r.code}, expected ${want}${r.timedOut ? ', timed out' : ''}${sign ? `, ${sign}` : ''}\n${all.slice(0, 1500)}\ntext:\n${c.text}`,
        );
      }
    }
    assert.equal(bad.length, 0, bad.join('\n\n'));
  });
});
