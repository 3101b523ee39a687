// Bad input through the real CLI: every malformed scenario of the corpus
// (test/fixtures/bad, one `simulate validate` over all of them) and flag
// combinations of run, validate, serve, compare, merge and report, one child
// process each. Each must exit 3 with a message naming the file (line and
// YAML path when it is about a file's content) or the flag, and what was
// expected, and must never show a stack trace or an internal error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BAD_EXPECTED, BAD_FILES } from '../helpers/bad-fixtures.js';
import { cleanup, crashSign, tempDir } from './cli.js';
import { type CliResult, envWithout, runCli } from '../helpers/cli.js';

const BAD_REL = 'test/fixtures/bad';
const expected = BAD_EXPECTED;
const fixtures = BAD_FILES;

/** Files the flag cases use, made once. */
interface Ctx {
  readonly dir: string;
  /** A valid, tiny scenario on the embedded target. */
  readonly scenario: string;
  /** summary.json of one real run of it, and its folder. */
  readonly summary: string;
  readonly realDir: string;
  /** A results folder path that does not exist yet (new each call). */
  fresh(): string;
  /** `simulate validate` over every fixture at once. */
  readonly validate: CliResult;
}

let ctx: Ctx;
const UNSET_VAR = 'CROSSTALK_HARDENING_UNSET_SECRET';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const TINY = `name: hardening-tiny
cohorts:
  c:
    users: 1
    duration: 500ms
    flow: [connect, { idle: 200ms }, disconnect]
thresholds:
  ws.connect: ["p(95) < 5s"]
`;

/** One CLI invocation that must be refused as bad input. */
interface Row {
  readonly name: string;
  readonly args: (c: Ctx) => string[];
  readonly env?: (c: Ctx) => NodeJS.ProcessEnv;
  /** Each must match stdout + stderr: the file or flag, and what was expected. */
  readonly expect: ReadonlyArray<(c: Ctx) => RegExp>;
  /** None may match. */
  readonly reject?: ReadonlyArray<(c: Ctx) => RegExp>;
}

const re = (r: RegExp) => (): RegExp => r;
const file =
  (f: (c: Ctx) => string) =>
  (c: Ctx): RegExp =>
    new RegExp(esc(f(c)));

const rows: Row[] = [
  // run: flags
  {
    name: 'run --segment 4/4 (I not below N)',
    args: (c) => ['run', c.scenario, '--segment', '4/4', '--out', c.fresh()],
    expect: [re(/--segment 4\/4/), re(/I counts from 0, so it runs from 0 to N-1 \(0 to 3 here\)/)],
  },
  {
    name: 'run --segment x',
    args: (c) => ['run', c.scenario, '--segment', 'x', '--out', c.fresh()],
    expect: [re(/--segment/), re(/expected I\/N, share I of N counted from 0 .*, got "x"/)],
  },
  {
    name: 'run --segment 1/0',
    args: (c) => ['run', c.scenario, '--segment', '1/0', '--out', c.fresh()],
    expect: [re(/--segment 1\/0/), re(/N must be at least 1/)],
  },
  {
    name: 'run --workers 0',
    args: (c) => ['run', c.scenario, '--workers', '0', '--out', c.fresh()],
    expect: [re(/--workers/), re(/expected a positive whole number, got "0"/)],
  },
  {
    name: 'run --workers abc',
    args: (c) => ['run', c.scenario, '--workers', 'abc', '--out', c.fresh()],
    expect: [re(/--workers/), re(/expected a positive whole number, got "abc"/)],
  },
  {
    name: 'run --workers 2.5',
    args: (c) => ['run', c.scenario, '--workers', '2.5', '--out', c.fresh()],
    expect: [re(/--workers/), re(/expected a positive whole number, got "2\.5"/)],
  },
  {
    name: 'run --start-at "yesterday-ish garbage"',
    args: (c) => ['run', c.scenario, '--start-at', 'yesterday-ish garbage', '--out', c.fresh()],
    expect: [re(/--start-at/), re(/expected an ISO time/), re(/yesterday-ish garbage/)],
  },
  {
    name: 'run --set nonsense',
    args: (c) => ['run', c.scenario, '--set', 'nonsense', '--out', c.fresh()],
    expect: [re(/--set/), re(/"nonsense" is not path=value/)],
  },
  {
    name: 'run --set =1 (no path)',
    args: (c) => ['run', c.scenario, '--set', '=1', '--out', c.fresh()],
    expect: [re(/--set/), re(/not path=value/)],
  },
  {
    name: 'run --set past the end of a list',
    args: (c) => ['run', c.scenario, '--set', 'cohorts.c.flow[9]=connect', '--out', c.fresh()],
    expect: [re(/--set/), re(/index 9 is past the end of a list of 3/)],
  },
  {
    name: 'run --set cohorts.nope.users=1 (a cohort the file does not have)',
    args: (c) => ['run', c.scenario, '--set', 'cohorts.nope.users=1', '--out', c.fresh()],
    expect: [file((c) => c.scenario), re(/cohorts\.nope/), re(/required|no cohort|unknown cohort/)],
  },
  {
    name: 'run --set cohorts.nope.users=1 blames --set, not a line of the file that does not hold it',
    args: (c) => ['run', c.scenario, '--set', 'cohorts.nope.users=1', '--out', c.fresh()],
    expect: [re(/--set/), re(/nope/)],
    reject: [(c) => new RegExp(`${esc(c.scenario)}:\\d+:\\d+: cohorts\\.nope`)],
  },
  {
    name: 'run --target ftp://x',
    args: (c) => ['run', c.scenario, '--target', 'ftp://x', '--out', c.fresh()],
    expect: [re(/target\.url/), re(/expected a http or https URL/), re(/"ftp:\/\/x"/)],
  },
  {
    name: 'run --target ftp://x names --target, not a line of the file',
    args: (c) => ['run', c.scenario, '--target', 'ftp://x', '--out', c.fresh()],
    expect: [re(/--target/), re(/expected a http or https URL/)],
    reject: [(c) => new RegExp(`${esc(c.scenario)}:\\d+:\\d+: target\\.url`)],
  },
  {
    name: 'run --target over a scenario whose target is a string',
    args: () => ['run', `${BAD_REL}/target-not-a-mapping.yaml`, '--target', 'http://127.0.0.1:9', '--out', ctx.fresh()],
    expect: [re(/target-not-a-mapping\.yaml/), re(/target/), re(/mapping/)],
  },
  {
    name: 'run --set with a bad escape in a quoted key',
    args: (c) => ['run', c.scenario, '--set', 'thresholds["run.total\\q"]=["p(95) < 1s"]', '--out', c.fresh()],
    expect: [re(/--set/), re(/not path=value|escape/)],
  },
  // run: files
  {
    name: 'run a missing scenario file',
    args: (c) => ['run', join(c.dir, 'no-such-scenario.yaml'), '--out', c.fresh()],
    expect: [re(/no-such-scenario\.yaml/), re(/no such file/), re(/scenario YAML file/)],
  },
  {
    name: 'run a directory instead of a file',
    args: (c) => ['run', c.dir, '--out', c.fresh()],
    expect: [file((c) => c.dir), re(/is a directory/), re(/scenario YAML file/)],
  },
  {
    name: 'run --out into an existing non-empty folder',
    args: (c) => ['run', c.scenario, '--out', join(c.dir, 'full')],
    expect: [file((c) => join(c.dir, 'full')), re(/--out .* already holds files/), re(/new or empty folder/)],
  },
  {
    name: 'run --out naming an existing file',
    args: (c) => ['run', c.scenario, '--out', join(c.dir, 'a-file.txt')],
    expect: [re(/--out/), re(/a-file\.txt/), re(/folder|directory/)],
  },
  {
    name: 'run with target.url and auth.secretEnv naming an unset variable',
    args: (c) => ['run', join(c.dir, 'secret-unset.yaml'), '--out', c.fresh()],
    env: () => envWithout('SIM_JWT_SECRET', UNSET_VAR),
    expect: [
      re(/secret-unset\.yaml/),
      re(/auth\.secretEnv/),
      re(new RegExp(`${UNSET_VAR} is unset`)),
      re(new RegExp(`export ${UNSET_VAR}=`)),
    ],
  },
  {
    name: 'run --target with SIM_JWT_SECRET unset (the default secretEnv)',
    args: (c) => ['run', c.scenario, '--target', 'http://127.0.0.1:9', '--out', c.fresh()],
    env: () => envWithout('SIM_JWT_SECRET'),
    expect: [file((c) => c.scenario), re(/auth\.secretEnv/), re(/SIM_JWT_SECRET is unset/)],
  },
  // validate
  {
    name: 'validate a missing file',
    args: (c) => ['validate', join(c.dir, 'nope.yaml')],
    expect: [re(/nope\.yaml/), re(/no such file/)],
  },
  {
    name: 'validate a directory',
    args: (c) => ['validate', c.dir],
    expect: [file((c) => c.dir), re(/is a directory/)],
  },
  { name: 'validate with no file', args: () => ['validate'], expect: [re(/missing required argument 'scenarios'/)] },
  {
    name: 'validate an unquoted {{user}} template: a hint to quote it, and no Node warning on stderr',
    args: () => ['validate', `${BAD_REL}/template-unquoted.yaml`],
    expect: [re(/template-unquoted\.yaml:8:\d+: cohorts\.chatters\.flow\[1\]\.createThread\.title/), re(/quote/)],
    reject: [re(/\(node:\d+\) Warning/), re(/mapAsMap/)],
  },
  // serve
  {
    name: 'serve --port 99999',
    args: () => ['serve', '--port', '99999'],
    expect: [re(/--port/), re(/expected an integer 0\.\.65535, got "99999"/)],
  },
  {
    name: 'serve --port -1',
    args: () => ['serve', '--port', '-1'],
    expect: [re(/--port/), re(/expected an integer 0\.\.65535, got "-1"/)],
  },
  {
    name: 'serve --faults nope=1',
    args: () => ['serve', '--port', '0', '--faults', 'nope=1'],
    expect: [re(/--faults/), re(/unknown fault "nope"/), re(/expected one of misroute/)],
  },
  {
    name: 'serve --faults misroute=2',
    args: () => ['serve', '--port', '0', '--faults', 'misroute=2'],
    expect: [re(/--faults/), re(/probability 2 is outside 0\.\.1/)],
  },
  {
    name: 'serve --agent nope',
    args: () => ['serve', '--port', '0', '--agent', 'nope'],
    expect: [re(/--agent/), re(/expected one of instant, fast, realistic/)],
  },
  // compare
  {
    name: 'compare with a missing baseline',
    args: (c) => ['compare', join(c.dir, 'missing-baseline.json'), c.summary],
    expect: [re(/baseline summary .*missing-baseline\.json/), re(/no such file/)],
  },
  {
    name: 'compare with a missing current',
    args: (c) => ['compare', c.summary, join(c.dir, 'missing-current.json')],
    expect: [re(/current summary .*missing-current\.json/), re(/no such file/)],
  },
  {
    name: 'compare --tolerance 10 (ambiguous)',
    args: (c) => ['compare', c.summary, c.summary, '--tolerance', '10'],
    expect: [re(/--tolerance "10" is ambiguous/), re(/10%/)],
  },
  {
    name: 'compare --tolerance abc',
    args: (c) => ['compare', c.summary, c.summary, '--tolerance', 'abc'],
    expect: [re(/--tolerance "abc"/), re(/expected a percentage such as 10%/)],
  },
  {
    name: 'compare a file that is not JSON',
    args: (c) => ['compare', join(c.dir, 'not-json.json'), c.summary],
    expect: [re(/not-json\.json/), re(/is not JSON/)],
  },
  {
    name: 'compare a JSON file that is not a summary',
    args: (c) => ['compare', c.summary, join(c.dir, 'not-summary.json')],
    expect: [re(/not-summary\.json/), re(/expected "crosstalk\.summary\/1"/)],
  },
  // merge
  {
    name: 'merge without --out',
    args: (c) => ['merge', c.summary],
    expect: [re(/required option '--out <dir>' not specified/)],
  },
  {
    name: 'merge --out into an existing non-empty folder',
    args: (c) => ['merge', c.realDir, '--out', join(c.dir, 'full')],
    expect: [file((c) => join(c.dir, 'full')), re(/already holds files/)],
  },
  {
    name: 'merge a missing summary',
    args: (c) => ['merge', join(c.dir, 'missing.json'), '--out', c.fresh()],
    expect: [re(/missing\.json/), re(/no such file/)],
  },
  {
    name: 'merge a file that is not JSON',
    args: (c) => ['merge', join(c.dir, 'not-json.json'), '--out', c.fresh()],
    expect: [re(/not-json\.json/), re(/JSON/)],
  },
  {
    name: 'merge a summary that has the schema but no fields',
    args: (c) => ['merge', join(c.dir, 'schema-only', 'summary.json'), '--out', c.fresh()],
    expect: [re(/schema-only/), re(/summary/), re(/missing|incomplete|expected/)],
  },
  {
    name: 'merge a folder whose ownership.json is not JSON',
    args: (c) => ['merge', join(c.dir, 'bad-ownership'), '--out', c.fresh()],
    expect: [re(/ownership\.json/), re(/JSON/)],
  },
  {
    name: 'merge a folder whose violations.jsonl has a broken line',
    args: (c) => ['merge', join(c.dir, 'bad-violations'), '--out', c.fresh()],
    expect: [re(/violations\.jsonl/), re(/line 1|:1/)],
  },
  // report
  {
    name: 'report a missing file',
    args: (c) => ['report', join(c.dir, 'missing.json')],
    expect: [re(/missing\.json/), re(/no such file/)],
  },
  {
    name: 'report a file that is not JSON',
    args: (c) => ['report', join(c.dir, 'not-json.json')],
    expect: [re(/not-json\.json/), re(/not JSON/)],
  },
  // the command line itself
  { name: 'an unknown command', args: () => ['bogus'], expect: [re(/unknown command 'bogus'/)] },
  {
    name: 'run with an unknown option',
    args: (c) => ['run', c.scenario, '--bogus'],
    expect: [re(/unknown option '--bogus'/)],
  },
];

before(async () => {
  const dir = tempDir();
  const scenario = join(dir, 'scenario.yaml');
  writeFileSync(scenario, TINY);
  writeFileSync(
    join(dir, 'secret-unset.yaml'),
    `name: secret-unset\ntarget:\n  url: http://127.0.0.1:9\nauth:\n  kind: jwt\n  secretEnv: ${UNSET_VAR}\ncohorts:\n  c:\n    users: 1\n    duration: 1s\n    flow: [connect]\n`,
  );
  mkdirSync(join(dir, 'full'));
  writeFileSync(join(dir, 'full', 'keep.txt'), 'an earlier run\n');
  writeFileSync(join(dir, 'a-file.txt'), 'not a folder\n');
  writeFileSync(join(dir, 'not-json.json'), 'this is { not json\n');
  writeFileSync(join(dir, 'not-summary.json'), '{"hello": "world"}\n');
  mkdirSync(join(dir, 'schema-only'));
  writeFileSync(join(dir, 'schema-only', 'summary.json'), '{"schema": "crosstalk.summary/1"}\n');
  let n = 0;
  const fresh = (): string => join(dir, `out-${++n}`);

  // One real run gives a genuine summary.json for compare, merge and report.
  const realDir = join(dir, 'real');
  const [real, validate] = await Promise.all([
    runCli(['run', scenario, '--out', realDir, '--quiet'], { timeoutMs: 60_000 }),
    runCli(['validate', ...fixtures.map((f) => `${BAD_REL}/${f}`)], { timeoutMs: 60_000 }),
  ]);
  assert.equal(real.code, 0, `the tiny run failed:\n${real.stdout}\n${real.stderr}`);
  const summary = join(realDir, 'summary.json');
  for (const name of ['bad-ownership', 'bad-violations']) {
    mkdirSync(join(dir, name));
    copyFileSync(summary, join(dir, name, 'summary.json'));
  }
  writeFileSync(join(dir, 'bad-ownership', 'ownership.json'), '{"schema": "crosstalk.ownership/1", "ledger": {');
  writeFileSync(join(dir, 'bad-violations', 'violations.jsonl'), '{"time": "2026-01-01T00:00:00Z", "kind": \n');
  ctx = { dir, scenario, summary, realDir, fresh, validate };
});

after(cleanup);

test('the corpus holds at least 40 cases in all (files plus flag combinations)', () => {
  assert.ok(fixtures.length >= 40, `${fixtures.length} fixture files`);
  assert.ok(fixtures.length + rows.length >= 40 + 10, `${fixtures.length} files + ${rows.length} flag cases`);
});

describe('simulate validate over every malformed scenario at once', () => {
  test('exits 3 without a stack trace or an internal error', () => {
    const all = `${ctx.validate.stdout}${ctx.validate.stderr}`;
    assert.equal(ctx.validate.timedOut, false, 'validate hung');
    assert.equal(crashSign(all), undefined, `validate crashed:\n${all.slice(0, 3000)}`);
    assert.equal(ctx.validate.code, 3, all.slice(0, 3000));
  });

  for (const name of fixtures) {
    const exp = expected[name];
    test(`${name}: reported as ${BAD_REL}/${name}:${exp?.line}: ${exp?.path ?? '(no path)'}`, () => {
      assert.ok(exp, `${name} has no entry in expected.json`);
      const rel = `${BAD_REL}/${name}`;
      const err = ctx.validate.stderr;
      assert.doesNotMatch(ctx.validate.stdout, new RegExp(`^${esc(rel)}: ok`, 'm'), `${rel} validated as ok`);
      assert.match(err, new RegExp(`^${esc(rel)}: \\d+ problems? in the scenario$`, 'm'), 'a header naming the file');
      const lines = err.split('\n').filter((l) => l.startsWith(`  ${rel}:`));
      const texts = typeof exp.messageIncludes === 'string' ? [exp.messageIncludes] : exp.messageIncludes;
      const prefix = `  ${rel}:${exp.line}:`;
      const hit = lines.find(
        (l) =>
          l.startsWith(prefix) &&
          /^\d+: /.test(l.slice(prefix.length)) &&
          (exp.path === null || l.includes(`: ${exp.path}: `)) &&
          texts.some((t) => l.includes(t)),
      );
      assert.ok(
        hit,
        `expected a line "${prefix}<col>: ${exp.path ?? ''}: ...${JSON.stringify(texts)}..."; got:\n${lines.join('\n')}`,
      );
    });
  }
});

describe('flag combinations through the CLI', { concurrency: 3 }, () => {
  for (const row of rows) {
    test(row.name, async () => {
      const args = row.args(ctx);
      const r = await runCli(args, { timeoutMs: 20_000, ...(row.env ? { env: row.env(ctx) } : {}) });
      const all = `${r.stdout}${r.stderr}`;
      const shown = `simulate ${args.map((a) => JSON.stringify(a)).join(' ')}\nexit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout.slice(0, 2000)}\n--- stderr\n${r.stderr.slice(0, 2000)}`;
      assert.equal(r.timedOut, false, `did not end within 20 s\n${shown}`);
      assert.equal(crashSign(all), undefined, `crashed instead of reporting bad input: ${crashSign(all)}\n${shown}`);
      assert.equal(r.code, 3, `exit code\n${shown}`);
      for (const want of row.expect) assert.match(all, want(ctx), shown);
      for (const bad of row.reject ?? []) assert.doesNotMatch(all, bad(ctx), shown);
    });
  }
});
