// Behaviour 1: a port that accepts TCP and never says anything (not even
// HTTP). design.md: exit 4 "could not run: target unreachable at start". The
// reachability check waits min(connectTimeout, 10 s); nothing runs, so no
// summary.json (the folder holds only run.log, which names the reason).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { startSilentServer } from './silent-server.js';
import { cleanup, once, runAgainst, scenarioYaml, writeScenario, type CliRun } from './harness.js';
import { STACK_LINE } from '../helpers/cli.js';

describe('hostile: a silent TCP port at start', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  before(async () => {
    silent = await startSilentServer();
  });
  after(async () => {
    cleanup();
    await silent.close();
  });

  const files = once(() => Promise.resolve(writeScenario(scenarioYaml({ name: 'silent-port', connectTimeout: '2s' }))));
  const run = once(async (): Promise<CliRun> => {
    const f = await files();
    return runAgainst(f.file, silent.url, f.out, { killAfterMs: 30_000 });
  });

  test('exit 4 within about connectTimeout, naming the target, no stack trace', async () => {
    const r = await run();
    assert.equal(r.code, 4, `exit code; stderr: ${r.stderr}`);
    assert.ok(silent.accepted() >= 1, 'the generator did open a TCP connection');
    // 2 s connect timeout + process start-up and shutdown.
    assert.ok(r.elapsedMs < 2000 + 4000, `gave up after about connectTimeout: ${Math.round(r.elapsedMs)} ms`);
    assert.ok(r.elapsedMs >= 1500, `it did wait for an answer: ${Math.round(r.elapsedMs)} ms`);
    assert.ok(r.stderr.includes(silent.url), `names the target: ${r.stderr}`);
    assert.match(r.stderr, /unreachable/);
    assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
  });

  test('nothing is written for a run that never started, so a retry can reuse --out', async () => {
    await run();
    const f = await files();
    assert.ok(
      !existsSync(f.out) || readdirSync(f.out).length === 0,
      `the --out folder is absent or empty: ${existsSync(f.out) ? readdirSync(f.out).join(', ') : ''}`,
    );
    const again = await runAgainst(f.file, silent.url, f.out, { killAfterMs: 30_000 });
    assert.equal(
      again.code,
      4,
      `a retry with the same --out is judged on the target again, not refused as exit 3: ${again.stderr}`,
    );
  });

  test('the message says why: no answer within the connect timeout', async () => {
    const r = await run();
    assert.match(r.stderr, /unreachable: no answer within 2000 ?ms/, r.stderr);
  });
});
