// Generator self-check: the target stalls for 2 s, then releases everything it
// held at once plus 12,000 small ownerless frames (30 connections × 400, each
// connection's share in one write), enough to keep the generator's loop busy
// well past 20 ms. The second of the burst is flagged as queueing in
// summary.json (generator.queueing), on the report's banner and in junit.xml;
// the loop-lag figure is one figure under one name. An idle run without the
// stall flags no more than the machine itself imposes on an idle process.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrendSummary } from '../../src/core/summary.js';
import { formatQueueingNotice } from '../../src/output/generator-health-text.js';
import { startHostileServer, type HostileServer } from './hostile-server.js';
import { assertCompleteRun, cleanup, digest, runAgainst, scenarioYaml, SECRET, writeScenario } from './harness.js';

const STALL = { atMs: 1500, forMs: 2000, padFrames: 400, padBytes: 512 };
const stallScenario = (): string =>
  scenarioYaml({
    name: 'stall-burst',
    users: 30,
    duration: '6s',
    connectTimeout: '5s',
    requestTimeout: '5s',
    flow: 'connect, createThread, { sendMessage: { content: "hello from {{user}}", timeout: 5s } }, { think: 100ms }',
  });

/** Counts the seconds in which this process's own 2 ms timer ran more than 20 ms late. */
function startLagProbe(): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  let seconds = 0;
  const sampler = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 2);
    last = now;
  }, 2);
  const perSecond = setInterval(() => {
    if (worst > 20) seconds++;
    worst = 0;
  }, 1000);
  return {
    stop: () => {
      clearInterval(sampler);
      clearInterval(perSecond);
      return seconds + (worst > 20 ? 1 : 0);
    },
  };
}

describe('hostile: a stalled target releases a burst; the generator flags its own queueing', () => {
  const servers: HostileServer[] = [];
  after(async () => {
    cleanup();
    await Promise.all(servers.map((s) => s.close()));
  });

  test('the burst after a 2 s stall is flagged in summary.json, report.html and junit.xml', async () => {
    const srv = await startHostileServer({ secret: SECRET, stall: STALL });
    servers.push(srv);
    const f = writeScenario(stallScenario());
    const r = await runAgainst(f.file, srv.url, f.out, { extraArgs: ['--workers', '1'] });
    const s = assertCompleteRun(r, f.out, { code: 0, plannedMs: 6000, graceMs: 5000 });
    const st = srv.stats.stall;
    assert.ok(st && st.held > 0 && st.padded > 0, `the server stalled and released a burst: ${JSON.stringify(st)}`);

    const q = s.generator.queueing;
    assert.ok(q, `summary.json has generator.queueing; ${digest(s)}`);
    assert.equal(q.boundMs, 20);
    // The users' clock starts a moment before the first upgrade; the burst comes STALL.atMs + forMs after it.
    const releaseSec = Math.floor((st.toMs - srv.stats.firstUpgradeAtMs!) / 1000);
    const hit = q.windows.find((w) => w.fromSec <= releaseSec + 1 && w.toSec >= releaseSec);
    assert.ok(hit, `a window around +${releaseSec} s, the release: ${JSON.stringify(q)}`);
    assert.ok(hit.maxLagMs > 20, `its lag is past the bound: ${JSON.stringify(hit)}`);
    assert.ok(q.seconds >= hit.toSec - hit.fromSec && q.sampleShare > 0, JSON.stringify(q));
    // The series shows the same lag in the flagged second.
    const flagged = s.series
      .filter((p) => p.t > hit.fromSec && p.t <= hit.toSec)
      .map((p) => p.trends['generator.loop_lag']?.max ?? 0);
    assert.ok(
      flagged.some((ms) => ms > 20),
      `series generator.loop_lag max over 20 ms in the window: ${JSON.stringify(flagged)}`,
    );

    // One loop-lag figure under one name: the summary's generator health is the generator.loop_lag trend's.
    const lag = s.metrics['generator.loop_lag'] as TrendSummary;
    assert.equal(s.generator.loopLagP99Ms, lag.p99);
    assert.equal(s.generator.loopLagMaxMs, lag.max);
    assert.ok(
      lag.max >= hit.maxLagMs,
      `the trend holds every sample, the window's max too: ${lag.max} vs ${hit.maxLagMs}`,
    );

    // Receive stamps are never earlier than the bytes they time: each connect the generator timed (TCP open to the
    // read that brought connection_established) spans the server's own accept-to-written time, so every
    // percentile of the generator's ws.connect is at least the server's.
    const connect = s.metrics['ws.connect'] as TrendSummary;
    const server = [...srv.stats.connectMs].sort((a, b) => a - b);
    // (A connect cut at the very end may be written by the server and never timed: then only the counts are compared.)
    assert.ok(
      connect.count <= server.length && connect.count >= server.length - 2,
      `one connect timed per connection the server established: ${connect.count} vs ${server.length}`,
    );
    const at = (p: number): number => server[Math.max(0, Math.ceil((p / 100) * server.length) - 1)]!;
    const pairs =
      connect.count === server.length
        ? ([
            ['p50', connect.p50, at(50)],
            ['p95', connect.p95, at(95)],
            ['max', connect.max, server[server.length - 1]!],
          ] as const)
        : [];
    for (const [name, mine, theirs] of pairs)
      assert.ok(mine >= theirs - 0.5, `ws.connect ${name} ${mine} ms >= the server's ${theirs.toFixed(3)} ms`);

    const html = readFileSync(join(f.out, 'report.html'), 'utf8');
    const banner = /<div class="banner" role="status" id="generator-queueing">([^<]*)<\/div>/.exec(html);
    assert.ok(banner, 'report.html has the queueing banner');
    // The banner names the worst windows (a busy machine may add some of its own); the release is one of them.
    assert.equal(banner[1], `⚠ ${formatQueueingNotice(q)}.`);
    assert.match(
      banner[1],
      /between \+\d+ s and \+\d+ s the generator was busy for up to [\d.]+m?s.*: latencies recorded then may be over-reported by up to that much/,
    );
    assert.ok(
      html.indexOf('id="generator-queueing"') < html.indexOf('id="over-time"'),
      'the banner sits by the verdict, above the charts',
    );
    assert.equal((html.match(/event-loop lag p99/g) ?? []).length, 0, 'no second name for the loop-lag figure');

    const xml = readFileSync(join(f.out, 'junit.xml'), 'utf8');
    assert.ok(xml.includes(`generator queueing: ${formatQueueingNotice(q)}`), 'junit.xml system-out says so too');
  });

  test('without the stall, the generator flags no more than an idle process on the same machine sees', async () => {
    const srv = await startHostileServer({ secret: SECRET });
    servers.push(srv);
    // An idle smoke run: two users, one run each, then connected and quiet.
    const f = writeScenario(
      scenarioYaml({
        name: 'no-stall',
        users: 2,
        duration: '6s',
        flow: 'connect, createThread, { sendMessage: { content: "hello from {{user}}", timeout: 2s } }, { idle: 6s }',
      }),
    );
    // What this machine does to any process meanwhile: seconds in which this (nearly idle) test process lagged past the bound.
    const probe = startLagProbe();
    const r = await runAgainst(f.file, srv.url, f.out, { extraArgs: ['--workers', '1'] });
    const machineSeconds = probe.stop();
    const s = assertCompleteRun(r, f.out, { code: 0, plannedMs: 6000 });
    const q = s.generator.queueing;
    assert.ok(q, `summary.json has generator.queueing; ${digest(s)}`);
    // Loose on purpose: a busy machine stalls every process now and then, and the first second holds the
    // generator's own warm-up (first connections, code compiled on first use).
    assert.ok(
      q.seconds <= machineSeconds + 3,
      `flagged ${q.seconds} s, an idle process on this machine saw ${machineSeconds}: ${JSON.stringify(q)}`,
    );
    assert.ok(q.seconds < s.series.length, `not every second: ${JSON.stringify(q)}, ${s.series.length} seconds`);
    for (const w of q.windows) assert.ok(w.maxLagMs < 1000, `no absurd lag on an idle run: ${JSON.stringify(w)}`);
  });
});
