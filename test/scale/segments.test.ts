import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, runCli } from '../helpers/cli.js';

const BIN = join(ROOT, 'bin/simulate');
const SECRET = 'segments-test-secret-0123456789';

interface Summary {
  segment: string;
  users: { total: number; byCohort: Record<string, number> };
  runs: { started: number; completed: number };
  isolation: { violations: number; byKind: Record<string, number>; unattributed: number };
  metrics: Record<string, { type: string; count?: number; value?: number }>;
  exitCode: number;
}

/** Starts `simulate serve` and resolves with its URL once the listening line is out. */
function serve(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, SIM_JWT_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve({ url: m[1]!, child });
      else reject(new Error(line));
    });
  });
}

async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await runCli(args, { env: { ...process.env, SIM_JWT_SECRET: SECRET }, timeoutMs: 60_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

const read = (dir: string): Summary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

// Each user runs exactly one iteration (three runs, then idles past the end), so counts are exact.
const SCENARIO = `name: segments
auth: { kind: jwt }
cohorts:
  chatters:
    users: 8
    duration: 3s
    gracefulStop: 5s
    flow:
      - connect
      - createThread: { title: "Segment test {{user}}" }
      - repeat: { times: 3, steps: [{ sendMessage: { content: "Question from {{user}}", timeout: 8s } }] }
      - idle: 30s
thresholds:
  isolation.violations: ["count == 0"]
  run.total: ["p(95) < 5s"]
`;

/** Runs the scenario as four segments at once (four processes, one --start-at) and merges them. */
async function runSegmented(
  dir: string,
  url: string,
  segmentCodes: readonly number[] = [0],
): Promise<{ parts: Summary[]; merged: Summary; mergeCode: number | null; mergeOut: string }> {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, SCENARIO);
  const at = new Date(Date.now() + 2500).toISOString();
  const codes = await Promise.all(
    [0, 1, 2, 3].map((i) =>
      run([
        'run',
        file,
        '--target',
        url,
        '--segment',
        `${i}/4`,
        '--start-at',
        at,
        '--out',
        join(dir, `seg${i}`),
        '--quiet',
      ]),
    ),
  );
  for (const c of codes)
    assert.ok(c.code !== null && segmentCodes.includes(c.code), `segment exit ${c.code}: ${c.out}`);
  const m = await run(['merge', ...[0, 1, 2, 3].map((i) => join(dir, `seg${i}`)), '--out', join(dir, 'merged')]);
  return {
    parts: [0, 1, 2, 3].map((i) => read(join(dir, `seg${i}`))),
    merged: read(join(dir, 'merged')),
    mergeCode: m.code,
    mergeOut: m.out,
  };
}

describe('segments on four processes, merged', () => {
  let clean: { url: string; child: ChildProcess };
  let leaky: { url: string; child: ChildProcess };
  before(async () => {
    [clean, leaky] = await Promise.all([
      serve(['--agent', 'fast']),
      serve(['--agent', 'fast', '--faults', 'rewrite=0.1']),
    ]);
  });
  after(() => {
    clean.child.kill('SIGTERM');
    leaky.child.kill('SIGTERM');
  });

  test('the merged summary has the same users and runs as one unsegmented run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-seg-'));
    const whole = await run([
      'run',
      (writeFileSync(join(dir, 'whole.yaml'), SCENARIO), join(dir, 'whole.yaml')),
      '--target',
      clean.url,
      '--out',
      join(dir, 'whole'),
      '--quiet',
    ]);
    assert.equal(whole.code, 0, whole.out);
    const one = read(join(dir, 'whole'));
    const { parts, merged, mergeCode, mergeOut } = await runSegmented(dir, clean.url);
    assert.equal(mergeCode, 0, mergeOut);
    assert.deepEqual(parts.map((p) => p.segment).sort(), ['0/4', '1/4', '2/4', '3/4']);
    assert.deepEqual(
      parts.map((p) => p.users.total),
      [2, 2, 2, 2],
      'each segment ran a disjoint quarter',
    );
    assert.equal(merged.users.total, one.users.total);
    assert.equal(merged.users.total, 8);
    assert.equal(merged.runs.completed, one.runs.completed);
    assert.equal(merged.runs.completed, 24);
    // Histograms were merged, not averaged: the counts add up exactly.
    assert.equal(
      merged.metrics['run.total']?.count,
      parts.reduce((n, p) => n + (p.metrics['run.total']?.count ?? 0), 0),
    );
    assert.equal(merged.metrics['run.total']?.count, one.metrics['run.total']?.count);
    assert.equal(merged.isolation.violations, 0);
    assert.equal(merged.segment, '0/4,1/4,2/4,3/4');
    for (const f of ['summary.json', 'junit.xml', 'violations.jsonl', 'report.html'])
      assert.ok(existsSync(join(dir, 'merged', f)), f);

    // A merge that does not cover the scenario once cannot judge it: untested (exit 4), unless asked to.
    const seg = (i: number): string => join(dir, `seg${i}`);
    const missing = await run(['merge', seg(0), seg(1), seg(3), '--out', join(dir, 'missing')]);
    assert.equal(missing.code, 4, missing.out);
    assert.match(
      missing.out,
      /^UNTESTED \(exit 4\): segment 2\/4 missing: the merge covers part of the scenario \(pass --allow-partial to judge a partial merge\)$/m,
    );
    assert.equal(read(join(dir, 'missing')).exitCode, 4);
    const twice = await run(['merge', seg(0), seg(1), seg(2), seg(3), seg(1), '--out', join(dir, 'twice')]);
    assert.equal(twice.code, 4, twice.out);
    assert.match(twice.out, /segment 1\/4 given more than once: its users would count twice/);
    const allowed = await run(['merge', seg(0), seg(1), seg(3), '--allow-partial', '--out', join(dir, 'allowed')]);
    assert.equal(allowed.code, 0, allowed.out);
    assert.match(
      allowed.out,
      /warning: segment 2\/4 missing: the merge covers part of the scenario \(--allow-partial: judged anyway\)/,
    );
    assert.equal(read(join(dir, 'allowed')).users.total, 6);
  });

  test('a leak between users of two segments is reported with its kind after the merge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-seg-leak-'));
    // A rewritten event is lost to its owner, whose run may then never complete: a segment of two users can be
    // left with one that completed a run (untested on its own, exit 4). The merge judges the whole.
    const { parts, merged, mergeCode, mergeOut } = await runSegmented(dir, leaky.url, [0, 2, 4]);
    assert.equal(mergeCode, 2, mergeOut);
    const local = (k: string): number => parts.reduce((n, p) => n + (p.isolation.byKind[k] ?? 0), 0);
    // A rewritten event names a thread and run of a user in another segment: no segment owns those ids alone.
    const settled =
      (merged.isolation.byKind.foreign_thread ?? 0) -
      local('foreign_thread') +
      (merged.isolation.byKind.foreign_run ?? 0) -
      local('foreign_run');
    assert.ok(
      settled > 0,
      `the merge settled cross-segment ids as leaks: ${JSON.stringify({ merged: merged.isolation, parts: parts.map((p) => p.isolation) })}`,
    );
    assert.ok(
      merged.isolation.unattributed < parts.reduce((n, p) => n + p.isolation.unattributed, 0),
      'unattributed ids became owned',
    );
    const lines = readFileSync(join(dir, 'merged', 'violations.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            id: string;
            class: string;
            kinds: Array<{ kind: string; owner?: string }>;
            receiver: { user: string };
          },
      )
      .filter((v) => v.class === 'isolation');
    // The thread id settled at the merge joined its frame's line (found in a segment by its message id), naming its owner.
    assert.ok(
      lines.some((v) => v.kinds.some((k) => k.kind === 'foreign_thread' && k.owner && k.owner !== v.receiver.user)),
      'evidence names the owner',
    );
    assert.equal(new Set(lines.map((v) => v.id)).size, lines.length, 'one line per leaked frame');
    assert.equal(lines.length, merged.isolation.violations, 'every leaked frame has its line');
  });
});
