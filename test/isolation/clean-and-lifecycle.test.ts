import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/sim.js';
import { matrixScenario, runMatrix } from './matrix-helpers.js';

/** An adapter file extending crosstalk with `events` (a YAML flow mapping); its absolute path. */
function writeAdapter(events: string): string {
  const file = join(makeTempDir(), 'adapter.yaml');
  writeFileSync(file, `adapter: crosstalk-variant\nextends: crosstalk\nevents: ${events}\n`);
  return file;
}

// Faults that break delivery but not isolation show as lifecycle violations
// or errors, never as isolation violations.
const CASES: ReadonlyArray<{
  fault: string;
  rate?: number;
  runTimeout?: string;
  expect: (r: Awaited<ReturnType<typeof runMatrix>>) => boolean;
  what: string;
}> = [
  {
    fault: 'drop',
    expect: (r) => (r.summary.lifecycle.byKind.missing_event ?? 0) + (r.summary.lifecycle.byKind.run_timeout ?? 0) > 0,
    what: 'missing_event or run_timeout',
  },
  { fault: 'duplicate', expect: (r) => (r.summary.lifecycle.byKind.duplicate_event ?? 0) > 0, what: 'duplicate_event' },
  { fault: 'reorder', expect: (r) => (r.summary.lifecycle.byKind.out_of_order ?? 0) > 0, what: 'out_of_order' },
  // A spike of 1-3 s breaches a 900 ms run timeout.
  {
    fault: 'delay',
    runTimeout: '900ms',
    expect: (r) => (r.summary.lifecycle.byKind.run_timeout ?? 0) > 0 && (r.summary.errors.byKind.timeout ?? 0) > 0,
    what: 'run_timeout and timeout errors',
  },
  { fault: 'disconnect', expect: (r) => (r.summary.errors.byKind.disconnected ?? 0) > 0, what: 'disconnected errors' },
  // Per REST call, and a loaded machine makes few of them in the run: 0.5% could plant none.
  {
    fault: 'http_500',
    rate: 0.03,
    expect: (r) => (r.summary.errors.byKind.http_5xx ?? 0) > 0,
    what: 'http_5xx errors',
  },
];

describe('delivery faults are lifecycle violations or errors, never leaks', () => {
  for (const c of CASES) {
    test(`${c.fault}=${c.rate ?? 0.005} → ${c.what}`, async () => {
      const r = await runMatrix(
        matrixScenario({
          faults: `${c.fault}=${c.rate ?? 0.005}`,
          ...(c.runTimeout ? { runTimeout: c.runTimeout } : {}),
        }),
      );
      assert.equal(
        r.summary.isolation.violations,
        0,
        `no isolation violation: ${JSON.stringify(r.summary.isolation)} ${JSON.stringify(r.violations.filter((v) => v.class === 'isolation').slice(0, 2))}`,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        c.expect(r),
        `${c.what}: lifecycle ${JSON.stringify(r.summary.lifecycle)} errors ${JSON.stringify(r.summary.errors)}`,
      );
    });
  }
});

describe('a clean target is leak-free', () => {
  test('200 users, thousands of runs, probes on: zero violations of any kind', async () => {
    const r = await runMatrix(
      matrixScenario({ users: 200, durationS: 8, agent: 'instant', probesPerSec: 50, light: true }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.summary.isolation, { verdict: 'clean', violations: 0, byKind: {}, unattributed: 0 });
    assert.equal(r.summary.lifecycle.violations, 0, JSON.stringify(r.summary.lifecycle));
    assert.equal(r.violations.length, 0);
    assert.ok(r.summary.runs.completed >= 1000, `runs completed: ${r.summary.runs.completed}`);
    assert.equal(r.summary.runs.failed + r.summary.runs.timedOut, 0);
    assert.ok((r.summary.metrics['probes.sent']?.value ?? 0) > 0, 'probes ran');
  });
  for (const dialect of ['data', 'flat', 'short-ids']) {
    test(`the same in the ${dialect} dialect`, async () => {
      const r = await runMatrix(
        matrixScenario({ users: 60, durationS: 4, agent: 'instant', dialect, probesPerSec: 50, light: true }),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.summary.isolation, { verdict: 'clean', violations: 0, byKind: {}, unattributed: 0 });
      assert.equal(r.summary.lifecycle.violations, 0, JSON.stringify(r.summary.lifecycle));
      assert.ok(r.summary.runs.completed >= 200, `runs completed: ${r.summary.runs.completed}`);
      assert.equal(r.summary.errors.count, 0, JSON.stringify(r.summary.errors));
    });
  }
});

describe('ReAct runs (think → tool → think → ... → answer) are not lifecycle violations', () => {
  /** Chatters looping runs against the embedded target; `events` is YAML put under `events` of an adapter extending crosstalk. */
  const reactScenario = (o: {
    agent: string;
    dialect: string;
    events?: string;
    users: number;
    durationS: number;
  }): string => `name: react
target:
  embedded: { agent: ${o.agent}, seed: 5, dialect: ${o.dialect} }
${o.events ? `  api: ${writeAdapter(o.events)}\n` : ''}cohorts:
  chatters:
    users: ${o.users}
    duration: ${o.durationS}s
    gracefulStop: 10s
    flow:
      - connect
      - createThread: { title: "ReAct {{user}}" }
      - repeat:
          duration: ${o.durationS}s
          steps:
            - sendMessage: { content: "Look it up {{iteration}} for {{user}}", timeout: 10s }
thresholds:
  lifecycle.violations: ["count == 0"]
`;
  const CASES = [
    { what: 'fast agent, with seq', agent: 'fast', dialect: 'canonical', users: 12, durationS: 3 },
    // An adapter that reads seq from a field no frame has: only the grammar judges the order.
    {
      what: 'fast agent, flat frames, seq not read',
      agent: 'fast',
      dialect: 'flat',
      events: '{ fields: { seq: no_such_field } }',
      users: 12,
      durationS: 3,
    },
    {
      what: 'realistic agent (up to two tools a run), data frames, seq not read',
      agent: 'realistic',
      dialect: 'data',
      events: '{ fields: { seq: no_such_field } }',
      users: 8,
      durationS: 3,
    },
  ];
  for (const c of CASES) {
    test(c.what, async () => {
      const r = await runMatrix(reactScenario(c));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.summary.lifecycle.violations,
        0,
        `${JSON.stringify(r.summary.lifecycle)} ${JSON.stringify(r.violations.slice(0, 3))}`,
      );
      assert.equal(r.summary.runs.failed + r.summary.runs.timedOut, 0, JSON.stringify(r.summary.runs));
      const withTools = r.summary.metrics['run.tool_completed']?.count ?? 0;
      assert.ok(
        withTools > 0 && withTools < r.summary.runs.completed,
        `some runs called tools and thought after them, some did not: ${withTools} of ${r.summary.runs.completed}`,
      );
    });
  }
});
