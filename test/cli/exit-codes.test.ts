// Exit codes of `simulate run` / `simulate validate` (design.md "Exit codes"), --set, and SIGINT.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  counter,
  digest,
  findClosedPort,
  hasSummary,
  readSummary,
  removeTempDirs,
  waitUntil,
  writeScenario,
} from '../helpers/sim.js';
import { type CliProcess, killCliChildren, ROOT, runCli, spawnCli, STACK_LINE } from '../helpers/cli.js';

const TINY_FLOW = '[connect, createThread, { sendMessage: { content: "hi {{user}}" } }, { idle: 20s }]';

function tiny(o: { name?: string; thresholds?: string[]; users?: number; agent?: string } = {}): string {
  return [
    `name: ${o.name ?? 'tiny'}`,
    `target: { embedded: { agent: ${o.agent ?? 'fast'} } }`,
    'cohorts:',
    '  c:',
    `    users: ${o.users ?? 2}`,
    '    duration: 1s',
    `    flow: ${TINY_FLOW}`,
    ...(o.thresholds ? ['thresholds:', ...o.thresholds.map((t) => `  ${t}`)] : []),
    '',
  ].join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the run has started (its run.log says so), so signal handlers are in place. */
async function waitForRunStart(out: string, p: CliProcess): Promise<void> {
  const log = join(out, 'run.log');
  await waitUntil(
    () => {
      if (p.child.exitCode !== null) throw new Error(`exited early: ${p.stderr()}`);
      return existsSync(log) && readFileSync(log, 'utf8').includes('"run started"');
    },
    20_000,
    'the run to start',
  );
}

describe('simulate exit codes', { concurrency: 3 }, () => {
  const groups: CliProcess[] = [];
  after(() => {
    // A process group of ours whose leader is still running (a test failed half-way): end it and its embedded target.
    for (const p of groups) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        try {
          process.kill(-p.child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    killCliChildren();
    removeTempDirs();
  });

  test('a failing threshold: exit 1, ✗ in the output, verdict fail, summary.json still written', async () => {
    const f = writeScenario(
      tiny({ name: 'failing', thresholds: ['run.total: ["p(95) < 1ms"]', 'ws.connect: ["p(95) < 10s"]'] }),
    );
    const r = await runCli(['run', f.file, '--out', f.out]);
    assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stdout, /✗ run\.total\s+p\(95\) < 1ms\s+\(actual /);
    assert.match(r.stdout, /✓ ws\.connect\s+p\(95\) < 10s/);
    assert.match(r.stdout, /^FAIL \(exit 1\): 1 of 2 thresholds failed: run\.total p\(95\) < 1ms$/m);
    assert.match(r.stdout, /^results: /m);
    const s = readSummary(f.out);
    assert.equal(s.verdict, 'fail');
    assert.equal(s.exitCode, 1);
    const failed = s.thresholds.find((t) => t.metric === 'run.total');
    assert.ok(failed, JSON.stringify(s.thresholds));
    assert.equal(failed.ok, false);
    assert.ok(failed.actual !== null && failed.actual > 1, `actual ${failed.actual} ms`);
    assert.equal(s.thresholds.find((t) => t.metric === 'ws.connect')?.ok, true);
    assert.ok(s.runs.completed > 0, digest(s));
  });

  test('a failing threshold with abortOnFail: true stops the run early (exit 1, summary.json written)', async () => {
    const f = writeScenario(
      [
        'name: abort-on-fail',
        'target: { embedded: { agent: fast } }',
        'cohorts:',
        '  c:',
        '    users: 2',
        '    duration: 20s',
        '    flow: [connect, createThread, { repeat: { duration: 20s, steps: [{ sendMessage: { content: "hi" } }, { think: 100ms }] } }]',
        'thresholds:',
        '  run.total: [{ threshold: "p(95) < 1ms", abortOnFail: true }]',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', f.file, '--out', f.out, '--no-progress']);
    assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
    const s = readSummary(f.out);
    assert.equal(s.thresholds[0]?.ok, false);
    assert.ok(s.durationMs < 10_000, `aborted well before the 20 s the scenario asks for (took ${s.durationMs} ms)`);
  });

  test('a threshold on an unknown metric: exit 3 before running, naming file, line and metric', async () => {
    const f = writeScenario(tiny({ thresholds: ['run.totl: ["p(95) < 1s"]'] }));
    const r = await runCli(['run', f.file, '--out', f.out]);
    assert.equal(r.code, 3, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, /run\.totl/);
    assert.match(r.stderr, /did you mean "run\.total"/);
    assert.ok(r.stderr.includes(`${f.file}:9:`), `file:line of the threshold in: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
    assert.equal(existsSync(f.out), false, 'nothing ran: no results folder');
  });

  test('a malformed scenario (unknown step): exit 3 with file:line and no stack trace', async () => {
    const f = writeScenario(
      [
        'name: malformed',
        'cohorts:',
        '  c:',
        '    users: 1',
        '    duration: 1s',
        '    flow:',
        '      - conect',
        '      - { think: soon }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', f.file, '--out', f.out]);
    assert.equal(r.code, 3, `exit code; stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes(`${f.file}:7:`), `file:line of the unknown step in: ${r.stderr}`);
    assert.match(r.stderr, /unknown step "conect" \(did you mean "connect"\?\)/);
    assert.ok(r.stderr.includes(`${f.file}:8:`), `every problem is reported, the think on line 8 too: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
    assert.equal(existsSync(f.out), false);
  });

  test('a YAML syntax error: exit 3 with file:line and no stack trace', async () => {
    const f = writeScenario(
      ['name: broken', 'cohorts:', '  c:', '    users: 1', '    duration: "1s', '    flow: [connect]', ''].join('\n'),
    );
    const r = await runCli(['run', f.file, '--out', f.out]);
    assert.equal(r.code, 3, `exit code; stderr: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
    assert.match(r.stderr, /YAML syntax/);
    assert.ok(
      new RegExp(`${f.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`).test(r.stderr),
      `file:line in: ${r.stderr}`,
    );
  });

  test('--out naming a folder that already holds files: exit 3, nothing overwritten', async () => {
    const f = writeScenario(tiny());
    mkdirSync(f.out);
    writeFileSync(join(f.out, 'summary.json'), 'precious');
    const r = await runCli(['run', f.file, '--out', f.out]);
    assert.equal(r.code, 3, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, /already holds files/);
    assert.equal(readFileSync(join(f.out, 'summary.json'), 'utf8'), 'precious');
  });

  test('an unreachable target: exit 4 with a message naming it, no stack trace', async () => {
    const port = await findClosedPort();
    const f = writeScenario(tiny());
    const url = `http://127.0.0.1:${port}`;
    const r = await runCli(['run', f.file, '--target', url, '--out', f.out], {
      env: { ...process.env, SIM_JWT_SECRET: 'a-secret-of-sufficient-length-0123456789' },
    });
    assert.equal(r.code, 4, `exit code; stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes(url), `names the target: ${r.stderr}`);
    assert.ok(
      r.stderr.includes(
        `target ${url} is unreachable: the connection was refused: nothing listens on that host and port (ECONNREFUSED)`,
      ),
      `a sentence, not a bare code: ${r.stderr}`,
    );
    assert.match(r.stderr, /hint: start the backend/);
    assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
    assert.equal(hasSummary(f.out), false, 'nothing ran');
  });

  test('simulate validate: every shipped scenario is valid (exit 0); one bad file makes it exit 3', async () => {
    const shipped = readdirSync(join(ROOT, 'scenarios'))
      .filter((n) => n.endsWith('.yaml'))
      .map((n) => `scenarios/${n}`);
    assert.ok(shipped.includes('scenarios/smoke.yaml') && shipped.length >= 5, shipped.join(' '));
    const ok = await runCli(['validate', ...shipped]);
    assert.equal(ok.code, 0, `exit code; stderr: ${ok.stderr}`);
    for (const f of shipped) assert.match(ok.stdout, new RegExp(`^${f.replace('.', '\\.')}: ok `, 'm'));

    const bad = writeScenario(
      'name: bad\ncohorts:\n  c:\n    users: 1\n    duration: 1s\n    flow: [connect, { sendMessage: {} }]\n',
    );
    const mixed = await runCli(['validate', 'scenarios/smoke.yaml', bad.file]);
    assert.equal(mixed.code, 3, `exit code; stderr: ${mixed.stderr}`);
    assert.match(mixed.stdout, /^scenarios\/smoke\.yaml: ok /m, 'the good file is still reported');
    assert.ok(mixed.stderr.includes(`${bad.file}:6:`), mixed.stderr);
    assert.doesNotMatch(mixed.stderr, STACK_LINE);
  });

  test('--set cohorts.<name>.users=3 changes the number of users', async () => {
    const f = writeScenario(tiny({ users: 1, agent: 'instant' }));
    const r = await runCli(['run', f.file, '--set', 'cohorts.c.users=3', '--out', f.out]);
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    const s = readSummary(f.out);
    assert.deepEqual(s.users.byCohort, { c: 3 }, digest(s));
    assert.equal(s.users.total, 3);
    assert.equal(counter(s, 'ws.connections'), 3, digest(s));
    assert.equal(s.runs.completed, 3, digest(s));
  });

  test('--set cohorts.<name>.users=N on a staged cohort scales its stages to a peak of N', async () => {
    const f = writeScenario(
      [
        'name: staged',
        'target: { embedded: { agent: instant } }',
        'cohorts:',
        '  c:',
        '    stages: [{ duration: 300ms, users: 1 }, { duration: 700ms, users: 1 }, { duration: 200ms, users: 0 }]',
        `    flow: ${TINY_FLOW}`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', f.file, '--set', 'cohorts.c.users=3', '--out', f.out, '--no-progress']);
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    const s = readSummary(f.out);
    assert.deepEqual(s.users.byCohort, { c: 3 }, digest(s));
    assert.equal(counter(s, 'ws.connections'), 3, digest(s));
  });

  test('SIGINT during a run: exit 130 within a few seconds, partial summary.json with interrupted true', async () => {
    const f = writeScenario(
      [
        'name: long',
        'target: { embedded: { agent: fast } }',
        'cohorts:',
        '  c:',
        '    users: 3',
        '    duration: 10s',
        '    flow: [connect, createThread, { repeat: { duration: 10s, steps: [{ sendMessage: { content: "hi" } }, { think: 200ms }] } }]',
        'thresholds:',
        '  run.total: ["p(95) < 10s"]',
        '',
      ].join('\n'),
    );
    const p = spawnCli(['run', f.file, '--out', f.out, '--no-progress'], { timeoutMs: 40_000 });
    await waitForRunStart(f.out, p);
    await sleep(1500);
    const sentAt = performance.now();
    assert.ok(p.child.kill('SIGINT'));
    const r = await p.result;
    const tookMs = performance.now() - sentAt;
    assert.equal(r.signal, null, 'it handled the signal');
    assert.equal(r.code, 130, `exit code; stderr: ${r.stderr}`);
    assert.ok(tookMs < 6000, `exited ${Math.round(tookMs)} ms after SIGINT`);
    assert.match(r.stderr, /interrupted/);
    assert.match(r.stdout, /^results: /m);
    const s = readSummary(f.out);
    assert.equal(s.interrupted, true);
    assert.equal(s.exitCode, 130);
    assert.ok(s.durationMs < 9000, `stopped early (${s.durationMs} ms of a 10 s scenario)`);
    assert.ok(s.runs.started > 0, digest(s));
    assert.equal(s.runs.started, s.runs.completed + s.runs.failed + s.runs.timedOut + s.runs.interrupted, digest(s));
    assert.equal(s.thresholds.length, 1, 'thresholds are evaluated on the partial results');
  });

  test('Ctrl-C (SIGINT to the whole process group) during a run', async (t) => {
    const f = writeScenario(
      [
        'name: ctrl-c',
        'target: { embedded: { agent: realistic } }',
        'cohorts:',
        '  c:',
        '    users: 3',
        '    duration: 10s',
        '    flow: [connect, createThread, { repeat: { duration: 10s, steps: [{ sendMessage: { content: "hi", timeout: 20s } }] } }]',
        '',
      ].join('\n'),
    );
    const p = spawnCli(['run', f.file, '--out', f.out, '--no-progress'], { timeoutMs: 40_000, detached: true });
    groups.push(p);
    await waitForRunStart(f.out, p);
    await sleep(1500);
    process.kill(-p.child.pid!, 'SIGINT');
    const r = await p.result;
    await t.test('exits 130 with partial results', () => {
      assert.equal(r.code, 130, `exit code; stderr: ${r.stderr}`);
      assert.equal(readSummary(f.out).interrupted, true);
    });
    await t.test('runs in flight finish (or are counted interrupted), not failed by the target dying first', () => {
      const s = readSummary(f.out);
      assert.equal(s.errors.count, 0, digest(s));
      assert.equal(s.runs.failed, 0, digest(s));
    });
  });
});
