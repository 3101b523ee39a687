// Live progress: what the status line says while a run goes, once its plan is over, and during a graceful stop.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileScenarioText } from '../../src/config/load-scenario.js';
import { formatProgressLine, type ProgressState } from '../../src/output/progress-line.js';
import { runScenario } from '../../src/runtime/run-scenario.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

const base: ProgressState = {
  elapsedMs: 12_300,
  plannedMs: 125_000,
  stopping: false,
  usersByCohort: { chatters: 15, lurkers: 5 },
  last: undefined,
  runTotalP95Ms: 4200,
  errors: 0,
  violations: 0,
};

describe('formatProgressLine', () => {
  test('shows elapsed and time left in whole seconds, users per cohort and the figures', () => {
    assert.equal(
      formatProgressLine(base),
      '[12s, 1m53s left] users chatters=15 lurkers=5 | runs/s 0 | p95 run.total 4.20s | errors 0 | violations 0',
    );
    assert.match(
      formatProgressLine({ ...base, elapsedMs: 124_100 }),
      /^\[2m04s, 1s left\]/,
      'a fraction of a second left reads 1s, not 0s',
    );
  });

  test('never shows a negative time left: past the plan it says "stopping"', () => {
    for (const elapsedMs of [125_000, 125_001, 160_000, 10 * 60_000]) {
      const line = formatProgressLine({ ...base, elapsedMs });
      assert.match(line, /^\[\d+m\d\ds, stopping\] /, line);
      assert.doesNotMatch(line, /-\d/, line);
    }
  });

  test('says "stopping" during a graceful stop, whatever the plan has left', () => {
    assert.match(formatProgressLine({ ...base, stopping: true }), /^\[12s, stopping\] users chatters=15/);
  });
});

describe('progress of a real run', () => {
  let slow: TestTarget;
  after(async () => {
    await slow?.close();
    removeTempDirs();
  });

  test('counts down, then says "stopping" once a graceful stop is asked while runs are in flight', async () => {
    // Every agent run takes 4 s, so a stop asked at the first tick leaves a run in flight for the next ones.
    slow = await startTestTarget({
      agent: {
        firstEventMs: [4000, 4000],
        thinkingSteps: [1, 1],
        thinkingMs: [0, 0],
        toolCalls: [0, 0],
        toolStartMs: [0, 0],
        toolMs: [0, 0],
        finalMs: [0, 0],
      },
    });
    const yaml =
      'name: progress\ncohorts:\n  c:\n    users: 1\n    duration: 20s\n    gracefulStop: 10s\n    flow: [connect, createThread, { sendMessage: { content: "hi {{user}}", timeout: 10s } }]\n';
    const scenario = compileScenarioText(yaml, 'progress.yaml', { targetUrl: slow.url });
    const lines: string[] = [];
    const stop = new AbortController();
    await runScenario({
      scenario,
      out: makeTempDir(),
      env: { SIM_JWT_SECRET: slow.secret },
      signal: stop.signal,
      progress: {
        tty: true,
        write: (text) => {
          const line = text.replace('\r\x1b[2K', '');
          if (!line) return;
          lines.push(line);
          stop.abort(); // Ctrl-C right after the first line.
        },
      },
    });
    assert.ok(lines.length >= 2, `at least two ticks: ${JSON.stringify(lines)}`);
    assert.match(lines[0]!, /^\[\ds, 1\ds left\] users c=1 /, `before the stop it counts down: ${lines[0]}`);
    assert.match(lines.at(-1)!, /^\[\ds, stopping\] users c=1 /, `after the stop: ${JSON.stringify(lines)}`);
    for (const l of lines) assert.doesNotMatch(l, /-\d/, l);
  });
});
