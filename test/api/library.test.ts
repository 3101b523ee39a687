// crosstalk as a library (src/index.ts): what a test suite gating a release relies on.
// The installed package itself is tested in package.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  compareSummaries,
  compileScenario,
  EXIT_CODE,
  mergeResults,
  runScenario,
  SimError,
  startTarget,
  type ParamStepDefinition,
  type ScenarioDefinition,
} from '../../src/index.js';
import {
  authSchema,
  cohortSchema,
  scenarioSchema,
  stageSchema,
  targetSchema,
  thresholdLongSchema,
  usersSchema,
} from '../../src/config/scenario-schema.js';
import { outputsSchema, publishLongSchema } from '../../src/config/outputs-schema.js';
import { STEP_KINDS } from '../../src/core/scenario-types.js';
import { ROOT } from '../helpers/cli.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';

after(removeTempDirs);

/** A short chat: users connect, open a thread and ask once; the fast agent answers within a second. */
function chat(name: string, extra: Partial<ScenarioDefinition> = {}, users = 2, duration = '2s'): ScenarioDefinition {
  return {
    name,
    target: { embedded: { agent: 'fast', seed: 3 } },
    cohorts: {
      chatters: {
        users,
        duration,
        gracefulStop: '3s',
        flow: [
          'connect',
          'createThread',
          { sendMessage: { content: 'Hello from {{user}}', timeout: '5s' } },
          { think: '100ms' },
        ],
      },
    },
    thresholds: { errors: ['rate < 0.01'], 'isolation.violations': ['count == 0'] },
    ...extra,
  };
}

/** A thrown SimError with the given code (assert.throws / rejects predicate). */
function simError(code: string, check: (e: SimError) => void = () => undefined): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof SimError, `expected a SimError, got ${String(e)}`);
    assert.equal(e.code, code);
    check(e);
    return true;
  };
}

describe('crosstalk as a library', () => {
  test('importing it installs no signal or exit handlers and sets no exit code', () => {
    const index = pathToFileURL(join(ROOT, 'dist/src/index.js')).href;
    const script = `
      const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning'];
      const count = () => events.map((e) => process.listenerCount(e));
      const before = count();
      const api = await import(${JSON.stringify(index)});
      console.log(JSON.stringify({ before, after: count(), exitCode: process.exitCode ?? null, exports: Object.keys(api).length }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'importing printed nothing');
    const out = JSON.parse(r.stdout) as { before: number[]; after: number[]; exitCode: number | null; exports: number };
    assert.deepEqual(out.after, out.before);
    assert.equal(out.exitCode, null);
    assert.ok(out.exports >= 10, `${out.exports} exports`);
  });

  test('process-wide effects (signals, V8 flags, exit codes, printing) live only in src/cli/', () => {
    // The embedded target's child is killed if this process exits mid-run: a per-run 'exit' listener, removed with the child.
    const allowed = new Set([
      "src/runtime/embedded-target.ts:process.once('exit'",
      "src/runtime/embedded-target.ts:process.off('exit'",
    ]);
    const forbidden =
      /process\.(?:on|once|off|addListener|prependListener)\([^)]*|setFlagsFromString|process\.exitCode|process\.exit\(|console\.\w+\(|process\.std(?:out|err)\.write|process\.kill\(process\.pid/g;
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'cli') walk(p);
          continue;
        }
        if (!e.name.endsWith('.ts')) continue;
        const rel = relative(ROOT, p);
        for (const m of readFileSync(p, 'utf8').matchAll(forbidden)) {
          const hit = `${rel}:${m[0].slice(0, 20)}`;
          if (![...allowed].some((a) => hit.startsWith(a))) found.push(`${rel}: ${m[0]}`);
        }
      }
    };
    walk(join(ROOT, 'src'));
    assert.deepEqual(found, []);
  });

  test('ScenarioDefinition names every key the scenario schema accepts', () => {
    // Each record must list exactly the keys of its type (excess and missing keys fail to compile);
    // the run-time half compares them with the zod schemas that judge a file.
    type Keys<T> = Record<keyof NonNullable<T>, true>;
    type Target = NonNullable<ScenarioDefinition['target']>;
    type Auth = NonNullable<ScenarioDefinition['auth']>;
    type Cohort = ScenarioDefinition['cohorts'][string];
    const top: Keys<ScenarioDefinition> = {
      name: true,
      description: true,
      seed: true,
      target: true,
      auth: true,
      users: true,
      cohorts: true,
      probes: true,
      thresholds: true,
      coverage: true,
      outputs: true,
    };
    const target: Keys<Target> = {
      url: true,
      wsUrl: true,
      api: true,
      params: true,
      transport: true,
      embedded: true,
      connectTimeout: true,
      requestTimeout: true,
    };
    const embedded: Keys<Target['embedded']> = {
      agent: true,
      seed: true,
      rateLimit: true,
      heartbeat: true,
      faults: true,
      dialect: true,
      noise: true,
    };
    const auth: Keys<Auth> = {
      kind: true,
      secretEnv: true,
      delivery: true,
      ttl: true,
      renewBefore: true,
      issuer: true,
      audience: true,
      claims: true,
      login: true,
      tokensFile: true,
    };
    const login: Keys<Auth['login']> = { url: true, method: true, body: true, tokenPath: true, expiresInPath: true };
    const users: Keys<ScenarioDefinition['users']> = { prefix: true, ids: true, file: true };
    const cohort: Keys<Cohort> = {
      model: true,
      stages: true,
      users: true,
      startUsers: true,
      duration: true,
      rate: true,
      startRate: true,
      maxUsers: true,
      startAfter: true,
      gracefulStop: true,
      gracefulRampDown: true,
      connectionsPerUser: true,
      flow: true,
    };
    const stage: Keys<NonNullable<Cohort['stages']>[number]> = { duration: true, users: true, rate: true };
    const probes: Keys<ScenarioDefinition['probes']> = { crossUserRead: true, forgedTokens: true, adapter: true };
    const coverage: Keys<ScenarioDefinition['coverage']> = {
      framesChecked: true,
      restAnswersChecked: true,
      runsCompleted: true,
      usersWithRun: true,
      probesAnswered: true,
    };
    const outputs: Keys<ScenarioDefinition['outputs']> = {
      interval: true,
      flushTimeout: true,
      labels: true,
      publish: true,
      metricsPort: true,
      metricsHost: true,
    };
    const publish: Keys<Extract<NonNullable<NonNullable<ScenarioDefinition['outputs']>['publish']>[number], object>> = {
      kind: true,
      url: true,
      headers: true,
      bearerTokenEnv: true,
      basicAuthEnv: true,
    };
    const longThreshold: Keys<Extract<NonNullable<ScenarioDefinition['thresholds']>[string], { threshold: string }>> = {
      threshold: true,
      abortOnFail: true,
      delay: true,
    };
    type StepName = ParamStepDefinition extends infer U ? (U extends unknown ? keyof U : never) : never;
    const steps: Record<StepName, true> = {
      connect: true,
      disconnect: true,
      reconnect: true,
      createThread: true,
      listThreads: true,
      getThread: true,
      updateThread: true,
      deleteThread: true,
      listMessages: true,
      postMessage: true,
      sendMessage: true,
      stopAgent: true,
      think: true,
      idle: true,
      repeat: true,
    };
    const keys = (o: object): string[] => Object.keys(o).sort();
    const shape = (s: { shape: object }): string[] => keys(s.shape);
    // wsPath and profile are accepted only to say where they moved.
    const moved = new Set(['wsPath', 'profile']);
    assert.deepEqual(keys(top), shape(scenarioSchema));
    assert.deepEqual(
      keys(target),
      shape(targetSchema).filter((k) => !moved.has(k)),
    );
    assert.deepEqual(keys(embedded), shape(targetSchema.shape.embedded.unwrap()));
    assert.deepEqual(keys(auth), shape(authSchema));
    assert.deepEqual(keys(login), shape(authSchema.shape.login.unwrap()));
    assert.deepEqual(keys(users), shape(usersSchema));
    assert.deepEqual(keys(cohort), shape(cohortSchema));
    assert.deepEqual(keys(stage), shape(stageSchema));
    assert.deepEqual(keys(probes), shape(scenarioSchema.shape.probes.unwrap()));
    assert.deepEqual(keys(coverage), shape(scenarioSchema.shape.coverage.unwrap()));
    assert.deepEqual(keys(longThreshold), shape(thresholdLongSchema));
    assert.deepEqual(keys(outputs), shape(outputsSchema));
    assert.deepEqual(keys(publish), shape(publishLongSchema));
    assert.deepEqual(keys(steps), [...STEP_KINDS].sort());
  });

  test('compileScenario takes an object or YAML text and reports problems by YAML path', () => {
    const sc = compileScenario(chat('from-object'));
    assert.equal(sc.name, 'from-object');
    assert.equal(sc.cohorts[0]!.flow.length, 4);
    assert.equal(sc.target.url, undefined, 'no url: the embedded target');
    const fromText = compileScenario('name: from-text\ncohorts:\n  c: { users: 1, duration: 1s, flow: [connect] }\n', {
      targetUrl: 'http://127.0.0.1:9',
    });
    assert.equal(fromText.target.url, 'http://127.0.0.1:9');

    const bad = {
      name: 'bad',
      cohorts: { chatters: { users: 2, duration: 'soon', flow: ['conect'] } },
    } as unknown as ScenarioDefinition;
    assert.throws(
      () => compileScenario(bad, { file: 'gate.yaml' }),
      simError('INPUT', (e) => {
        const paths = e.problems.map((p) => `${p.file}|${p.path}`);
        assert.ok(paths.includes('gate.yaml|cohorts.chatters.duration'), paths.join(', '));
        assert.ok(
          e.problems.some((p) => p.path === 'cohorts.chatters.flow[0]' && /did you mean "connect"/.test(p.message)),
          JSON.stringify(e.problems),
        );
      }),
    );
  });

  test('bad options are input errors naming the option, before anything runs', async () => {
    await assert.rejects(
      runScenario(compileScenario(chat('opts')), { workers: 0, segment: '2/2', startAt: 'tomorrow' }),
      simError('INPUT', (e) => {
        assert.deepEqual(e.problems.map((p) => p.path).sort(), ['segment', 'startAt', 'workers']);
      }),
    );
    await assert.rejects(
      runScenario(compileScenario(chat('opts')), { set: ['cohorts.chatters.users=3'] }),
      simError('INPUT', (e) => assert.equal(e.problems[0]!.path, 'set')),
    );
    await assert.rejects(
      runScenario(join(makeTempDir(), 'missing.yaml')),
      simError('INPUT', (e) => assert.match(e.message, /no such file/)),
    );
    await assert.rejects(
      startTarget({ faults: 'misroute=2' }),
      simError('INPUT', (e) => assert.equal(e.problems[0]!.path, 'faults')),
    );
  });

  test('a leaky reference target on port 0 fails the run with exit 2; a clean one passes, and compare finds no regression', async () => {
    const leaky = await startTarget({ port: 0, faults: { misroute: 0.3 } });
    const clean = await startTarget({ port: 0 });
    try {
      assert.match(leaky.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(leaky.port, 0);
      const dir = makeTempDir();
      const [bad, good] = await Promise.all([
        runScenario(compileScenario(chat('leaky'), { targetUrl: leaky.url }), {
          env: { SIM_JWT_SECRET: leaky.secret },
          out: join(dir, 'leaky'),
          workers: 1,
        }),
        runScenario(compileScenario(chat('clean'), { targetUrl: clean.url }), {
          env: { SIM_JWT_SECRET: clean.secret },
          out: join(dir, 'clean'),
          workers: 1,
        }),
      ]);
      assert.equal(bad.exitCode, EXIT_CODE.isolation, bad.summary.reasons?.join('; '));
      assert.equal(bad.verdict, 'fail');
      assert.ok(bad.summary.isolation.violations > 0);
      assert.ok(leaky.leaks().total > 0, 'the target counted what it leaked');
      assert.equal(good.exitCode, EXIT_CODE.ok, good.summary.reasons?.join('; '));
      assert.equal(good.verdict, 'pass');
      assert.equal(good.resultsDir, join(dir, 'clean'));
      for (const f of ['summary.json', 'report.html', 'junit.xml', 'violations.jsonl', 'run.log'])
        assert.ok(existsSync(join(good.resultsDir, f)), f);
      // A summary against its own file: nothing changed.
      const same = compareSummaries(good.resultsDir, good.summary, { tolerance: '10%', confidence: 0.95 });
      assert.equal(same.verdict, 'ok');
      assert.equal(same.regressions, 0);
      assert.throws(() => compareSummaries(good.summary, good.summary, { tolerance: '10' }), simError('INPUT'));
    } finally {
      await Promise.all([leaky.close(), clean.close()]);
    }
  });

  test('an aborted signal stops the run gracefully: results written, exit 130, no signal handlers installed', async () => {
    const signals = (): number => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
    const before = signals();
    const controller = new AbortController();
    const out = join(makeTempDir(), 'interrupted');
    let during = -1;
    const started = Date.now();
    const timer = setTimeout(() => {
      during = signals();
      controller.abort();
    }, 2500);
    const result = await runScenario(compileScenario(chat('interrupted', {}, 2, '60s')), {
      signal: controller.signal,
      out,
      workers: 1,
    });
    clearTimeout(timer);
    assert.ok(Date.now() - started < 20_000, `stopped in ${Date.now() - started} ms, not after the planned minute`);
    assert.equal(result.exitCode, EXIT_CODE.interrupted);
    assert.equal(result.summary.interrupted, true);
    assert.ok(existsSync(join(out, 'summary.json')));
    assert.equal(during, before, 'no SIGINT/SIGTERM handler during the run');
    assert.equal(signals(), before);
    assert.equal(process.exitCode, undefined);
  });

  test('two segments run through the API merge into one judged result', async () => {
    const target = await startTarget();
    try {
      const dir = makeTempDir();
      const sc = compileScenario(chat('segmented', {}, 4), { targetUrl: target.url });
      const startAt = new Date(Date.now() + 1500);
      const options = { env: { SIM_JWT_SECRET: target.secret }, startAt, workers: 1 };
      const parts = await Promise.all(
        [0, 1].map((i) => runScenario(sc, { ...options, segment: `${i}/2`, out: join(dir, `seg${i}`) })),
      );
      assert.deepEqual(
        parts.map((p) => p.summary.segment),
        ['0/2', '1/2'],
      );
      const merged = mergeResults(
        parts.map((p) => p.resultsDir),
        { out: join(dir, 'merged') },
      );
      assert.equal(merged.exitCode, EXIT_CODE.ok, merged.summary.reasons?.join('; '));
      assert.equal(merged.resultsDir, join(dir, 'merged'));
      assert.equal(merged.summary.users.total, 4);
      assert.equal(merged.summary.runs.started, parts[0]!.summary.runs.started + parts[1]!.summary.runs.started);
      const warnings: string[] = [];
      const partial = mergeResults([parts[0]!.resultsDir], {
        out: join(dir, 'partial'),
        allowPartial: true,
        warn: (t) => warnings.push(t),
      });
      assert.match(warnings.join(''), /segment 1\/2 missing/);
      assert.equal(partial.summary.users.total, parts[0]!.summary.users.total);
      assert.equal(mergeResults([parts[0]!.resultsDir], { out: join(dir, 'untested') }).exitCode, EXIT_CODE.cannotRun);
    } finally {
      await target.close();
    }
  });
});
