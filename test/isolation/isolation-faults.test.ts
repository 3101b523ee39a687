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
    test(`${c.fault}=0.005 → ${c.kinds.join(' or ')}, exit 2`, async () => {
      // Request-level faults meet only the probes: give them more attempts (1 in 200 each).
      const probeBased = c.fault === 'idor' || c.fault === 'auth_bypass' || c.fault === 'rest_list';
      const r = await runMatrix(matrixScenario({ faults: `${c.fault}=0.005`, ...(probeBased ? { durationS: 6, probesPerSec: 600 } : {}) }));
      const iso = r.summary.isolation;
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}; isolation ${JSON.stringify(iso)}`);
      assert.ok(c.kinds.some((k) => (iso.byKind[k] ?? 0) > 0), `expected ${c.kinds.join('/')} in ${JSON.stringify(iso.byKind)}`);
      assert.equal(iso.violations, Object.values(iso.byKind).reduce((a, b) => a + b, 0));
      const line = r.violations.find((v) => v.class === 'isolation' && c.kinds.includes(String(v.kind)));
      assert.ok(line, 'violations.jsonl has a line of the expected kind');
      assert.equal(typeof (line.receiver as { user?: unknown }).user, 'string');
      assert.ok(typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time)));
      assert.ok(typeof line.frame === 'string' && line.frame.length > 0 && Buffer.byteLength(line.frame) <= 2100, 'evidence frame, cut to 2 KiB');
      assert.ok(!/eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(JSON.stringify(r.violations)), 'no token in the evidence');
      if (c.fault !== 'auth_bypass') assert.notEqual(line.owner, (line.receiver as { user: string }).user, 'points at another user');
    });
  }
});
