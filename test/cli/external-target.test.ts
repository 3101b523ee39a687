// `simulate run --target URL`: against `simulate serve` in its own process and
// against a target started here, with the right secret, none, and a wrong one;
// templates read back from what the target stored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rest, uniqueId } from '../helpers/client.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import {
  counter,
  digest,
  hasSummary,
  metadataWithoutCanary,
  readSummary,
  removeTempDirs,
  trendCount,
  waitUntil,
  withoutCanary,
  writeScenario,
} from '../helpers/sim.js';
import { type CliProcess, envWithout, killCliChildren, runCli, spawnCli, STACK_LINE } from '../helpers/cli.js';

const LISTENING = /^crosstalk target listening on (http:\/\/127\.0\.0\.1:\d+)$/m;

/** True once the run's run.log holds `text` (the CLI has set up its signal handlers by then). */
function hasRunLogLine(out: string, text: string): boolean {
  const log = join(out, 'run.log');
  return existsSync(log) && readFileSync(log, 'utf8').includes(text);
}

function chatScenario(name: string, thresholds: string[] = []): string {
  return [
    `name: ${name}`,
    'cohorts:',
    '  c:',
    '    users: 2',
    '    duration: 1s',
    '    flow: [connect, createThread, { sendMessage: { content: "hi {{user}}" } }, listThreads, { idle: 20s }]',
    ...(thresholds.length ? ['thresholds:', ...thresholds.map((t) => `  ${t}`)] : []),
    '',
  ].join('\n');
}

describe('simulate run --target', { concurrency: 3 }, () => {
  const secret = randomBytes(32).toString('base64url');
  let served: CliProcess;
  let servedUrl: string;
  let own: TestTarget;

  before(async () => {
    served = spawnCli(['serve', '--port', '0', '--agent', 'fast', '--log-level', 'warn'], {
      env: { ...envWithout('SIM_JWT_SECRET'), SIM_JWT_SECRET: secret },
      timeoutMs: 120_000,
    });
    await waitUntil(
      () => {
        if (served.child.exitCode !== null) throw new Error(`serve exited: ${served.stderr()}`);
        return LISTENING.test(served.stdout());
      },
      15_000,
      'simulate serve to listen',
    );
    servedUrl = LISTENING.exec(served.stdout())![1]!;
    own = await startTestTarget({ agent: 'fast' });
  });

  after(async () => {
    served.child.kill('SIGTERM');
    await Promise.race([served.result, new Promise((r) => setTimeout(r, 5000))]);
    killCliChildren();
    await own.close();
    removeTempDirs();
  });

  test('against `simulate serve` with its secret: exit 0, target.embedded false, target.url the URL', async () => {
    const f = writeScenario(chatScenario('external'));
    const r = await runCli(['run', f.file, '--target', servedUrl, '--out', f.out], {
      env: { ...process.env, SIM_JWT_SECRET: secret },
    });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    assert.ok(
      r.stdout.split('\n')[0]!.includes(servedUrl),
      `the summary header names the target: ${r.stdout.split('\n')[0]}`,
    );
    const s = readSummary(f.out);
    assert.equal(s.target.embedded, false);
    assert.equal(s.target.url, servedUrl);
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(s.runs.completed, 2, digest(s));
    assert.equal(counter(s, 'ws.connections'), 2, digest(s));
  });

  test('with SIM_JWT_SECRET unset: exit 3 with a message naming the variable, no stack trace', async () => {
    const f = writeScenario(chatScenario('no-secret'));
    const r = await runCli(['run', f.file, '--target', servedUrl, '--out', f.out], {
      env: envWithout('SIM_JWT_SECRET'),
    });
    assert.equal(r.code, 3, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, /SIM_JWT_SECRET/);
    assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
    assert.equal(hasSummary(f.out), false, 'nothing ran');
  });

  test('auth.secretEnv names another variable: that one is read', async () => {
    const f = writeScenario(
      chatScenario('other-env').replace('cohorts:', 'auth: { secretEnv: OTHER_SECRET }\ncohorts:'),
    );
    const missing = await runCli(['run', f.file, '--target', servedUrl, '--out', f.out], {
      env: { ...process.env, SIM_JWT_SECRET: secret },
    });
    assert.equal(missing.code, 3, `exit code; stderr: ${missing.stderr}`);
    assert.match(missing.stderr, /OTHER_SECRET/);
    const r = await runCli(['run', f.file, '--target', servedUrl, '--out', f.out], {
      env: { ...envWithout('SIM_JWT_SECRET'), OTHER_SECRET: secret },
    });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    assert.equal(readSummary(f.out).errors.count, 0);
  });

  test('tokens signed with the wrong secret: auth_rejected errors, and untested (exit 4) whatever the thresholds, since no connect succeeded', async () => {
    const wrong = { ...process.env, SIM_JWT_SECRET: `${own.secret}-wrong` };
    const plain = writeScenario(chatScenario('wrong-secret'));
    const strict = writeScenario(chatScenario('wrong-secret-strict', ['errors: ["rate < 0.01"]']));
    const [r1, r2] = await Promise.all([
      runCli(['run', plain.file, '--target', own.url, '--out', plain.out], { env: wrong }),
      runCli(['run', strict.file, '--target', own.url, '--out', strict.out], { env: wrong }),
    ]);

    assert.equal(r1.code, 4, `nothing was tested; stderr: ${r1.stderr}`);
    assert.match(r1.stdout, /^UNTESTED \(exit 4\): isolation untested: \d+ frames? received/m);
    const s1 = readSummary(plain.out);
    assert.equal(s1.verdict, 'untested');
    assert.ok(
      s1.untested?.some((u) => /^no connect ever succeeded \(\d+ attempted\)$/.test(u)),
      JSON.stringify(s1.untested),
    );
    assert.ok((s1.errors.byKind.auth_rejected ?? 0) > 0, digest(s1));
    assert.equal(counter(s1, 'ws.connections'), 0, 'no connection was accepted');
    assert.equal(trendCount(s1, 'run.total'), 0);
    assert.ok(s1.errors.rate > 0.5, digest(s1));

    assert.equal(r2.code, 4, `untested wins over a failed threshold; stderr: ${r2.stderr}`);
    assert.match(r2.stdout, /✗ errors\s+rate < 0\.01/);
    const s2 = readSummary(strict.out);
    assert.equal(s2.verdict, 'untested');
    assert.ok((s2.errors.byKind.auth_rejected ?? 0) > 0, digest(s2));
    const t = s2.thresholds.find((x) => x.metric === 'errors');
    assert.ok(t && t.ok === false && t.actual !== null && t.actual > 0.01, JSON.stringify(s2.thresholds));
  });

  test('SIGINT gives in-flight runs time to end; a second SIGINT stops at once (exit 130, runs counted interrupted)', async () => {
    // An agent that thinks for 20 s: every run is in flight when the signals come.
    const slow = await startTestTarget({
      agent: {
        firstEventMs: [0, 0],
        thinkingSteps: [1, 1],
        thinkingMs: [20_000, 20_000],
        toolCalls: [0, 0],
        toolStartMs: [0, 0],
        toolMs: [0, 0],
        finalMs: [0, 0],
      },
    });
    try {
      const f = writeScenario(
        [
          'name: two-signals',
          'cohorts:',
          '  c:',
          '    users: 2',
          '    duration: 30s',
          '    flow: [connect, createThread, { sendMessage: { content: "take your time", timeout: 60s } }]',
          '',
        ].join('\n'),
      );
      const p = spawnCli(['run', f.file, '--target', slow.url, '--out', f.out, '--no-progress'], {
        env: { ...process.env, SIM_JWT_SECRET: slow.secret },
        timeoutMs: 40_000,
      });
      await waitUntil(
        () => {
          if (p.child.exitCode !== null) throw new Error(`exited early: ${p.stderr()}`);
          return hasRunLogLine(f.out, '"run started"');
        },
        20_000,
        'the run to start',
      );
      await new Promise((r) => setTimeout(r, 1000));
      p.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(
        p.child.exitCode,
        null,
        `after one SIGINT it still waits for the runs in flight; stderr: ${p.stderr()}`,
      );
      const second = performance.now();
      p.child.kill('SIGINT');
      const r = await p.result;
      assert.ok(
        performance.now() - second < 3000,
        `the second SIGINT stops at once (${Math.round(performance.now() - second)} ms)`,
      );
      assert.equal(r.signal, null);
      assert.equal(r.code, 130, `exit code; stderr: ${r.stderr}`);
      const s = readSummary(f.out);
      assert.equal(s.interrupted, true);
      assert.equal(s.runs.started, 2, digest(s));
      assert.equal(s.runs.interrupted, 2, `runs cut short are counted as interrupted: ${digest(s)}`);
      assert.equal(s.runs.completed + s.runs.failed + s.runs.timedOut, 0, digest(s));
    } finally {
      await slow.close();
    }
  });

  test('templates {{user}} {{cohort}} {{iteration}} {{thread}} render into what the target stores', async () => {
    const alice = uniqueId('alice');
    const bob = uniqueId('bob');
    const flow = [
      '[',
      '{ createThread: { title: "T {{user}} {{cohort}} {{iteration}}", metadata: { owner: "{{user}}", cohort: "{{cohort}}", it: "{{iteration}}" } } },',
      '{ postMessage: { content: "P {{user}} {{cohort}} {{iteration}} {{thread}}" } },',
      'connect,',
      '{ sendMessage: { content: "S {{user}} {{thread}}", timeout: 10s } },',
      '{ updateThread: { title: "U {{user}} {{cohort}} {{iteration}} {{thread}}" } },',
      'disconnect,',
      '{ think: 250ms }',
      ']',
    ].join(' ');
    const f = writeScenario(
      [
        'name: templates',
        `users: { ids: [${alice}, ${bob}] }`,
        'cohorts:',
        '  red:',
        '    users: 1',
        '    duration: 1500ms',
        `    flow: ${flow}`,
        '  blue:',
        '    users: 1',
        '    duration: 1500ms',
        `    flow: ${flow}`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', f.file, '--target', own.url, '--out', f.out], {
      env: { ...process.env, SIM_JWT_SECRET: own.secret },
    });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    const s = readSummary(f.out);
    assert.equal(s.errors.count, 0, digest(s));

    for (const [user, cohort] of [
      [alice, 'red'],
      [bob, 'blue'],
    ] as const) {
      const token = await own.token(user);
      const listed = await rest(own.url, 'GET', '/api/threads?limit=100', { token });
      assert.equal(listed.status, 200);
      const threads = listed.json as Array<{ id: string; title: string; metadata: Record<string, unknown> }>;
      assert.ok(threads.length >= 2, `${user} ran at least two iterations: ${threads.map((x) => x.title).join(' | ')}`);
      const iterations: number[] = [];
      let unfinished = 0;
      for (const th of threads) {
        // The cohort may end mid-iteration, leaving its last thread with the title it was created with.
        const title = withoutCanary(th.title);
        const updated = new RegExp(`^U ${user} ${cohort} (\\d+) (\\S+)$`).exec(title);
        const created = new RegExp(`^T ${user} ${cohort} (\\d+)$`).exec(title);
        assert.ok(updated || created, `title of ${th.id}: ${JSON.stringify(th.title)}`);
        if (updated) assert.equal(updated[2], th.id, '{{thread}} is the id of the thread created in this iteration');
        else unfinished++;
        const it = Number((updated ?? created)![1]);
        iterations.push(it);
        assert.deepEqual(
          metadataWithoutCanary(th.metadata),
          { owner: user, cohort, it: String(it) },
          'templates inside metadata',
        );

        const msgs = await rest(own.url, 'GET', `/api/threads/${encodeURIComponent(th.id)}/messages`, { token });
        assert.equal(msgs.status, 200);
        const contents = (msgs.json.messages as Array<{ role: string; content: string }>)
          .filter((m) => m.role === 'user')
          .map((m) => withoutCanary(m.content));
        if (updated) {
          assert.ok(
            contents.includes(`P ${user} ${cohort} ${it} ${th.id}`),
            `postMessage content in ${th.id}: ${JSON.stringify(contents)}`,
          );
          assert.ok(
            contents.includes(`S ${user} ${th.id}`),
            `sendMessage content in ${th.id}: ${JSON.stringify(contents)}`,
          );
        }
      }
      assert.ok(unfinished <= 1, `only the last iteration can be unfinished (${unfinished})`);
      assert.deepEqual(
        iterations.sort((a, b) => a - b),
        iterations.map((_, i) => i),
        `{{iteration}} counts 0, 1, 2, ... for ${user}`,
      );
    }
    assert.deepEqual(s.users.byCohort, { red: 1, blue: 1 });
  });
});
