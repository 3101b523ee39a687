// An adapter's own cross-user probes (`probes:`, run by the scenario's probes.adapter) through request routes:
// a JSON answer judged by its status, an event stream judged by a value in its frames and by every frame's owner
// fields and canaries. Parley (test/helpers/made-up-backend.ts) has a replay stream and a summary no flow step
// uses; its leaky variant serves them for anyone's conversation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMadeUpBackend, type MadeUpBackend } from '../helpers/made-up-backend.js';
import { readSummary, removeTempDirs, writeScenario } from '../helpers/sim.js';
import { envWithout, ROOT, runCli } from '../helpers/cli.js';

const ADAPTER = join(ROOT, 'test', 'fixtures', 'adapters', 'parley-probes.yaml');

const scenario = `name: parley-probes
target: { api: ${ADAPTER} }
auth: { kind: jwt, delivery: header }
cohorts:
  chatters:
    users: 3
    duration: 2s
    gracefulStop: 10s
    flow:
      - createThread: { title: "Cost review {{user}}" }
      - repeat:
          times: 2
          steps:
            - sendMessage: { content: "Summarise spend for {{user}}", timeout: 10s }
      - idle: 300ms
probes: { adapter: { rate: 20/s } }
`;

interface Line {
  kind: string;
  kinds: Array<{ kind: string; field: string; value: string; owner?: string }>;
  receiver: { user: string };
  owner?: string;
  channel: string;
  op?: string;
  frame?: string;
}

describe('adapter probes through request routes', { concurrency: 2 }, () => {
  const secret = randomBytes(32).toString('base64url');
  const env = { ...envWithout('SIM_JWT_SECRET'), SIM_JWT_SECRET: secret };
  let strict: MadeUpBackend;
  let leaky: MadeUpBackend;

  before(async () => {
    strict = await startMadeUpBackend({ secret });
    leaky = await startMadeUpBackend({ secret, leakReplay: true });
  });
  after(async () => {
    await strict.close();
    await leaky.close();
    removeTempDirs();
  });

  test('refused everywhere: the probes are answered and nothing is a violation', async () => {
    const f = writeScenario(scenario);
    const r = await runCli(['run', f.file, '--target', strict.url, '--out', f.out, '--no-progress'], {
      env,
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = readSummary(f.out);
    assert.equal(s.isolation.violations, 0, JSON.stringify(s.isolation));
    assert.ok((s.coverage?.probesAnswered ?? 0) >= 10, JSON.stringify(s.coverage));
    assert.equal(s.coverage?.probesAnswered, s.coverage?.probesSent);
  });

  test("served to anyone: the summary by its 2xx, the replay by its turn frames, each frame's owner and canary", async () => {
    const f = writeScenario(scenario);
    const r = await runCli(['run', f.file, '--target', leaky.url, '--out', f.out, '--no-progress'], {
      env,
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const lines = readFileSync(join(f.out, 'violations.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
    for (const v of lines) {
      assert.match(v.op ?? '', /^adapterProbe (replay|summary)$/, JSON.stringify(v));
      assert.notEqual(v.owner, v.receiver.user);
    }
    const summary = lines.find((v) => v.op === 'adapterProbe summary');
    assert.ok(summary, 'a summary line');
    assert.deepEqual(
      [summary.kind, summary.channel, summary.kinds[0]!.field],
      ['rest_cross_user_read', 'rest', 'thread_id'],
    );
    assert.match(summary.frame ?? '', /^HTTP 200 \{"uid":"cv-/);
    // The first turn frame of a replay is what `accepted` names; later ones are read like any frame a user gets.
    const replay = lines.filter((v) => v.op === 'adapterProbe replay');
    const accepted = replay.find((v) => v.kind === 'rest_cross_user_read');
    assert.ok(accepted, 'a replay accepted');
    assert.match(accepted.frame ?? '', /^\{"object":"replay\.turn"/);
    const frame = replay.find((v) => v.kind !== 'rest_cross_user_read');
    assert.ok(frame, 'a later replay frame');
    assert.deepEqual(frame.kinds.map((k) => k.kind).sort(), ['foreign_canary', 'foreign_thread', 'foreign_user_id']);
    const s = readSummary(f.out);
    assert.ok(
      (s.isolation.byKind.rest_cross_user_read ?? 0) >= 2 && (s.isolation.byKind.foreign_canary ?? 0) >= 1,
      JSON.stringify(s.isolation),
    );
  });
});
