import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixScenario, runMatrix } from './matrix-helpers.js';

// Each isolation fault of the reference target, at about 1 in 200 events or
// requests, must be caught with its kind, with evidence, and exit 2.
const CASES: ReadonlyArray<{ fault: string; kinds: readonly string[] }> = [
  { fault: 'misroute', kinds: ['foreign_user_id'] },
  { fault: 'broadcast', kinds: ['foreign_user_id'] },
  { fault: 'rewrite', kinds: ['foreign_thread', 'foreign_run'] },
  { fault: 'content', kinds: ['foreign_canary'] },
  { fault: 'rest_list', kinds: ['rest_foreign_listing'] },
  { fault: 'idor', kinds: ['rest_cross_user_read'] },
  { fault: 'auth_bypass', kinds: ['auth_bypass'] },
];

describe('isolation faults are caught through the CLI', () => {
  for (const c of CASES) {
    // Request-level faults meet only the probes (a thousand or so in a run on a busy machine): at 1 in 200 a run
    // would see none about one time in a hundred, so they strike 1 in 50.
    const probeBased = c.fault === 'idor' || c.fault === 'auth_bypass' || c.fault === 'rest_list';
    // content needs another user's message in the target's recent ones when it strikes: on a loaded machine, with
    // few runs, 1 in 200 events met none often enough to fail a run in ten; it strikes 1 in 50 as well.
    const p = probeBased || c.fault === 'content' ? 0.02 : 0.005;
    test(`${c.fault}=${p} → ${c.kinds.join(' or ')}, exit 2`, async () => {
      const r = await runMatrix(
        matrixScenario({ faults: `${c.fault}=${p}`, ...(probeBased ? { durationS: 6, probesPerSec: 600 } : {}) }),
      );
      const iso = r.summary.isolation;
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}; isolation ${JSON.stringify(iso)}`);
      assert.ok(
        c.kinds.some((k) => (iso.byKind[k] ?? 0) > 0),
        `expected ${c.kinds.join('/')} in ${JSON.stringify(iso.byKind)}`,
      );
      // A leaked frame counts once, and once under each kind it shows.
      assert.ok(iso.violations <= Object.values(iso.byKind).reduce((a, b) => a + b, 0));
      assert.ok(Object.values(iso.byKind).every((n) => n <= iso.violations));
      const line = r.violations.find((v) => v.class === 'isolation' && c.kinds.includes(String(v.kind)));
      assert.ok(line, 'violations.jsonl has a line of the expected kind');
      assert.equal(typeof (line.receiver as { user?: unknown }).user, 'string');
      assert.ok(typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time)));
      assert.ok(
        typeof line.frame === 'string' && line.frame.length > 0 && Buffer.byteLength(line.frame) <= 2100,
        'evidence frame, cut to 2 KiB',
      );
      assert.ok(!/eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(JSON.stringify(r.violations)), 'no token in the evidence');
      if (c.fault !== 'auth_bypass')
        assert.notEqual(line.owner, (line.receiver as { user: string }).user, 'points at another user');
    });
  }
});

// The reference target counts every frame it leaked (one frame on one connection is one delivery): the oracle must
// find each one, once. Probes are off, so no connection ignores what it receives.
describe('leaks counted as leaks: one violation per leaked frame, as many as the target leaked', () => {
  for (const fault of ['misroute', 'broadcast', 'content', 'rewrite']) {
    test(`${fault}=0.01: violations == frames the target leaked`, async () => {
      const r = await runMatrix(matrixScenario({ faults: `${fault}=0.01`, noProbes: true, light: true }));
      const leaked = r.summary.target.leaked;
      assert.ok(leaked && leaked.total > 0, `the target leaked something: ${JSON.stringify(r.summary.target)}`);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(
        r.summary.isolation.violations,
        leaked.total,
        `violations ${JSON.stringify(r.summary.isolation)} vs leaked ${JSON.stringify(leaked)}`,
      );
      const lines = r.violations.filter((v) => v.class === 'isolation');
      assert.equal(lines.length, leaked.total, 'one line per leaked frame');
      assert.equal(new Set(lines.map((v) => v.id)).size, lines.length, 'each line its own frame');
      for (const v of lines) {
        assert.ok(Array.isArray(v.kinds) && (v.kinds as unknown[]).length >= 1, 'every reason on the line');
        assert.equal(v.kind, (v.kinds as Array<{ kind: string }>)[0]!.kind);
      }
      // A frame counts once per kind it shows, so each kind counts at most every frame.
      for (const [kind, n] of Object.entries(r.summary.isolation.byKind)) assert.ok(n <= leaked.total, `${kind}: ${n}`);
    });
  }
});

describe('evidence is never crowded out', () => {
  test("two workers, ids settled when the workers' ledgers meet: every leaked frame found once, the report lists the first by time", async () => {
    // A rewritten event names the thread and run of a user the receiving worker does not know: only the merge of
    // both workers' ledgers settles it, and it is still one violation per leaked frame.
    const r = await runMatrix(matrixScenario({ faults: 'rewrite=0.02,misroute=0.01', noProbes: true, light: true }), [
      '--workers',
      '2',
    ]);
    const leaked = r.summary.target.leaked;
    assert.ok(leaked && leaked.total > 20, JSON.stringify(r.summary.target));
    assert.equal(
      r.summary.isolation.violations,
      leaked.total,
      `${JSON.stringify(r.summary.isolation)} vs ${JSON.stringify(leaked)}`,
    );
    const lines = r.violations.filter((v) => v.class === 'isolation');
    assert.equal(lines.length, leaked.total);
    const times = lines.map((v) => Date.parse(String(v.time)));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'violations.jsonl is in time order',
    );
    assert.ok(
      new Set(lines.map((v) => String(v.id).split('.').slice(0, 2).join('.'))).size >= 2,
      'both workers found leaks',
    );
    // The report's first isolation rows are the earliest leaks, whichever worker (or the merge) found them.
    const section = /<h3[^>]*>First isolation violations[\s\S]*?<\/table>/.exec(r.reportHtml)?.[0] ?? '';
    const shown = [...section.matchAll(/<tbody class="vgroup"><tr><td title="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(shown.length, 20);
    assert.deepEqual(
      shown,
      lines.slice(0, 20).map((v) => v.time),
    );
  });
});
