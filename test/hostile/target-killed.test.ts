// Behaviour 7: the target process dies mid-run. `simulate serve --port 0`
// runs as a child; 1.5 s into the run it is killed with SIGKILL (sockets
// closed by the kernel), or frozen with SIGSTOP (sockets stay open, nothing
// answers). Either way the run ends on time, the failures are counted, the
// results are complete, the errors threshold decides the exit code, and the
// generator does not hang waiting for answers that will never come.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  assertCompleteRun,
  cleanup,
  digest,
  scenarioYaml,
  SECRET,
  startRun,
  waitUntil,
  writeScenario,
} from './harness.js';
import { ROOT } from '../helpers/cli.js';

const LISTENING = /^crosstalk target listening on (http:\/\/127\.0\.0\.1:\d+)$/m;
const targets = new Set<ChildProcess>();

/** Starts `simulate serve --port 0` and resolves with its URL once it listens. */
async function startServe(): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    ['bin/simulate', 'serve', '--port', '0', '--agent', 'fast', '--log-level', 'debug'],
    {
      cwd: ROOT,
      env: { ...process.env, SIM_JWT_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  targets.add(child);
  child.once('exit', () => targets.delete(child));
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`serve exited: ${err}`);
      return LISTENING.test(out);
    },
    15_000,
    'simulate serve to listen',
  );
  return { child, url: LISTENING.exec(out)![1]!, stderr: () => err };
}

/**
 * Runs a 4 s scenario against a fresh `simulate serve`, and sends the target
 * `signal` 1.5 s after the run's users started: the first WebSocket the target
 * opened (its debug log says so). The run.log line "run started", or the first
 * TCP connection (the reachability check), come before the worker threads
 * have started, which on a busy machine can take more than 1.5 s.
 */
async function runAndHit(name: string, signal: 'SIGKILL' | 'SIGSTOP') {
  const target = await startServe();
  const f = writeScenario(scenarioYaml({ name, users: 3, duration: '4s', thresholds: ['errors: ["rate < 0.01"]'] }));
  const h = startRun(f.file, target.url, f.out);
  await waitUntil(
    () => {
      if (h.child.exitCode !== null) throw new Error('the run exited before it reached the target');
      return target.stderr().includes('"msg":"websocket open"');
    },
    15_000,
    'the first user to connect',
  );
  await new Promise((r) => setTimeout(r, 1500));
  const hitAt = performance.now();
  target.child.kill(signal);
  const r = await h.result;
  const afterHitMs = performance.now() - hitAt;
  // A stopped process still holds its sockets; kill it for good now (SIGKILL works on stopped processes).
  if (target.child.exitCode === null && target.child.signalCode === null) target.child.kill('SIGKILL');
  return { r, f, afterHitMs };
}

describe('hostile: the target dies mid-run', { concurrency: 2 }, () => {
  after(() => {
    for (const c of targets) c.kill('SIGKILL');
    cleanup();
  });

  test('target killed with SIGKILL 1.5 s in: errors counted (disconnected, connect_refused...), on time, exit 1, results complete', async () => {
    const { r, f, afterHitMs } = await runAndHit('target-sigkill', 'SIGKILL');
    const s = assertCompleteRun(r, f.out, { code: 1, plannedMs: 4000 });
    const k = s.errors.byKind;
    assert.ok(
      (k.disconnected ?? 0) + (k.connect_refused ?? 0) + (k.reset ?? 0) >= 1,
      `the dead target shows as disconnected / connect_refused / reset; ${digest(s, r)}`,
    );
    assert.ok((k.connect_refused ?? 0) >= 1, `later connects and calls are refused; ${digest(s)}`);
    assert.ok(s.runs.completed >= 1, `runs completed before the kill; ${digest(s)}`);
    assert.equal(
      s.runs.started,
      s.runs.completed + s.runs.failed + s.runs.timedOut + s.runs.interrupted,
      `no run left open; ${digest(s)}`,
    );
    // The rest of the 4 s plan plus the 2 s grace at most, plus start-up/shutdown slack.
    assert.ok(
      afterHitMs < 2500 + 2000 + 6000,
      `the generator did not wait on the dead target: ended ${Math.round(afterHitMs)} ms after the kill`,
    );
    assert.equal(s.isolation.violations, 0, digest(s));
  });

  test('target frozen with SIGSTOP 1.5 s in (sockets open, silent): timeouts counted, on time, exit 1, results complete', async () => {
    const { r, f, afterHitMs } = await runAndHit('target-sigstop', 'SIGSTOP');
    const s = assertCompleteRun(r, f.out, { code: 1, plannedMs: 4000 });
    const k = s.errors.byKind;
    assert.ok((k.timeout ?? 0) + (k.connect_timeout ?? 0) >= 1, `a silent target shows as timeouts; ${digest(s, r)}`);
    assert.equal(
      s.runs.started,
      s.runs.completed + s.runs.failed + s.runs.timedOut + s.runs.interrupted,
      `no run left open; ${digest(s)}`,
    );
    assert.ok(
      afterHitMs < 2500 + 2000 + 2000 + 6000,
      `the generator did not wait on the frozen target: ended ${Math.round(afterHitMs)} ms after the freeze`,
    );
    assert.equal(s.isolation.violations, 0, digest(s));
  });
});
