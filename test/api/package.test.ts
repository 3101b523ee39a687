// The package as a team installs it: `npm pack`, installed into a fresh project, a TypeScript
// consumer type-checked with tsc (the repository's own) and run, and the README's library
// examples type-checked and run as written (node:test, and vitest from the repository's devDependencies)
// against the installed copy.
//
// Offline: the project gets a lock file made from this repository's (crosstalk's dependencies
// at the versions `npm ci` installed here), so `npm ci --offline` takes every package from the
// npm cache that the repository's own `npm ci` filled, the same requests for fewer packages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { startTarget, type AgentTiming } from '../../src/index.js';
import { ROOT } from '../helpers/cli.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

interface PackageJson {
  name: string;
  version: string;
  license: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
}
interface LockEntry {
  dev?: boolean;
}

/** npm's own variables of an enclosing `npm test` would steer the inner npm (prefix, scripts, package); its cache and registry stay. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !/^npm_config_(cache|userconfig|registry)$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
}

/** As {@link run}, without blocking this process: the reference target the child drives runs in it. */
function runAsync(
  cmd: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<SpawnSyncReturns<string>> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status, signal) =>
      resolve({ pid: child.pid ?? 0, output: [null, stdout, stderr], stdout, stderr, status, signal }),
    );
    child.on('error', (error) =>
      resolve({ pid: 0, output: [null, stdout, stderr], stdout, stderr, status: null, signal: null, error }),
    );
  });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.error, undefined, `${what}: ${r.error?.message}`);
  assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The fenced blocks of one language in the README's "Use it as a library" section. */
function readmeExamples(lang: 'js' | 'ts'): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Use it as a library\n');
  assert.ok(start >= 0, 'README has a "Use it as a library" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

const VITEST = join(ROOT, 'node_modules/vitest');

/** The scenario file the README's vitest example loads (`load/release.yaml`), as a team would keep it. */
const RELEASE_YAML = `name: release
auth: { kind: jwt, delivery: subprotocol }
cohorts:
  chatters:
    users: 3
    duration: 3s
    gracefulStop: 5s
    flow:
      - connect
      - createThread
      - sendMessage: { content: "Hi from {{user}}", timeout: 10s }
      - think: 100ms
thresholds:
  errors: ["rate < 0.01"]
  isolation.violations: ["count == 0"]
  run.total: ["p(95) < 10s"]
`;

/** The last release's agent: every step 60 ms slower than the 'fast' preset, so the candidate is never slower. */
const LAST_RELEASE_AGENT: AgentTiming = {
  firstEventMs: [65, 80],
  thinkingSteps: [1, 2],
  thinkingMs: [65, 80],
  toolCalls: [0, 1],
  toolStartMs: [65, 80],
  toolMs: [65, 80],
  finalMs: [65, 80],
};

/** The consumer: every export used with its types, `@ts-expect-error` where the types must refuse, and one run against a leaky target. */
const CONSUMER_TS = `
import assert from 'node:assert/strict';
import {
  compareSummaries, compileScenario, EXIT_CODE, formatComparisonTable, formatSummary, loadScenario, mergeResults, runScenario,
  SimError, startTarget, type ReferenceTarget, type ScenarioDefinition, type ScenarioResult, type Summary,
} from 'crosstalk';

const definition: ScenarioDefinition = {
  name: 'consumer',
  cohorts: {
    chatters: {
      users: 2, duration: '2s', gracefulStop: '3s',
      flow: ['connect', 'createThread', { sendMessage: { content: 'Hello from {{user}}', timeout: '5s' } }, { think: '100ms' }],
    },
  },
  thresholds: { 'isolation.violations': ['count == 0'], errors: [{ threshold: 'rate < 0.5', abortOnFail: false }] },
};
// @ts-expect-error durations are text such as '2s'
const numericDuration: ScenarioDefinition = { name: 'x', cohorts: { c: { users: 1, duration: 2, flow: ['connect'] } } };
// @ts-expect-error 'conect' is not a step
const misspelledStep: ScenarioDefinition = { name: 'x', cohorts: { c: { users: 1, duration: '1s', flow: ['conect'] } } };
void numericDuration; void misspelledStep;

const target: ReferenceTarget = await startTarget({ port: 0, faults: { misroute: 0.3 } });
try {
  const result: ScenarioResult = await runScenario(compileScenario(definition, { targetUrl: target.url }), {
    env: { SIM_JWT_SECRET: target.secret }, out: 'results/leaky', workers: 1,
  });
  // @ts-expect-error the verdict is 'pass', 'fail' or 'untested': no overlap with 'passed'
  if (result.verdict === 'passed') throw new Error('unreachable');
  const summary: Summary = result.summary;
  const comparison = compareSummaries(result.resultsDir, summary, { tolerance: '10%' });
  const merged = mergeResults([result.resultsDir], { out: 'results/merged' });
  let inputError = '';
  try {
    loadScenario('missing.yaml');
  } catch (err) {
    if (err instanceof SimError) inputError = err.code;
  }
  console.log(JSON.stringify({
    exitCode: result.exitCode, isolationExit: EXIT_CODE.isolation, verdict: result.verdict, violations: summary.isolation.violations,
    leaked: target.leaks().total, comparison: comparison.verdict, comparisonText: formatComparisonTable(comparison).includes('no regression'),
    merged: merged.exitCode, inputError, summaryText: formatSummary(summary).includes('violated'),
  }));
} finally {
  await target.close();
}
`;

describe('the packed package, installed', () => {
  let project = '';
  let packedFiles: string[] = [];

  before(() => {
    project = join(makeTempDir('crosstalk-consumer-'), 'project');
    mkdirSync(project);
    // The build already ran (npm test builds first): no prepare script here.
    const packed = JSON.parse(
      ok(
        run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], ROOT, 60_000, npmEnv()),
        'npm pack',
      ),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = packed[0]!.filename;
    packedFiles = packed[0]!.files.map((f) => f.path);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    const integrity = `sha512-${createHash('sha512')
      .update(readFileSync(join(project, tarball)))
      .digest('base64')}`;
    const packages: Record<string, unknown> = {
      '': { name: 'consumer', dependencies: { crosstalk: `file:${tarball}` } },
      'node_modules/crosstalk': {
        version: pkg.version,
        resolved: `file:${tarball}`,
        integrity,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
    };
    for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        { name: 'consumer', private: true, type: 'module', dependencies: { crosstalk: `file:${tarball}` } },
        null,
        2,
      ),
    );
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }, null, 2),
    );
    const install = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project, 120_000, npmEnv());
    assert.ok(
      !/ENOTCACHED/.test(install.stderr),
      `npm ci --offline found a package missing from npm's cache; run \`npm ci\` in the repository first (it fills the cache):\n${install.stderr}`,
    );
    ok(install, 'npm ci --offline of the packed tarball');

    // vitest comes from the repository's devDependencies, as a team's own install would bring it.
    symlinkSync(VITEST, join(project, 'node_modules/vitest'), 'dir');
    mkdirSync(join(project, 'load'));
    writeFileSync(join(project, 'load/release.yaml'), RELEASE_YAML);
    const [nodeExample] = readmeExamples('js');
    const [vitestExample] = readmeExamples('ts');
    assert.ok(nodeExample && vitestExample, 'the README shows a node:test (js) and a vitest (ts) example');
    writeFileSync(join(project, 'readme-node.test.mjs'), nodeExample);
    // The same text as TypeScript: the js example type-checks against the declarations too.
    writeFileSync(join(project, 'readme-node.test.ts'), nodeExample);
    writeFileSync(join(project, 'readme-vitest.test.ts'), vitestExample);
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2022'],
            strict: true,
            // A consumer brings its own @types/node; the repository's stands in when no dependency brought one.
            types: ['node'],
            typeRoots: [join(project, 'node_modules/@types'), join(ROOT, 'node_modules/@types')],
            // crosstalk's own declarations are checked too, as a consumer with default settings would.
            skipLibCheck: false,
            outDir: 'out',
            rootDir: '.',
          },
          files: ['consumer.ts', 'readme-node.test.ts'],
        },
        null,
        2,
      ),
    );
    // vite's declarations name DOM types (Worker) that a Node project's lib lacks, so a vitest project skips
    // library checks, as vitest's own starter does; crosstalk's declarations are still checked above.
    writeFileSync(
      join(project, 'tsconfig.vitest.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { skipLibCheck: true, noEmit: true },
        files: ['readme-vitest.test.ts'],
      }),
    );
  });

  after(removeTempDirs);

  test('the tarball holds the library, its declarations, the CLI bundle and no tests or sources', () => {
    for (const f of [
      'package.json',
      'bin/simulate',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/runtime/shard-worker.js',
      'dist/bundle/simulate.js',
      'adapters/crosstalk.yaml',
    ]) {
      assert.ok(packedFiles.includes(f), `${f} is packed`);
    }
    assert.deepEqual(
      packedFiles.filter((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/')),
      [],
    );
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/crosstalk/package.json'), 'utf8')) as {
      exports: Record<string, { types: string; import: string }>;
    };
    assert.deepEqual(installed.exports['.'], { types: './dist/src/index.d.ts', import: './dist/src/index.js' });
  });

  test('a TypeScript consumer and the README examples type-check against the installed declarations', () => {
    ok(run(process.execPath, [TSC, '-p', 'tsconfig.json'], project, 120_000), 'tsc');
    assert.ok(existsSync(join(project, 'out/consumer.js')));
    ok(run(process.execPath, [TSC, '-p', 'tsconfig.vitest.json'], project, 120_000), 'tsc (the vitest example)');
  });

  test('the consumer runs a scenario through the API against the reference target on port 0', () => {
    const r = ok(run(process.execPath, ['out/consumer.js'], project, 90_000), 'node out/consumer.js');
    const got = JSON.parse(r.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.equal(got.exitCode, 2, r);
    assert.equal(got.isolationExit, 2);
    assert.equal(got.verdict, 'fail');
    assert.ok((got.violations as number) > 0 && (got.leaked as number) > 0, r);
    assert.equal(got.comparison, 'ok');
    assert.equal(got.comparisonText, true);
    assert.equal(got.merged, 2);
    assert.equal(got.inputError, 'INPUT');
    assert.equal(got.summaryText, true);
  });

  test("the README's node:test example passes as written, on the embedded target of the installed package", () => {
    // An inner `node --test` that sees this runner's NODE_TEST_CONTEXT reports to it instead of running as a user's would.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const out = ok(
      run(process.execPath, ['--test', '--test-reporter=tap', 'readme-node.test.mjs'], project, 90_000, env),
      'node --test readme-node.test.mjs',
    );
    assert.match(out, /^# pass 1$/m, out);
    assert.match(out, /^# fail 0$/m, out);
    const results = readdirSync(join(project, 'results')).filter((d) => d.endsWith('-release-gate'));
    assert.equal(
      results.length,
      1,
      `one results folder of its run: ${readdirSync(join(project, 'results')).join(', ')}`,
    );
    const summary = JSON.parse(readFileSync(join(project, 'results', results[0]!, 'summary.json'), 'utf8')) as {
      verdict: string;
      target: { embedded: boolean };
    };
    assert.equal(summary.verdict, 'pass');
    assert.equal(summary.target.embedded, true);
  });

  test("the README's vitest example passes against a target no slower than its baseline, and fails on a leaky one", async () => {
    // An inner runner that sees this runner's NODE_TEST_CONTEXT reports to it instead of running as a user's would.
    // CI machines often set FORCE_COLOR, and vitest's colour codes would split the text the checks read.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.NODE_TEST_CONTEXT;
    delete env.FORCE_COLOR;
    const lastRelease = await startTarget({ port: 0, agent: LAST_RELEASE_AGENT });
    try {
      ok(
        await runAsync(
          join(project, 'node_modules/.bin/simulate'),
          ['run', 'load/release.yaml', '--target', lastRelease.url, '--out', 'load/baseline'],
          project,
          90_000,
          { ...env, SIM_JWT_SECRET: lastRelease.secret },
        ),
        'simulate run load/release.yaml (the baseline)',
      );
    } finally {
      await lastRelease.close();
    }

    const vitest = async (faults: { misroute?: number }): Promise<SpawnSyncReturns<string>> => {
      const staging = await startTarget({ port: 0, faults });
      try {
        return await runAsync(
          process.execPath,
          [join(VITEST, 'vitest.mjs'), 'run', 'readme-vitest.test.ts', '--reporter=verbose', '--no-color'],
          project,
          240_000,
          { ...env, STAGING_URL: staging.url, SIM_JWT_SECRET: staging.secret },
        );
      } finally {
        await staging.close();
      }
    };
    const clean = await vitest({});
    const cleanOut = stripVTControlCharacters(ok(clean, 'vitest run readme-vitest (a clean candidate)'));
    assert.match(cleanOut, /Tests\s+1 passed \(1\)/, cleanOut);

    const leaky = await vitest({ misroute: 0.3 });
    assert.equal(leaky.status, 1, `vitest fails the leaky candidate:\n${leaky.stdout}\n${leaky.stderr}`);
    const leakyOut = stripVTControlCharacters(leaky.stdout + leaky.stderr);
    assert.match(leakyOut, /Tests\s+1 failed \(1\)/, leakyOut);
    // The failure names the verdict and why, as the example's message asks.
    assert.match(leakyOut, /expected 'fail' to be 'pass'/, leakyOut);
    assert.match(leakyOut, /isolation\.violations/, leakyOut);
  });

  test('the installed bin runs', () => {
    const version = ok(
      run(join(project, 'node_modules/.bin/simulate'), ['--version'], project, 30_000),
      'simulate --version',
    );
    assert.equal(version.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson).version);
  });
});
