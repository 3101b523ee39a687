// `simulate run --publish ... --metrics-port ...` and `outputs:` as a user meets them: bad input is exit 3
// naming the flag or the file and YAML path, a busy port is exit 4 before anything is written, and a remote
// write's credential reaches the receiver but never the results.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { decodeWriteRequest } from '../../src/protocol/remote-write-encoding.js';
import { envWithout, killCliChildren, runCli, spawnCli } from '../helpers/cli.js';
import { readSummary, removeTempDirs, waitUntil, writeScenario } from '../helpers/sim.js';

const TINY = `name: tiny-live
target: { embedded: { agent: fast } }
cohorts:
  c:
    users: 2
    duration: 2s
    flow: [connect, createThread, { repeat: { duration: 2s, steps: [{ sendMessage: { content: "hi" } }] } }]
`;

describe('run options for live outputs', { concurrency: 3 }, () => {
  after(() => {
    killCliChildren();
    removeTempDirs();
  });

  test('a bad --publish or --metrics-port is exit 3 naming the flag; nothing is written', async () => {
    const f = writeScenario(TINY);
    const r = await runCli([
      'run',
      f.file,
      '--out',
      f.out,
      '--publish',
      'influx=http://127.0.0.1:8086',
      '--metrics-port',
      'ninety',
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /--publish: outputs\.publish\[0\]: expected KIND=URL with KIND one of prometheus-rw/);
    assert.match(
      r.stderr,
      /--metrics-port: outputs\.metricsPort: expected a whole number from 0 to 65535, got "ninety"/,
    );
    assert.doesNotMatch(r.stderr, /^ {4}at /m, 'no stack trace');
    assert.equal(existsSync(f.out), false);
  });

  test('a bad outputs: block is exit 3 naming file, line and YAML path, from run and from validate', async () => {
    const f = writeScenario(
      `${TINY}outputs:\n  publish:\n    - { kind: prometheus-rw, url: "http://127.0.0.1:9/w", bearerToken: abc }\n`,
    );
    for (const args of [
      ['run', f.file, '--out', f.out],
      ['validate', f.file],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 3, r.stderr);
      assert.ok(r.stderr.includes(`${f.file}:10:`), r.stderr);
      assert.match(
        r.stderr,
        /outputs\.publish\[0\]\.bearerToken: unknown key "bearerToken" \(did you mean "bearerTokenEnv"\?\)/,
      );
    }
  });

  test('an unset bearerTokenEnv is exit 3 naming the file and key', async () => {
    const f = writeScenario(
      `${TINY}outputs:\n  publish: [{ kind: prometheus-rw, url: "http://127.0.0.1:9/w", bearerTokenEnv: CT_TEST_UNSET_TOKEN }]\n`,
    );
    const r = await runCli(['run', f.file, '--out', f.out], {
      env: envWithout('SIM_JWT_SECRET', 'CT_TEST_UNSET_TOKEN'),
    });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(
      r.stderr.includes(
        `${f.file}: outputs.publish[0].bearerTokenEnv: the environment variable CT_TEST_UNSET_TOKEN is unset`,
      ),
      r.stderr,
    );
    assert.equal(existsSync(f.out), false);
  });

  test('a --metrics-port in use is exit 4 before the run writes anything, so --out can be reused', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const f = writeScenario(`${TINY}outputs: { metricsHost: 127.0.0.1 }\n`);
      const r = await runCli(['run', f.file, '--out', f.out, '--metrics-port', String(port)]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, new RegExp(`--metrics-port: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      assert.equal(existsSync(f.out) && readdirSync(f.out).length > 0, false, 'no results written');
    } finally {
      busy.close();
    }
  });

  test('a bearer token reaches the receiver, never the results', async () => {
    const token = 'ct-test-token-3f9a1c77e2';
    const seen: IncomingHttpHeaders[] = [];
    const rx = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/api/v1/push`;
    try {
      const f = writeScenario(
        `${TINY}outputs:\n  interval: 1s\n  publish: [{ kind: prometheus-rw, url: "${url}", bearerTokenEnv: CT_TEST_TOKEN, headers: { X-Scope-OrgID: load } }]\n`,
      );
      const r = await runCli(['run', f.file, '--out', f.out], {
        env: { ...envWithout('SIM_JWT_SECRET'), CT_TEST_TOKEN: token },
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(seen.length >= 2, `requests: ${seen.length}`);
      for (const h of seen) {
        assert.equal(h.authorization, `Bearer ${token}`);
        assert.equal(h['x-scope-orgid'], 'load');
      }
      const s = readSummary(f.out);
      assert.equal(s.outputs?.prometheusRw[0]?.samplesDropped, 0);
      for (const file of readdirSync(f.out))
        assert.ok(!readFileSync(join(f.out, file), 'utf8').includes(token), `${file} holds no token`);
      assert.ok(!(r.stdout + r.stderr).includes(token));
    } finally {
      rx.closeAllConnections();
      rx.close();
    }
  });

  test('Ctrl-C during a run: the final figures are still published, flagged finished, and counted in summary.json', async () => {
    const bodies: Buffer[] = [];
    const rx = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/api/v1/write`;
    try {
      const f = writeScenario(`name: interrupted-live
target: { embedded: { agent: fast } }
cohorts:
  c:
    users: 3
    duration: 20s
    flow: [connect, createThread, { repeat: { duration: 20s, steps: [{ sendMessage: { content: "hi" } }, { think: 100ms }] } }]
outputs: { interval: 1s, metricsPort: 0, metricsHost: 127.0.0.1 }
`);
      const p = spawnCli(['run', f.file, '--out', f.out, '--no-progress', '--publish', `prometheus-rw=${url}`], {
        timeoutMs: 40_000,
      });
      await waitUntil(() => bodies.length >= 3, 20_000, 'three intervals published');
      const metricsUrl = /^metrics: (http:\S+)$/m.exec(p.stderr())?.[1];
      assert.ok(metricsUrl, p.stderr());
      assert.match(
        await (await fetch(metricsUrl)).text(),
        /^crosstalk_run_finished\{.*\} 0$/m,
        '/metrics serves the run while it goes on',
      );
      p.child.kill('SIGINT');
      const r = await p.result;
      assert.equal(r.code, 130, r.stderr);
      const s = readSummary(f.out);
      assert.equal(s.interrupted, true);
      const last = decodeWriteRequest(bodies.at(-1)!);
      const value = (name: string): number | undefined =>
        last.find((x) => x.labels.__name__ === name)?.samples[0]?.value;
      assert.equal(value('crosstalk_run_finished'), 1, 'the last request holds the final figures');
      // Summed over its series (per cohort, and the untagged one every run has).
      const started = last
        .filter((x) => x.labels.__name__ === 'crosstalk_runs_started_total')
        .reduce((a, x) => a + x.samples[0]!.value, 0);
      assert.equal(started, s.runs.started, 'final runs.started as summary.json');
      assert.equal(s.outputs?.prometheusRw[0]?.samplesDropped, 0);
      assert.ok((s.outputs?.metricsEndpoint?.scrapes ?? 0) >= 1);
    } finally {
      rx.closeAllConnections();
      rx.close();
    }
  });
});
