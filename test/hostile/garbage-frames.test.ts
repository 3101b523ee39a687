// Behaviour 4: garbage frames on an otherwise correct run. Once a run has
// completed and another user's run is known, the server sends that connection:
// a binary frame, two invalid JSON texts, 16 MiB of invalid JSON, 16 MiB of
// valid JSON (both exactly at the generator's limit), `[[[...]]]` and
// `{"a":{"a":...}}` 10,000 deep, typeless and typed objects with 200,000 keys,
// an `agent_thinking` for a run that does not exist; then one genuine leak (an
// event of the other user's run, with that user's user_id, thread and run
// ids). Malformed frames are counted and never reported as leaks; the leak is
// still reported. A second run sends one frame over the 16 MiB limit.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHostileServer, type HostileServer } from './hostile-server.js';
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

const servers: HostileServer[] = [];

const garbageRun = once(async () => {
  const srv = await startHostileServer({ secret: SECRET, garbage: true });
  servers.push(srv);
  // Each user stays connected after its run, so the client has time to read the whole 35 MB burst
  // even on a busy machine (a user that moves on closes its connection and may never see the end of it).
  const f = writeScenario(
    scenarioYaml({
      name: 'garbage-frames',
      users: 2,
      duration: '4s',
      flow: 'connect, createThread, { sendMessage: { content: "hello from {{user}}", timeout: 2s } }, { idle: 4s }',
    }),
  );
  const r = await runAgainst(f.file, srv.url, f.out);
  return { r, f, srv };
});

const oversizeRun = once(async () => {
  const srv = await startHostileServer({ secret: SECRET, oversizeFrame: true });
  servers.push(srv);
  // The frame comes right after the first run; the user thinks long enough to receive it while
  // connected, then sends again on the tab that was cut (sendMessage reconnects a dropped tab).
  const send = '{ sendMessage: { content: "hello from {{user}}", timeout: 2s } }';
  const f = writeScenario(
    scenarioYaml({
      name: 'oversize-frame',
      users: 2,
      flow: `connect, createThread, ${send}, { think: 1500ms }, ${send}, { think: 200ms }`,
    }),
  );
  const r = await runAgainst(f.file, srv.url, f.out);
  return { r, f, srv };
});

describe('hostile: garbage frames and a genuine leak in the same run', { concurrency: 4 }, () => {
  after(async () => {
    cleanup();
    await Promise.all(servers.map((s) => s.close()));
  });

  test('garbage is counted, never a leak; the genuine leak is still reported (exit 2)', async () => {
    const { r, f, srv } = await garbageRun();
    const g = srv.stats.garbage;
    assert.ok(g, `the server sent the garbage burst: ${JSON.stringify(srv.stats)}`);
    const s = assertCompleteRun(r, f.out, { code: 2, plannedMs: 4000 });

    // Counted: not JSON (binary, two invalid texts, 16 MiB of invalid JSON).
    const malformed = counter(s, 'ws.malformed_frames');
    assert.ok(malformed >= 4, `malformed frames counted; ${digest(s)}`);
    assert.equal(
      s.errors.byKind.malformed_frame,
      malformed,
      `errors{kind:malformed_frame} = ws.malformed_frames; ${digest(s)}`,
    );
    // Every garbage frame that is not a readable typed frame is accounted for somewhere
    // (malformed, or a lifecycle unknown_event for typeless JSON).
    const unknown = s.lifecycle.byKind.unknown_event ?? 0;
    assert.ok(
      malformed + unknown >= 7,
      `every garbage frame counted (malformed ${malformed} + unknown_event ${unknown}); ${digest(s)}`,
    );
    // Frames of exactly 16 MiB are within the limit: the connection survives them.
    assert.equal(s.errors.byKind.frame_too_large, undefined, digest(s));
    assert.equal(s.errors.byKind.disconnected, undefined, `the garbage did not cost the connection; ${digest(s)}`);
    // The ghost run is nobody's: unattributed, not a leak.
    assert.ok(s.isolation.unattributed >= 1, `the run that does not exist is unattributed; ${digest(s)}`);

    // The leak: one frame, reported once (with every reason it shows), and the only source of isolation violations.
    assert.equal(s.isolation.violations, 1, `the genuine leak is reported, once; ${digest(s)}`);
    const iso = readViolations(f.out).filter((v) => v.class === 'isolation');
    assert.equal(iso.length, 1);
    for (const v of iso) {
      assert.equal(
        v.receiver.user,
        g.to,
        `violation at the user that got the leak: ${JSON.stringify(v).slice(0, 400)}`,
      );
      assert.ok(
        typeof v.frame === 'string' && v.frame.includes(g.leakedRun),
        `each isolation violation is the leak frame, not garbage: ${JSON.stringify(v).slice(0, 400)}`,
      );
    }
    const reasons = (iso[0]!.kinds ?? []) as Array<{ kind: string; value: string; owner?: string }>;
    assert.ok(
      reasons.some((k) => k.kind === 'foreign_user_id' && k.owner === g.leakedFrom && k.value === g.leakedFrom),
      `foreign_user_id naming ${g.leakedFrom}: ${JSON.stringify(iso).slice(0, 800)}`,
    );
    assert.ok(
      reasons.some((k) => k.kind === 'foreign_thread') && reasons.some((k) => k.kind === 'foreign_run'),
      `its thread and run ids are reasons of the same violation: ${JSON.stringify(reasons)}`,
    );
    // Evidence is cut: no 16 MiB line in violations.jsonl.
    const size = readFileSync(join(f.out, 'violations.jsonl')).length;
    assert.ok(size < 64 * 1024, `violations.jsonl stays small (${size} bytes)`);
    assert.ok(s.runs.completed >= 1, `runs completed around the garbage; ${digest(s)}`);
  });

  test('a frame that is JSON but not an object (10,000-deep [[[...]]]) counts as malformed, not as a lifecycle event', async () => {
    const { r, f } = await garbageRun();
    const s = assertCompleteRun(r, f.out, { code: 2, plannedMs: 4000 });
    const arrays = readViolations(f.out).filter(
      (v) => v.kind === 'unknown_event' && typeof v.frame === 'string' && v.frame.startsWith('['),
    );
    assert.equal(arrays.length, 0, `array frames reported as lifecycle unknown_event: ${arrays.length}`);
    assert.ok(counter(s, 'ws.malformed_frames') >= 5, digest(s));
  });

  test('one frame over the 16 MiB limit: the connection is cut and counted, the user reconnects and runs on, RSS bounded', async () => {
    const { r, f, srv } = await oversizeRun();
    assert.ok(srv.stats.oversize && srv.stats.oversize.bytes === 16 * 1024 * 1024 + 1, JSON.stringify(srv.stats));
    const s = assertCompleteRun(r, f.out, { code: 0 });
    const cut = (s.errors.byKind.frame_too_large ?? 0) + (s.errors.byKind.disconnected ?? 0);
    assert.equal(cut, 1, `the one cut connection is counted once; ${digest(s, r)}`);
    assert.equal(s.isolation.violations, 0, digest(s));
    assert.ok(r.maxRssMiB < 400, `RSS stayed bounded: ${r.maxRssMiB} MiB`);
    assert.ok(s.runs.completed >= 2, `runs went on after the cut; ${digest(s)}`);
    assert.ok(counter(s, 'ws.connections') >= 3, `the cut tab was reconnected; ${digest(s)}`);
  });

  test('the over-limit frame is counted as errors{kind:frame_too_large}', async () => {
    const { r, f } = await oversizeRun();
    const s = assertCompleteRun(r, f.out, { code: 0 });
    assert.equal(s.errors.byKind.frame_too_large, 1, digest(s));
    assert.equal(s.errors.byKind.disconnected, undefined, digest(s));
  });
});
