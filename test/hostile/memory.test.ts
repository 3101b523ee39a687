// Behaviour 8: memory and limits. The generator's RSS (VmRSS of the CLI
// process, worker threads included, sampled every 100 ms from /proc) must stay
// bounded, and the run must end on time, when the target
//   - floods small valid frames (heartbeats) as fast as the client reads, all run long;
//   - answers REST with a body that never ends;
//   - floods ownerless frames that each name a thread nobody created (every
//     one is kept to be settled at the end, then counted as unattributed).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostileServer, type HostileServer } from './hostile-server.js';
import type { HostileOptions } from './hostile-types.js';
import {
  assertCompleteRun,
  cleanup,
  counter,
  digest,
  once,
  readViolations,
  runAgainst,
  scenarioYaml,
  SECRET,
  writeScenario,
} from './harness.js';

const RSS_LIMIT_MIB = 400;
const servers: HostileServer[] = [];

function memoryRun(name: string, server: Omit<HostileOptions, 'secret'>) {
  return once(async () => {
    const srv = await startHostileServer({ secret: SECRET, ...server });
    servers.push(srv);
    const f = writeScenario(scenarioYaml({ name, users: 2, duration: '4s' }));
    const r = await runAgainst(f.file, srv.url, f.out);
    return { r, f, srv };
  });
}

const heartbeatFlood = memoryRun('heartbeat-flood', { flood: 'heartbeat' });
const endlessBody = memoryRun('endless-rest-body', { rest: 'endless' });
// 3,000 frames of 128 KiB (375 MiB in all): each names a different unknown thread.
const unknownFlood = memoryRun('unknown-thread-flood', {
  flood: 'unknown_thread',
  floodFrameBytes: 128 * 1024,
  floodMaxFrames: 3000,
});

describe('hostile: memory under floods and endless bodies', { concurrency: 2 }, () => {
  after(async () => {
    cleanup();
    await Promise.all(servers.map((s) => s.close()));
  });

  test(`a heartbeat flood all run long: RSS < ${RSS_LIMIT_MIB} MiB, frames counted, on time, exit 0`, async () => {
    const { r, f, srv } = await heartbeatFlood();
    const s = assertCompleteRun(r, f.out, { code: 0, plannedMs: 4000 });
    assert.ok(r.rssSamples >= 10, `RSS was sampled during the run (${r.rssSamples} samples)`);
    assert.ok(r.maxRssMiB < RSS_LIMIT_MIB, `RSS peaked at ${r.maxRssMiB} MiB; ${digest(s, r)}`);
    assert.ok(
      counter(s, 'ws.frames_received') > 10_000,
      `the flood did arrive and was counted; ${digest(s)}; server sent ${srv.stats.framesSent}`,
    );
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(s.isolation.violations, 0, `heartbeats are ownerless: ${digest(s)}`);
    assert.equal(
      s.lifecycle.violations,
      0,
      `heartbeats are known frames, run events arrive in order: ${digest(s)} ${JSON.stringify(readViolations(f.out).slice(0, 4)).slice(0, 3000)}`,
    );
    assert.ok(s.runs.completed >= 1, `runs still complete under the flood; ${digest(s)}`);
  });

  test('a REST body that never ends: cut and counted as bad_response, the run ends on time (untested: no REST call succeeded)', async () => {
    const { r, f, srv } = await endlessBody();
    const s = assertCompleteRun(r, f.out, { code: 4, plannedMs: 4000 });
    assert.ok(
      srv.stats.endlessBytes > 32 * 1024 * 1024,
      `the server did stream a lot: ${srv.stats.endlessBytes} bytes`,
    );
    assert.ok((s.errors.byKind.bad_response ?? 0) >= 1, digest(s, r));
    // A sanity bound that an unbounded buffer would break; the real expectation is the todo below.
    assert.ok(r.maxRssMiB < 1024, `RSS peaked at ${r.maxRssMiB} MiB`);
  });

  test(`a REST body that never ends: RSS < ${RSS_LIMIT_MIB} MiB`, async () => {
    const { r } = await endlessBody();
    assert.ok(r.maxRssMiB < RSS_LIMIT_MIB, `RSS peaked at ${r.maxRssMiB} MiB`);
  });

  test('a flood of frames naming unknown threads: unattributed, never a leak, on time, exit 0', async () => {
    const { r, f } = await unknownFlood();
    const s = assertCompleteRun(r, f.out, { code: 0, plannedMs: 4000 });
    assert.ok(s.isolation.unattributed >= 500, `the unknown ids are counted as unattributed; ${digest(s, r)}`);
    assert.equal(s.isolation.violations, 0, digest(s));
  });

  test(`a flood of frames naming unknown threads: RSS < ${RSS_LIMIT_MIB} MiB`, async () => {
    const { r } = await unknownFlood();
    assert.ok(r.maxRssMiB < RSS_LIMIT_MIB, `RSS peaked at ${r.maxRssMiB} MiB`);
  });
});
