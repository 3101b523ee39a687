/**
 * Does `simulate compare` tell noise from a regression? Two sets of pairs of
 * real runs of one ~12 s scenario (about a thousand agent runs each):
 *
 * - identical: both sides are `simulate run` against the embedded target, as
 *   CI runs it; any regression reported is a false alarm (goal 0 of 10);
 * - slowdown: both sides are `simulate run --target` against a reference
 *   target started here (`startTarget()`, same agent preset), the current
 *   side's with every agent delay × 1.25 (+25% on run.total); the pair counts
 *   as detected when run.total p95 is reported as a regression (goal 10 of
 *   10). Which side runs first alternates, so drift falls on both.
 *
 * Each run is a child process bounded to RUN_TIMEOUT_MS; the summaries are
 * kept in --out DIR (default: a temp folder, removed) for offline study.
 *
 *   npm run build && node dist/bench/compare-noise.js [--pairs 10] [--agent realistic|fast] [--out DIR] [--only identical|slowdown]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { computeComparison } from '../src/core/compare.js';
import type { ComparableSummary, Comparison } from '../src/core/compare-types.js';
import { computeHostNoiseMs } from '../src/core/host-noise.js';
import { AGENT_PRESETS, type AgentTiming } from '../src/target/agent-presets.js';
import { startTarget } from '../src/target/target-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 90_000;
const TOLERANCE = 0.1;
const SLOWDOWN = 1.25;

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10' },
    out: { type: 'string' },
    only: { type: 'string' },
    agent: { type: 'string', default: 'realistic' },
  },
});
const pairs = Math.max(1, Math.min(50, Number(args.pairs) || 10));
const keep = args.out !== undefined;
const outDir = args.out ?? mkdtempSync(join(tmpdir(), 'ct-compare-noise-'));
mkdirSync(outDir, { recursive: true });

// The smoke scenario's shape with more agent runs per user, sized so run.total has about a thousand samples
// a run (p95 judged with room to spare): 10 users for 12 s with `fast`, 150 users for 20 s with `realistic`. `realistic` answers in seconds, so the few ms a busy machine
// adds to every answer can neither fake nor hide a +25% change; `fast` answers in ~60 ms, where they can.
const AGENT = args.agent === 'fast' ? 'fast' : 'realistic';
const SHAPE =
  AGENT === 'fast'
    ? { users: 10, rampSec: 1, holdSec: 11, messages: 8 }
    : { users: 150, rampSec: 5, holdSec: 15, messages: 4 };
const SCENARIO = `name: compare-noise
description: smoke-shaped load held long enough for run.total p95 to be judged
target:
  embedded: { agent: ${AGENT}, seed: 7 }
auth: { kind: jwt, delivery: subprotocol }
cohorts:
  chatters:
    model: closed
    stages:
      - { duration: ${SHAPE.rampSec}s, users: ${SHAPE.users} }
      - { duration: ${SHAPE.holdSec}s, users: ${SHAPE.users} }
    gracefulStop: 10s
    flow:
      - connect
      - createThread: { title: "Bench {{user}}" }
      - listThreads
      - getThread
      - updateThread: { title: "Bench {{user}} #{{iteration}}" }
      - repeat:
          times: ${SHAPE.messages}
          steps:
            - sendMessage: { content: "Summarise spend for {{user}}", await: agent_completed, timeout: 30s }
            - think: { min: 20ms, max: 60ms }
      - postMessage: { content: "note from {{user}}" }
      - listMessages
      - deleteThread
      - disconnect
  arrivals:
    model: open
    stages: [{ duration: 10s, rate: 2/s }]
    maxUsers: 40
    startAfter: 1s
    flow: [connect, createThread, { sendMessage: { content: "Quick question from {{user}}", timeout: 30s } }]
  lurkers:
    model: closed
    users: 2
    duration: ${SHAPE.rampSec + SHAPE.holdSec}s
    flow: [connect, { idle: ${SHAPE.rampSec + SHAPE.holdSec}s }]
thresholds:
  run.total: ["p(99) < 30s"]
  errors: ["rate < 0.01"]
  isolation.violations: ["count == 0"]
`;
const scenarioFile = join(outDir, 'compare-noise.yaml');
writeFileSync(scenarioFile, SCENARIO);

function scale(t: AgentTiming, k: number): AgentTiming {
  const r = (x: readonly [number, number]): [number, number] => [x[0] * k, x[1] * k];
  return {
    ...t,
    firstEventMs: r(t.firstEventMs),
    thinkingMs: r(t.thinkingMs),
    toolStartMs: r(t.toolStartMs),
    toolMs: r(t.toolMs),
    finalMs: r(t.finalMs),
  };
}

/**
 * One `simulate run` in a child process; resolves with its summary. The
 * embedded target gets its own `seed` each run: with one seed both sides of
 * a pair would replay the same agent timings and agree far better than two
 * runs against a real backend do.
 */
function run(name: string, seed: number, target?: { url: string; secret: string }): Promise<ComparableSummary> {
  const out = join(outDir, name);
  // One worker thread: the machine has two cores shared with other work, and a second thread only adds contention.
  const argv = [
    'bin/simulate',
    'run',
    scenarioFile,
    '--out',
    out,
    '--no-progress',
    '--quiet',
    '--workers',
    '1',
    '--set',
    `target.embedded.seed=${seed}`,
    ...(target ? ['--target', target.url] : []),
  ];
  const env = { ...process.env };
  delete env.SIM_JWT_SECRET;
  if (target) env.SIM_JWT_SECRET = target.secret;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as ComparableSummary);
      } catch {
        reject(new Error(`${name}: no summary (exit ${code}): ${stderr.slice(0, 500)}`));
      }
    });
  });
}

interface PairResult {
  readonly kind: 'identical' | 'slowdown';
  readonly index: number;
  readonly comparison: Comparison;
  readonly compareMs: number;
  readonly runTotal: { base: number; current: number; n: number };
  /** A generator saturated on either side (compare then leaves short latencies and throughput unjudged). */
  readonly saturated: boolean;
}

function judge(
  kind: PairResult['kind'],
  index: number,
  base: ComparableSummary,
  current: ComparableSummary,
): PairResult {
  const t0 = performance.now();
  const comparison = computeComparison(base, current, TOLERANCE);
  const compareMs = performance.now() - t0;
  const rt = (s: ComparableSummary): { p95: number; count: number } => {
    const m = s.metrics['run.total'];
    return m && m.type === 'trend' ? { p95: m.p95, count: m.count } : { p95: NaN, count: 0 };
  };
  const flagged = comparison.rows.filter((r) => r.status === 'regression');
  const p95 = comparison.rows.find((r) => r.metric === 'run.total' && r.stat === 'p95');
  const noise = (s: ComparableSummary): string => computeHostNoiseMs(s, 'run.total', 0.95).toFixed(1);
  const lag = (s: ComparableSummary): string =>
    `${s.generator.loopLagP99Ms}${s.generator.saturated ? ' saturated' : ''}`;
  console.log(
    `${kind} ${index + 1}: loop lag p99 ${lag(base)} / ${lag(current)} ms; run.total p95 ${rt(base).p95} → ${rt(current).p95} ms (n ${rt(base).count}/${rt(current).count}` +
      `${p95?.intervalPct ? `, 95% interval [${p95.intervalPct.low.toFixed(1)}%, ${p95.intervalPct.high.toFixed(1)}%]` : ''}), ` +
      `${flagged.length} regression(s)${flagged.length ? `: ${flagged.map((r) => `${r.metric} ${r.stat}`).join(', ')}` : ''}; ` +
      `${comparison.inconclusive} inconclusive; host noise on run.total p95 ${noise(base)} / ${noise(current)} ms; compare ${compareMs.toFixed(0)} ms`,
  );
  return {
    kind,
    index,
    comparison,
    compareMs,
    runTotal: { base: rt(base).p95, current: rt(current).p95, n: rt(base).count },
    saturated: base.generator.saturated || current.generator.saturated,
  };
}

console.log(
  `compare-noise: ${pairs} pairs a set, agent ${AGENT} (${SHAPE.users} chatters), tolerance ${TOLERANCE * 100}%, default confidence`,
);
const results: PairResult[] = [];
async function collect(
  kind: PairResult['kind'],
  makePair: (index: number) => Promise<{ base: ComparableSummary; current: ComparableSummary }>,
): Promise<void> {
  for (let i = 0; i < pairs; i++) {
    const { base, current } = await makePair(i);
    results.push(judge(kind, i, base, current));
  }
}

if (args.only !== 'slowdown') {
  await collect('identical', async (i) => ({
    base: await run(`identical-${i + 1}-base`, 1000 + i),
    current: await run(`identical-${i + 1}-current`, 2000 + i),
  }));
}
if (args.only !== 'identical') {
  const secret = randomBytes(24).toString('hex');
  // Different seeds, so the slow target's timings are not the normal one's times 1.25 draw for draw.
  const normal = await startTarget({ secret, agent: AGENT_PRESETS[AGENT], seed: 3001 });
  const slow = await startTarget({ secret, agent: scale(AGENT_PRESETS[AGENT], SLOWDOWN), seed: 4001 });
  try {
    await collect('slowdown', async (i) => {
      const sides = {
        base: { name: `slowdown-${i + 1}-base`, url: normal.url },
        current: { name: `slowdown-${i + 1}-current`, url: slow.url },
      };
      const order = i % 2 === 0 ? (['base', 'current'] as const) : (['current', 'base'] as const);
      const got: Partial<Record<'base' | 'current', ComparableSummary>> = {};
      // The seed only matters to the embedded target; these runs drive the targets above.
      for (const side of order) got[side] = await run(sides[side].name, i, { url: sides[side].url, secret });
      return { base: got.base!, current: got.current! };
    });
  } finally {
    await normal.close();
    await slow.close();
  }
}

// The table.
const tally = (kind: PairResult['kind']): void => {
  const rs = results.filter((r) => r.kind === kind);
  if (!rs.length) return;
  const by = new Map<string, number>();
  for (const r of rs)
    for (const row of r.comparison.rows)
      if (row.status === 'regression')
        by.set(`${row.metric} ${row.stat}`, (by.get(`${row.metric} ${row.stat}`) ?? 0) + 1);
  const flagged =
    [...by]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}/${rs.length}`)
      .join(', ') || 'none';
  const withAny = rs.filter((r) => r.comparison.regressions > 0).length;
  const detected = rs.filter((r) =>
    r.comparison.rows.some((row) => row.metric === 'run.total' && row.stat === 'p95' && row.status === 'regression'),
  ).length;
  const shift = rs.map((r) => r.runTotal.current / r.runTotal.base - 1);
  const pct = (v: number): string => `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
  console.log(
    `\n${kind} pairs: ${rs.length} (${rs.filter((r) => r.saturated).length} with a saturated generator on a side)`,
  );
  if (kind === 'identical')
    console.log(`  false regressions (pairs with any): ${withAny}/${rs.length} (goal 0/${rs.length})`);
  else
    console.log(
      `  detected slowdowns (run.total p95 a regression): ${detected}/${rs.length} (goal ${rs.length}/${rs.length}); pairs with any regression ${withAny}/${rs.length}`,
    );
  console.log(
    `  run.total p95 change: ${pct(Math.min(...shift))} to ${pct(Math.max(...shift))}, samples ~${Math.round(rs.reduce((a, r) => a + r.runTotal.n, 0) / rs.length)} per side`,
  );
  console.log(`  flagged: ${flagged}`);
  console.log(
    `  inconclusive figures per pair: ${(rs.reduce((a, r) => a + r.comparison.inconclusive, 0) / rs.length).toFixed(1)} of ${rs[0]!.comparison.rows.length}`,
  );
  console.log(`  compare time: max ${Math.max(...rs.map((r) => r.compareMs)).toFixed(0)} ms`);
};
tally('identical');
tally('slowdown');
if (keep) console.log(`\nsummaries kept in ${outDir}`);
else rmSync(outDir, { recursive: true, force: true });
