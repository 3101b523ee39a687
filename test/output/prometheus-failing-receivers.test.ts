// Live outputs to remote-write receivers that fail (answer 500, never answer, or are down): the run ends on time
// with its verdict and results intact, and says what was dropped. Skipped, as the other live-output tests
// against a real Prometheus (prometheus.test.ts) are, where Prometheus is not installed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { findPrometheus } from '../helpers/prometheus.js';
import { envWithout, killCliChildren, runCli } from '../helpers/cli.js';
import { findClosedPort, readSummary, removeTempDirs, writeScenario } from '../helpers/sim.js';

const PROMETHEUS = findPrometheus();
const SKIP = PROMETHEUS
  ? false
  : 'prometheus is not installed (apt-get install -y prometheus, as .ci/run does, or set PROMETHEUS_BIN)';

describe('live outputs to receivers that fail', { skip: SKIP }, () => {
  const receivers: Server[] = [];

  after(() => {
    killCliChildren();
    for (const s of receivers) {
      s.closeAllConnections();
      s.close();
    }
    removeTempDirs();
  });

  test('receivers that answer 500, never answer, or are down: the run ends on time with its verdict and results intact', async () => {
    let failed = 0;
    const start = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
      const s = createServer(handler);
      receivers.push(s);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1/write`;
    };
    const five = await start((req, res) => {
      req.resume();
      failed++;
      res.writeHead(500).end('storage is on fire');
    });
    const hang = await start((req) => {
      req.resume();
    });
    const down = `http://127.0.0.1:${await findClosedPort()}/api/v1/write`;
    const f = writeScenario(`name: prom-bad-receivers
target: { embedded: { agent: fast } }
cohorts:
  chatters:
    users: 3
    duration: 4s
    flow:
      - connect
      - createThread
      - repeat: { duration: 4s, steps: [{ sendMessage: { content: "hi", timeout: 5s } }, { think: { min: 50ms, max: 100ms } }] }
thresholds:
  run.total: ["p(95) < 10s"]
  errors: ["rate < 0.01"]
outputs: { interval: 1s, flushTimeout: 2s }
`);
    const r = await runCli(
      [
        'run',
        f.file,
        '--out',
        f.out,
        '--no-progress',
        '--publish',
        `prometheus-rw=${five}`,
        '--publish',
        `prometheus-rw=${hang}`,
        '--publish',
        `prometheus-rw=${down}`,
      ],
      { env: envWithout('SIM_JWT_SECRET'), timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = readSummary(f.out);
    assert.equal(s.verdict, 'pass');
    assert.ok(s.runs.completed > 0 && s.runs.completed === s.runs.started, JSON.stringify(s.runs));
    assert.equal(s.errors.count, 0);
    for (const file of ['junit.xml', 'report.html', 'violations.jsonl', 'run.log'])
      assert.ok(existsSync(join(f.out, file)), file);
    // Not slowed: the load phase lasts what the scenario says, and the end waits at most the 2 s flush deadline.
    assert.ok(s.durationMs < 4000 + 4000, `durationMs ${s.durationMs}`);
    assert.ok(
      r.elapsedMs < s.durationMs + 2000 + 8000,
      `the process took ${Math.round(r.elapsedMs)} ms for a ${s.durationMs} ms run`,
    );
    const rw = s.outputs?.prometheusRw ?? [];
    assert.deepEqual(
      rw.map((x) => x.url),
      [five, hang, down],
    );
    for (const x of rw) assert.ok(x.samplesSent === 0 && x.samplesDropped > 0, JSON.stringify(x));
    assert.match(rw[0]!.lastError ?? '', /^HTTP 500: storage is on fire/);
    assert.match(rw[2]!.lastError ?? '', /ECONNREFUSED/);
    assert.ok(failed >= 2, `the 500 receiver was tried and retried (${failed} requests)`);
    assert.match(
      r.stdout,
      new RegExp(
        `^prometheus-rw ${down.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 0 samples sent, \\d+ dropped \\(last error: ECONNREFUSED\\)$`,
        'm',
      ),
    );
    assert.match(r.stdout, /^PASS$/m);
  });
});
