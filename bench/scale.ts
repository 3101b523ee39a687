/**
 * Scale benchmark: crosstalk against the floor (bench/bare-client.ts), side
 * by side, each measurement with its own reference target.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/scale.js [--rounds 3] [--quick] [--profile DIR]
 *
 * Layout: the target (`simulate serve --agent instant`) is pinned to core 1,
 * the client under test to core 0 (taskset), both through a bash wrapper that
 * raises the fd limit as far as allowed. Every process is started here, in
 * its own process group, and killed by that group when its phase ends or
 * times out. All traffic is to 127.0.0.1.
 *
 * Measured per client (the bare client, then crosstalk `simulate run ...
 * --target URL --quiet --no-progress`; the order alternates each round):
 *  - CPU-µs per completed agent run: whole-process user + system CPU at exit
 *    (process.cpuUsage() from bench/probe-preload.ts, loaded into both
 *    clients; µs, every thread) over runs completed (bare: its own count;
 *    crosstalk: summary.json runs.completed). Nothing is subtracted;
 *    start-up CPU is reported on its own line.
 *  - runs/s over the nominal loop time.
 *  - RSS per idle session at 2,000 and 10,000 sessions: the target's
 *    GET /health shows every session connected, 3 s settle, a forced full GC
 *    in the client (probe mark), a 10 s hold, then /proc/<pid>/status
 *    VmRSS / sessions (V8 gives freed pages back a little after a GC; the
 *    readings before and right after the GC are logged too).
 *  - event-loop lag p99 at 10,000 sessions: crosstalk's summary.json
 *    generator.loopLagP99Ms (whole run) and the bare client's whole-run
 *    figure; plus the same probe's figure over a 10 s hold window for both.
 *    The whole-run figures are measured differently (crosstalk: a 2 ms
 *    sampler corrected for coordinated omission, so a block weighs by its
 *    length; bare: a 10 ms monitorEventLoopDelay): compare the hold rows.
 *  - start-up to first connection: the client's CPU (sum of
 *    /proc/<pid>/task/<tid>/schedstat, ns) and wall time at the moment the
 *    target's /health first counts a connection (1 user).
 *  - soak: constant paced load (100 users, 100 ms think), VmRSS every 10 s;
 *    first (10 s) vs last, the largest rise over the first sample, the drift
 *    after warm-up (60 s on), and the JS heap after a forced GC every 30 s
 *    (what is really kept, per 1000 runs).
 *
 * Options: --rounds N (3; --quick: 1), --quick (shorter phases, 3 min soak),
 * --users N (50) --seconds S (15; quick 8) for the CPU phase, --sessions
 * 2000,10000, --soak S (300; quick 180; 0 skips), --startup-reps N,
 * --root DIR (the crosstalk checkout to run; default this one), --json FILE,
 * --profile DIR (afterwards: CPU profiles of both clients under load, of
 * crosstalk's start-up and of crosstalk at 10,000 sessions; import costs; heap
 * snapshots of both at 2,000 and 10,000 sessions and of crosstalk 30 s apart
 * under constant load; summarized into DIR/summary.txt), --only-profile
 * (just that), --phases runs,workers,startup,idle,soak (a subset). Measurements wait
 * for a quiet machine and are repeated when other work took over 10% of it
 * meanwhile (at most twice; the share is logged and kept with each figure).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LoadWatch, quietly, rssBytes, schedCpuUs, statCpuUs, waitQuiet } from './machine-load.js';
import { killAllStarted, killGroup, killStartedOnExit, log, sleep, startPinned as startPinnedProcess, waitExit, type Proc } from './pinned-process.js';
import { diffHeapSnapshots, formatCpuSummary, formatHeapSummary, summarizeCpuProfile, summarizeHeapSnapshot } from './profile-summary.js';

// ---- options ------------------------------------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_ROOT = resolve(HERE, '..', '..');

interface Options {
  rounds: number;
  quick: boolean;
  users: number;
  seconds: number;
  sessions: number[];
  soakSeconds: number;
  soakUsers: number;
  soakThinkMs: number;
  startupReps: number;
  root: string;
  json: string | undefined;
  profile: string | undefined;
  onlyProfile: boolean;
  phases: Set<string>;
}

function parseOptions(argv: readonly string[]): Options {
  const get1 = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const num = (name: string, dflt: number, min: number, max: number): number => {
    const v = get1(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) die(`${name}: expected a number in ${min}..${max}, got "${v}"`);
    return n;
  };
  const known = new Set(['--rounds', '--quick', '--users', '--seconds', '--sessions', '--soak', '--startup-reps', '--root', '--json', '--profile', '--only-profile', '--phases']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) die(`unknown option ${a}`);
  const quick = argv.includes('--quick');
  if (argv.includes('--only-profile') && !argv.includes('--profile')) die('--only-profile needs --profile DIR');
  const sessions = (get1('--sessions') ?? '2000,10000').split(',').map(Number);
  if (sessions.some((n) => !Number.isInteger(n) || n < 1 || n > 15_000)) die('--sessions: whole numbers 1..15000, comma-separated');
  const phases = new Set((get1('--phases') ?? 'runs,workers,startup,idle,soak').split(','));
  for (const p of phases) if (!['runs', 'workers', 'startup', 'idle', 'soak'].includes(p)) die(`--phases: runs, workers, startup, idle, soak (comma-separated), got "${p}"`);
  const root = resolve(get1('--root') ?? DEFAULT_ROOT);
  if (!existsSync(join(root, 'bin', 'simulate'))) die(`--root ${root}: no bin/simulate there`);
  return {
    rounds: num('--rounds', quick ? 1 : 3, 1, 20),
    quick,
    users: num('--users', 50, 1, 2000),
    seconds: num('--seconds', quick ? 8 : 15, 2, 600),
    sessions,
    soakSeconds: num('--soak', quick ? 180 : 300, 0, 3600),
    soakUsers: 100,
    soakThinkMs: 100,
    startupReps: num('--startup-reps', quick ? 2 : 3, 1, 20),
    root,
    json: get1('--json'),
    profile: get1('--profile'),
    onlyProfile: argv.includes('--only-profile'),
    phases,
  };
}

function die(msg: string): never {
  process.stderr.write(`scale: ${msg}\n`);
  process.exit(3);
}

const opts = parseOptions(process.argv.slice(2));
const SECRET = randomBytes(32).toString('base64url');
const WORK = mkdtempSync(join(tmpdir(), 'ct-scale-'));
const PROBE = pathToFileURL(join(HERE, 'probe-preload.js')).href;
const BARE = join(HERE, 'bare-client.js');
const SIMULATE = join(opts.root, 'bin', 'simulate');
const CONTENT = 'How much did we spend on this thread?';

// ---- processes ------------------------------------------------------------------

/** A client or target of this bench, pinned to `core`, run from the crosstalk checkout with the bench's JWT secret. */
const startPinned = (core: number | string, cmd: readonly string[], env: NodeJS.ProcessEnv = {}): Proc =>
  startPinnedProcess(core, cmd, { cwd: opts.root, env: { SIM_JWT_SECRET: SECRET, ...env } });
const cleanupAll = killAllStarted;
killStartedOnExit();

// ---- target ---------------------------------------------------------------------

interface Target { url: string; proc: Proc }
const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Starts a fresh reference target on core 1 and waits for its listening line (15 s at most). */
async function startTarget(): Promise<Target> {
  const proc = startPinned(1, ['node', SIMULATE, 'serve', '--host', '127.0.0.1', '--port', '0', '--agent', 'instant', '--log-level', 'warn']);
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && proc.exitCode === undefined) {
    const m = /crosstalk target listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.stdout);
    if (m) return { url: m[1]!, proc };
    await sleep(20);
  }
  killGroup(proc);
  throw new Error(`target did not start: ${proc.stderr.slice(0, 500)}`);
}

async function stopTarget(t: Target): Promise<void> {
  killGroup(t.proc, 'SIGTERM');
  if ((await Promise.race([t.proc.exited.then(() => true), sleep(5000).then(() => false)])) === false) killGroup(t.proc);
}

interface Health { connections: number; users: number; runsInFlight: number; threads: number }

function health(url: string): Promise<Health | undefined> {
  return new Promise((res) => {
    const req = get(`${url}/health`, { agent: healthAgent, timeout: 2000 }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => { body += d.toString(); });
      r.on('end', () => { try { res(JSON.parse(body) as Health); } catch { res(undefined); } });
    });
    req.on('timeout', () => { req.destroy(); res(undefined); });
    req.on('error', () => res(undefined));
  });
}

/** Polls /health every `everyMs` until `connections >= n` or the client exits or `ms` pass; answers ms since spawn. */
async function waitConnections(t: Target, client: Proc, n: number, ms: number, everyMs: number): Promise<number | undefined> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && client.exitCode === undefined) {
    const h = await health(t.url);
    if (h && h.connections >= n) return performance.now() - client.startedAt;
    await sleep(everyMs);
  }
  return undefined;
}

// ---- clients ---------------------------------------------------------------------

type Kind = 'bare' | 'crosstalk';
const KINDS_IN_ORDER = (round: number): Kind[] => (round % 2 === 0 ? ['bare', 'crosstalk'] : ['crosstalk', 'bare']);

interface ProbeLine {
  event: 'mark' | 'exit';
  n?: number;
  tMs?: number;
  tEndMs?: number;
  cpu: { user: number; system: number; total: number };
  lag?: { p50Ms: number; p99Ms: number; maxMs: number; samples: number };
  memory?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  maxRssKiB?: number;
}

function readProbe(file: string): ProbeLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProbeLine);
}

async function waitMark(file: string, n: number, ms: number): Promise<ProbeLine | undefined> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const m = readProbe(file).find((l) => l.event === 'mark' && l.n === n);
    if (m) return m;
    await sleep(50);
  }
  return undefined;
}

/** Extra node flags for crosstalk only (experiments, e.g. V8 heap flags): CT_BENCH_CROSSTALK_NODE_ARGS, space-separated. */
const CROSSTALK_NODE_ARGS = (process.env.CT_BENCH_CROSSTALK_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Node flags for a client: the probe, GC exposed (both alike), plus extras (profiling). */
const nodeArgs = (extra: readonly string[] = []): string[] => ['node', '--expose-gc', '--import', PROBE, ...extra];

interface Launch { proc: Proc; probe: string; out: string; kind: Kind }

/** A fresh directory for one measurement. */
function phaseDir(name: string): string {
  const d = join(WORK, `${name}-${randomBytes(3).toString('hex')}`);
  mkdirSync(d, { recursive: true });
  return d;
}

function launchCrosstalk(t: Target, dir: string, yaml: string, env: NodeJS.ProcessEnv, extra: readonly string[] = [], workers = 1, cores = '0'): Launch {
  const scen = join(dir, 'scenario.yaml');
  writeFileSync(scen, yaml);
  const probe = join(dir, 'probe.jsonl');
  const out = join(dir, 'results');
  // One generator thread, in the process (what a pinned run picks by default anyway).
  const proc = startPinned(cores, [...nodeArgs([...extra, ...CROSSTALK_NODE_ARGS]), SIMULATE, 'run', scen, '--target', t.url, '--out', out, '--workers', String(workers), '--quiet', '--no-progress'], { CT_PROBE_FILE: probe, ...env });
  return { proc, probe, out, kind: 'crosstalk' };
}

function launchBare(dir: string, args: readonly string[], env: NodeJS.ProcessEnv, extra: readonly string[] = []): Launch {
  const probe = join(dir, 'probe.jsonl');
  const proc = startPinned(0, [...nodeArgs(extra), BARE, ...args], { CT_PROBE_FILE: probe, ...env });
  return { proc, probe, out: dir, kind: 'bare' };
}

interface CrosstalkSummary {
  runs: { completed: number; started: number; failed: number; timedOut: number };
  generator: { loopLagP99Ms: number; loopLagMaxMs?: number; cpuPercent: number; saturated: boolean };
  metrics: Record<string, { value?: number; byTag?: Record<string, unknown> }>;
  durationMs: number;
  exitCode: number;
}

function readSummary(out: string): CrosstalkSummary | undefined {
  try { return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as CrosstalkSummary; } catch { return undefined; }
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) { try { return JSON.parse(l) as Record<string, unknown>; } catch { /* not JSON */ } }
  return undefined;
}

function failure(l: Launch, what: string): string {
  return `${l.kind} ${what} (exit ${String(l.proc.exitCode)}): ${(l.proc.stderr || l.proc.stdout).trim().slice(-400)}`;
}

// ---- phases ----------------------------------------------------------------------

const runsYaml = (users: number, seconds: number, thinkMs: number): string => `name: scale-runs
cohorts:
  chatters:
    users: ${users}
    duration: ${seconds}s
    flow:
      - connect
      - createThread: { title: "Bench {{user}}" }
      - repeat:
          duration: ${seconds}s
          steps:
            - sendMessage: { content: "${CONTENT}", timeout: 10s }
${thinkMs > 0 ? `            - think: ${thinkMs}ms\n` : ''}`;

const idleYaml = (n: number, rampS: number, holdS: number): string => `name: scale-idle
cohorts:
  idlers:
    model: closed
    stages:
      - { duration: ${rampS}s, users: ${n} }
      - { duration: ${holdS}s, users: ${n} }
    flow: [connect, { idle: 3600s }]
`;

interface RunsSample { kind: Kind; round: number; runs: number; cpuUs: number; procStatCpuUs: number | undefined; runsPerSec: number; errors: number; exit: number | null | undefined; foreignPct: number }

/** N users loop agent runs for S seconds; CPU per completed run. */
async function phaseRuns(kind: Kind, round: number, profDir?: string): Promise<RunsSample> {
  const t = await startTarget();
  const dir = phaseDir(`runs-${kind}`);
  const extraNode = profDir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l = kind === 'bare'
      ? launchBare(dir, ['--url', t.url, '--mode', 'runs', '--users', String(opts.users), '--seconds', String(opts.seconds), '--content', CONTENT], {}, extraNode)
      : launchCrosstalk(t, dir, runsYaml(opts.users, opts.seconds, 0), {}, extraNode);
    watch.add(l.proc.pid);
    // A coarse cross-check of the probe's figure: the last /proc reading before exit.
    let procCpu: number | undefined;
    const poll = setInterval(() => { procCpu = statCpuUs(l.proc.pid) ?? procCpu; }, 100);
    const code = await waitExit(l.proc, (opts.seconds + 90) * 1000);
    clearInterval(poll);
    const exit = readProbe(l.probe).find((x) => x.event === 'exit');
    if (!exit) throw new Error(failure(l, 'wrote no exit probe'));
    watch.final(l.proc.pid, exit.cpu.total);
    let runs: number;
    let errors = 0;
    if (kind === 'bare') {
      const o = lastJsonLine(l.proc.stdout);
      if (!o || typeof o.runs !== 'number') throw new Error(failure(l, 'printed no result'));
      runs = o.runs;
      errors = Number(o.unfinished ?? 0);
    } else {
      const s = readSummary(l.out);
      if (!s) throw new Error(failure(l, 'wrote no summary.json'));
      runs = s.runs.completed;
      errors = s.metrics.errors?.value ?? 0;
    }
    if (profDir) for (const f of readdirSync(dir)) if (f.endsWith('.cpuprofile')) writeFileSync(join(profDir, `runs-${kind}.cpuprofile`), readFileSync(join(dir, f)));
    return { kind, round, runs, cpuUs: exit.cpu.total, procStatCpuUs: procCpu, runsPerSec: runs / opts.seconds, errors, exit: code, foreignPct: watch.finish() };
  } finally {
    await stopTarget(t);
  }
}

interface WorkersSample { workers: number; round: number; runs: number; cpuUs: number; runsPerSec: number; errors: number; foreignPct: number }

/**
 * crosstalk alone with --workers 1 (core 0) and --workers 2 (cores 0 and 2,
 * or 0 and 1 on a 2-core machine), the target on core 1 both times: runs/s
 * and CPU per run. On a 2-core machine the second worker shares its core
 * with the target, so this shows
 * what a second thread buys here and what it costs per run, not the
 * generator-bound scaling a machine with a spare core for the target would.
 */
async function phaseWorkers(workers: number, round: number): Promise<WorkersSample> {
  const t = await startTarget();
  const dir = phaseDir(`workers${workers}`);
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l = launchCrosstalk(t, dir, runsYaml(opts.users, opts.seconds, 0), {}, [], workers, workers === 1 ? '0' : cpus().length >= 3 ? '0,2' : '0,1');
    watch.add(l.proc.pid);
    await waitExit(l.proc, (opts.seconds + 90) * 1000);
    const exit = readProbe(l.probe).find((x) => x.event === 'exit');
    if (!exit) throw new Error(failure(l, 'wrote no exit probe'));
    watch.final(l.proc.pid, exit.cpu.total);
    const sum = readSummary(l.out);
    if (!sum) throw new Error(failure(l, 'wrote no summary.json'));
    return { workers, round, runs: sum.runs.completed, cpuUs: exit.cpu.total, runsPerSec: sum.runs.completed / opts.seconds, errors: sum.metrics.errors?.value ?? 0, foreignPct: watch.finish() };
  } finally {
    await stopTarget(t);
  }
}

interface IdleSample {
  kind: Kind; round: number; sessions: number; established: boolean; connectedAfterMs: number | undefined;
  rssPreGcBytes: number | undefined; rssPostGcBytes: number | undefined;
  /** VmRSS at the end of the hold, HOLD_S after the forced GC: what the idle process keeps once V8 has given freed pages back. */
  rssBytes: number | undefined; perSessionBytes: number | undefined;
  memory: ProbeLine['memory']; lagHoldP99Ms: number | undefined; lagHoldMaxMs: number | undefined; lagRunP99Ms: number | undefined;
  openAfterHold: number | undefined; errors: number; exit: number | null | undefined; foreignPct: number;
}

const SETTLE_S = 3;
const HOLD_S = 10;

/** N idle sessions: RSS per session once all are connected, and event-loop lag. */
async function phaseIdle(kind: Kind, round: number, n: number, prof?: { cpuDir?: string; snapshot?: string }): Promise<IdleSample> {
  const t = await startTarget();
  const dir = phaseDir(`idle${n}-${kind}`);
  const rampS = Math.max(1, Math.ceil(n / 1000));
  const extra = prof?.cpuDir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  const env: NodeJS.ProcessEnv = { CT_PROBE_LAG: '1', ...(prof?.snapshot ? { CT_PROBE_SNAPSHOT: prof.snapshot } : {}) };
  const margin = prof?.snapshot ? 40 : 6;
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l = kind === 'bare'
      ? launchBare(dir, ['--url', t.url, '--mode', 'idle', '--users', String(n), '--ramp', String(rampS), '--settle', String(SETTLE_S), '--hold', String(HOLD_S + margin)], env, extra)
      : launchCrosstalk(t, dir, idleYaml(n, rampS, SETTLE_S + HOLD_S + margin), env, extra);
    watch.add(l.proc.pid);
    const connectedAfterMs = await waitConnections(t, l.proc, n, (rampS + 60) * 1000, 250);
    let rssPre: number | undefined;
    let mark1: ProbeLine | undefined;
    let rssPost: number | undefined;
    let rss: number | undefined;
    let mark2: ProbeLine | undefined;
    let openAfterHold: number | undefined;
    if (connectedAfterMs !== undefined) {
      await sleep(SETTLE_S * 1000);
      rssPre = rssBytes(l.proc.pid);
      process.kill(l.proc.pid, 'SIGUSR2');
      mark1 = await waitMark(l.probe, 1, prof?.snapshot ? 120_000 : 10_000);
      rssPost = rssBytes(l.proc.pid);
      await sleep(HOLD_S * 1000);
      openAfterHold = (await health(t.url))?.connections;
      // V8 returns freed pages to the OS a little after a GC; the idle process's footprint is what stays.
      rss = rssBytes(l.proc.pid);
      process.kill(l.proc.pid, 'SIGUSR2');
      mark2 = await waitMark(l.probe, 2, 10_000);
    } else {
      log(`  ${kind}: ${n} sessions not all connected in time (target counts ${(await health(t.url))?.connections ?? '?'})`);
    }
    const code = await waitExit(l.proc, (margin + 90 + n / 200) * 1000);
    const exitLine = readProbe(l.probe).find((x) => x.event === 'exit');
    if (exitLine) watch.final(l.proc.pid, exitLine.cpu.total);
    let lagRun: number | undefined;
    let errors = 0;
    if (kind === 'bare') {
      const o = lastJsonLine(l.proc.stdout);
      lagRun = typeof o?.loopLagP99WholeMs === 'number' ? o.loopLagP99WholeMs : undefined;
      errors = Number(o?.failedConnects ?? 0);
    } else {
      const s = readSummary(l.out);
      lagRun = s?.generator.loopLagP99Ms;
      errors = s?.metrics.errors?.value ?? 0;
    }
    if (prof?.cpuDir) for (const f of readdirSync(dir)) if (f.endsWith('.cpuprofile')) writeFileSync(join(prof.cpuDir, `idle${n}-${kind}.cpuprofile`), readFileSync(join(dir, f)));
    return {
      kind, round, sessions: n, established: connectedAfterMs !== undefined, connectedAfterMs,
      rssPreGcBytes: rssPre, rssPostGcBytes: rssPost, rssBytes: rss, perSessionBytes: rss === undefined ? undefined : rss / n, memory: mark1?.memory,
      lagHoldP99Ms: mark2?.lag?.p99Ms, lagHoldMaxMs: mark2?.lag?.maxMs, lagRunP99Ms: lagRun, openAfterHold, errors, exit: code, foreignPct: watch.finish(),
    };
  } finally {
    await stopTarget(t);
  }
}

interface StartupSample { kind: Kind; round: number; cpuUs: number | undefined; statCpuUs: number | undefined; wallMs: number | undefined; foreignPct: number }

/** One user: the client's CPU and wall time when the target first counts its connection. */
async function phaseStartup(kind: Kind, round: number, t: Target): Promise<StartupSample> {
  const dir = phaseDir(`startup-${kind}`);
  const watch = new LoadWatch();
  watch.add(t.proc.pid, true);
  const l = kind === 'bare'
    ? launchBare(dir, ['--url', t.url, '--mode', 'idle', '--users', '1', '--settle', '0', '--hold', '1'], {})
    : launchCrosstalk(t, dir, idleYaml(1, 1, 2), {});
  watch.add(l.proc.pid);
  const wall = await waitConnections(t, l.proc, 1, 20_000, 2);
  const foreignPct = watch.finish();
  const cpu = wall === undefined ? undefined : schedCpuUs(l.proc.pid);
  const stat = wall === undefined ? undefined : statCpuUs(l.proc.pid);
  await waitExit(l.proc, 40_000);
  // The next sample starts with the target empty again.
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline && ((await health(t.url))?.connections ?? 0) > 0) await sleep(50);
  if (wall === undefined) log(`  ${kind}: no connection within 20 s: ${failure(l, 'start-up')}`);
  return { kind, round, cpuUs: cpu, statCpuUs: stat, wallMs: wall, foreignPct };
}

interface SoakSample {
  kind: Kind; samples: Array<{ atS: number; rssBytes: number }>;
  /** JS heap in use right after a forced full GC (probe mark), every 30 s: what is really kept. */
  heap: Array<{ atS: number; heapUsedBytes: number }>;
  runs: number; runsPerSec: number; errors: number; exit: number | null | undefined; foreignPct: number;
}

/** Constant paced load for S seconds; VmRSS every 10 s. */
async function phaseSoak(kind: Kind): Promise<SoakSample> {
  const t = await startTarget();
  const dir = phaseDir(`soak-${kind}`);
  const s = opts.soakSeconds;
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l = kind === 'bare'
      ? launchBare(dir, ['--url', t.url, '--mode', 'runs', '--users', String(opts.soakUsers), '--seconds', String(s), '--think', String(opts.soakThinkMs), '--content', CONTENT], {})
      : launchCrosstalk(t, dir, runsYaml(opts.soakUsers, s, opts.soakThinkMs), {});
    watch.add(l.proc.pid);
    const samples: Array<{ atS: number; rssBytes: number }> = [];
    const heap: Array<{ atS: number; heapUsedBytes: number }> = [];
    const t0 = performance.now();
    let marks = 0;
    for (let k = 1; k * 10 <= s && l.proc.exitCode === undefined; k++) {
      await sleep(Math.max(0, t0 + k * 10_000 - performance.now()));
      const r = rssBytes(l.proc.pid);
      if (r !== undefined) samples.push({ atS: k * 10, rssBytes: r });
      // Every 30 s (not at the very end, when the client may be closing): the live heap after a forced GC.
      if (k % 3 === 0 && (k + 1) * 10 <= s && l.proc.exitCode === undefined) {
        process.kill(l.proc.pid, 'SIGUSR2');
        const m = await waitMark(l.probe, ++marks, 10_000);
        if (m?.memory) heap.push({ atS: k * 10, heapUsedBytes: m.memory.heapUsed });
      }
    }
    const code = await waitExit(l.proc, 120_000);
    let runs = 0;
    let errors = 0;
    if (kind === 'bare') {
      const o = lastJsonLine(l.proc.stdout);
      runs = Number(o?.runs ?? 0);
    } else {
      const sum = readSummary(l.out);
      runs = sum?.runs.completed ?? 0;
      errors = sum?.metrics.errors?.value ?? 0;
    }
    return { kind, samples, heap, runs, runsPerSec: runs / s, errors, exit: code, foreignPct: watch.finish() };
  } finally {
    await stopTarget(t);
  }
}

// ---- reporting --------------------------------------------------------------------

const median = (xs: number[]): number | undefined => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
};
const def = <T>(xs: Array<T | undefined>): T[] => xs.filter((x): x is T => x !== undefined);

interface Row { metric: string; bare: string; crosstalk: string; ratio: string; goal: string; pass: string }

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

function table(rows: Row[]): string {
  const cols: Array<keyof Row> = ['metric', 'bare', 'crosstalk', 'ratio', 'goal', 'pass'];
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (r: Record<keyof Row, string>): string => `| ${cols.map((c, i) => r[c].padEnd(w[i]!)).join(' | ')} |`;
  const head = Object.fromEntries(cols.map((c) => [c, c])) as Record<keyof Row, string>;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---- main ------------------------------------------------------------------------

async function main(): Promise<void> {
  if (opts.onlyProfile) {
    setTimeout(() => { log('hard timeout after 40 min: stopping'); cleanupAll(); process.exit(4); }, 40 * 60_000).unref();
    await profile(opts.profile!);
    rmSync(WORK, { recursive: true, force: true });
    return;
  }
  const startedAt = new Date();
  const budgetS = opts.rounds * (2 * (opts.seconds + 20) + opts.sessions.reduce((a, n) => a + 2 * (Math.ceil(n / 1000) + SETTLE_S + HOLD_S + 40 + n / 500), 0) + 2 * opts.startupReps * 10)
    + 2 * (opts.soakSeconds + 60) + (opts.profile ? 600 : 0);
  // The whole bench is bounded too: past twice its planned length, plus an hour of waiting for a quiet machine, everything stops.
  const ceilingS = 2 * budgetS + 3600;
  setTimeout(() => { log(`hard timeout after ${Math.round(ceilingS)} s: stopping`); cleanupAll(); process.exit(4); }, ceilingS * 1000).unref();
  const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? '?', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100) };
  log(`scale bench: ${opts.rounds} round(s), ${opts.users} users × ${opts.seconds} s, sessions ${opts.sessions.join('/')}, soak ${opts.soakSeconds} s; crosstalk at ${opts.root}; planned ≈ ${Math.round(budgetS / 60)} min plus waits for a quiet machine (hard stop after ${Math.round((2 * budgetS + 3600) / 60)} min)`);
  log(`machine: ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB, node ${machine.node}, load ${machine.loadavgAtStart.join(' ')}`);

  const runsSamples: RunsSample[] = [];
  const idleSamples: IdleSample[] = [];
  const startupSamples: StartupSample[] = [];
  const workersSamples: WorkersSample[] = [];
  const loads: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const order = KINDS_IN_ORDER(round);
    log(`round ${round + 1}/${opts.rounds}: order ${order.join(', ')}`);
    for (const kind of opts.phases.has('runs') ? order : []) {
      const s = await quietly(`runs ${kind}`, () => phaseRuns(kind, round));
      runsSamples.push(s);
      log(`  runs ${kind}: ${s.runs} runs, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run (/proc/stat ${fmt(s.procStatCpuUs && s.procStatCpuUs / s.runs)}), ${s.runsPerSec.toFixed(0)} runs/s, errors ${s.errors} [other work ${s.foreignPct}%]`);
    }
    for (const w of opts.phases.has('workers') ? (round % 2 === 0 ? [1, 2] : [2, 1]) : []) {
      const s = await quietly(`workers ${w}`, () => phaseWorkers(w, round));
      workersSamples.push(s);
      log(`  workers ${w}: ${s.runs} runs, ${s.runsPerSec.toFixed(0)} runs/s, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run, errors ${s.errors} [other work ${s.foreignPct}%]`);
    }
    const t = opts.phases.has('startup') ? await startTarget() : undefined;
    if (t) try {
      for (let rep = 0; rep < opts.startupReps; rep++) {
        for (const kind of order) {
          const s = await quietly(`start-up ${kind}`, () => phaseStartup(kind, round, t));
          startupSamples.push(s);
          log(`  start-up ${kind}: ${fmt(s.cpuUs && s.cpuUs / 1000)} ms CPU (stat ${fmt(s.statCpuUs && s.statCpuUs / 1000, 0)}), ${fmt(s.wallMs, 0)} ms wall to first connection [other work ${s.foreignPct}%]`);
        }
      }
    } finally {
      await stopTarget(t);
    }
    for (const n of opts.phases.has('idle') ? opts.sessions : []) {
      for (const kind of order) {
        const s = await quietly(`idle ${n} ${kind}`, () => phaseIdle(kind, round, n));
        idleSamples.push(s);
        log(`  idle ${n} ${kind}: ${s.established ? 'all connected' : 'NOT all connected'} after ${fmt(s.connectedAfterMs, 0)} ms; RSS ${fmt(s.rssBytes && s.rssBytes / 2 ** 20)} MiB at the end of the hold (before the forced GC ${fmt(s.rssPreGcBytes && s.rssPreGcBytes / 2 ** 20)}, right after it ${fmt(s.rssPostGcBytes && s.rssPostGcBytes / 2 ** 20)}), ${fmt(s.perSessionBytes && s.perSessionBytes / 1024)} KiB/session; heap used ${fmt(s.memory && s.memory.heapUsed / 2 ** 20)} MiB; lag p99 hold ${fmt(s.lagHoldP99Ms, 2)} ms, run ${fmt(s.lagRunP99Ms, 2)} ms; open after hold ${s.openAfterHold ?? '?'} [other work ${s.foreignPct}%]`);
      }
    }
    loads.push(loadavg()[0]!);
  }

  const soak: SoakSample[] = [];
  if (opts.soakSeconds > 0 && opts.phases.has('soak')) {
    for (const kind of KINDS_IN_ORDER(opts.rounds)) {
      log(`soak ${kind}: ${opts.soakUsers} users, ${opts.soakThinkMs} ms think, ${opts.soakSeconds} s`);
      await waitQuiet();
      const s = await phaseSoak(kind);
      soak.push(s);
      log(`  soak ${kind}: ${s.runs} runs (${s.runsPerSec.toFixed(0)}/s); RSS MiB ${s.samples.map((x) => (x.rssBytes / 2 ** 20).toFixed(0)).join(' ')}; heap after GC MiB ${s.heap.map((x) => (x.heapUsedBytes / 2 ** 20).toFixed(1)).join(' ')} [other work ${s.foreignPct}%]`);
    }
  }

  // ---- figures
  const perRun = (k: Kind): number => { const xs = runsSamples.filter((s) => s.kind === k); return xs.reduce((a, s) => a + s.cpuUs, 0) / xs.reduce((a, s) => a + s.runs, 0); };
  const runsPerSec = (k: Kind): number | undefined => median(runsSamples.filter((s) => s.kind === k).map((s) => s.runsPerSec));
  const startupCpuMs = (k: Kind): number | undefined => { const m = median(def(startupSamples.filter((s) => s.kind === k).map((s) => s.cpuUs))); return m === undefined ? undefined : m / 1000; };
  const startupWallMs = (k: Kind): number | undefined => median(def(startupSamples.filter((s) => s.kind === k).map((s) => s.wallMs)));
  const idle = (k: Kind, n: number): IdleSample[] => idleSamples.filter((s) => s.kind === k && s.sessions === n);
  const perSessionKiB = (k: Kind, n: number): number | undefined => { const m = median(def(idle(k, n).map((s) => s.perSessionBytes))); return m === undefined ? undefined : m / 1024; };
  const lagRun = (k: Kind, n: number): number | undefined => { const xs = def(idle(k, n).map((s) => s.lagRunP99Ms)); return xs.length ? Math.max(...xs) : undefined; };
  const lagHold = (k: Kind, n: number): number | undefined => { const xs = def(idle(k, n).map((s) => s.lagHoldP99Ms)); return xs.length ? Math.max(...xs) : undefined; };
  const held = (k: Kind, n: number): boolean => idle(k, n).length > 0 && idle(k, n).every((s) => s.established && (s.openAfterHold ?? 0) >= n);
  const drift = (k: Kind): { first: number; last: number; max: number; lastPct: number; maxPct: number } | undefined => {
    const s = soak.find((x) => x.kind === k)?.samples;
    if (!s || s.length < 2) return undefined;
    const first = s[0]!.rssBytes;
    const last = s[s.length - 1]!.rssBytes;
    const max = Math.max(...s.map((x) => x.rssBytes));
    return { first, last, max, lastPct: ((last - first) / first) * 100, maxPct: ((max - first) / first) * 100 };
  };

  const rows: Row[] = [];
  const ratio = (b: number | undefined, c: number | undefined): number | undefined => (b && c !== undefined ? c / b : undefined);
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'pass' : 'FAIL');
  {
    const b = perRun('bare'); const c = perRun('crosstalk'); const r = ratio(b, c);
    rows.push({ metric: 'CPU-µs per agent run (whole process / runs)', bare: fmt(b), crosstalk: fmt(c), ratio: fmt(r, 2), goal: '≤ 1.25×', pass: verdict(r === undefined ? undefined : r <= 1.25) });
  }
  {
    const b = runsPerSec('bare'); const c = runsPerSec('crosstalk');
    rows.push({ metric: `runs/s (${opts.users} users, target on 1 core)`, bare: fmt(b, 0), crosstalk: fmt(c, 0), ratio: fmt(ratio(b, c), 2), goal: '', pass: '' });
  }
  if (workersSamples.length) {
    const w = (n: number): WorkersSample[] => workersSamples.filter((s) => s.workers === n);
    const rps = (n: number): number | undefined => median(w(n).map((s) => s.runsPerSec));
    const cpu = (n: number): number | undefined => { const xs = w(n); const runs = xs.reduce((a, s) => a + s.runs, 0); return runs ? xs.reduce((a, s) => a + s.cpuUs, 0) / runs : undefined; };
    const r = ratio(rps(1), rps(2));
    // The goal needs the generator to be the bottleneck: with 2 cores the target takes one of them, so it cannot be judged here.
    const judged = cpus().length >= 3;
    rows.push({ metric: 'crosstalk runs/s: --workers 1 (core 0) → --workers 2 (cores 0–1); target on core 1', bare: fmt(rps(1), 0), crosstalk: fmt(rps(2), 0), ratio: fmt(r, 2), goal: '≥ 1.7× (generator-bound)', pass: judged ? verdict(r === undefined ? undefined : r >= 1.7) : 'n/a: 2 cores' });
    rows.push({ metric: 'crosstalk CPU-µs per run: --workers 1 → --workers 2', bare: fmt(cpu(1)), crosstalk: fmt(cpu(2)), ratio: fmt(ratio(cpu(1), cpu(2)), 2), goal: '', pass: '' });
    // Not a measurement: what two generator-bound workers would reach with a core each, from what each run costs in CPU.
    const c1 = cpu(1); const c2 = cpu(2);
    if (!judged && c1 !== undefined && c2 !== undefined) rows.push({ metric: 'projected --workers 2 speed-up with a core per worker: 2 × CPU/run(1) ÷ CPU/run(2)', bare: '', crosstalk: '', ratio: fmt((2 * c1) / c2, 2), goal: 'projection, not judged', pass: '' });
  }
  {
    const b = startupCpuMs('bare'); const c = startupCpuMs('crosstalk');
    rows.push({ metric: 'start-up CPU to first connection (ms)', bare: fmt(b), crosstalk: fmt(c), ratio: fmt(ratio(b, c), 2), goal: '< 500 ms', pass: verdict(c === undefined ? undefined : c < 500) });
    const bw = startupWallMs('bare'); const cw = startupWallMs('crosstalk');
    rows.push({ metric: 'start-up wall time to first connection (ms)', bare: fmt(bw, 0), crosstalk: fmt(cw, 0), ratio: fmt(ratio(bw, cw), 2), goal: '', pass: '' });
  }
  for (const n of opts.sessions) {
    const b = perSessionKiB('bare', n); const c = perSessionKiB('crosstalk', n); const r = ratio(b, c);
    const goal = n === 2000 ? '≤ 1.2×' : '';
    rows.push({ metric: `RSS per idle session @${n} (KiB)`, bare: fmt(b), crosstalk: fmt(c), ratio: fmt(r, 2), goal, pass: goal ? verdict(r === undefined ? undefined : r <= 1.2) : '' });
  }
  const big = Math.max(...opts.sessions);
  const small = Math.min(...opts.sessions);
  if (big > small) {
    // What one more session costs, without the process's fixed base: the slope between the two sizes.
    const rssAt = (k: Kind, n: number): number | undefined => median(def(idle(k, n).map((s) => s.rssBytes)));
    const slope = (k: Kind): number | undefined => { const a = rssAt(k, small); const z = rssAt(k, big); return a === undefined || z === undefined ? undefined : (z - a) / (big - small) / 1024; };
    const b = slope('bare'); const c = slope('crosstalk');
    rows.push({ metric: `RSS per added session, ${small}→${big} (KiB)`, bare: fmt(b), crosstalk: fmt(c), ratio: fmt(ratio(b, c), 2), goal: '', pass: '' });
    const heapAt = (k: Kind, n: number): number | undefined => median(def(idle(k, n).map((s) => s.memory?.heapUsed)));
    const hs = (k: Kind): number | undefined => { const a = heapAt(k, small); const z = heapAt(k, big); return a === undefined || z === undefined ? undefined : (z - a) / (big - small) / 1024; };
    rows.push({ metric: `JS heap used per added session, ${small}→${big} (KiB)`, bare: fmt(hs('bare'), 2), crosstalk: fmt(hs('crosstalk'), 2), ratio: fmt(ratio(hs('bare'), hs('crosstalk')), 2), goal: '', pass: '' });
  }
  {
    const b = lagRun('bare', big); const c = lagRun('crosstalk', big);
    rows.push({ metric: `loop lag p99 @${big}, whole run (ms; crosstalk: summary.json, 2 ms sampler; bare: 10 ms monitor)`, bare: fmt(b, 2), crosstalk: fmt(c, 2), ratio: fmt(ratio(b, c), 2), goal: big >= 10_000 ? '< 50 ms' : '', pass: big >= 10_000 ? verdict(c === undefined ? undefined : c < 50) : '' });
    const bh = lagHold('bare', big); const ch = lagHold('crosstalk', big);
    rows.push({ metric: `loop lag p99 @${big}, ${HOLD_S} s hold (ms; probe)`, bare: fmt(bh, 2), crosstalk: fmt(ch, 2), ratio: fmt(ratio(bh, ch), 2), goal: '', pass: '' });
    rows.push({ metric: `${big} sessions held (all connected, all open after hold)`, bare: String(held('bare', big)), crosstalk: String(held('crosstalk', big)), ratio: '', goal: 'yes', pass: verdict(idle('crosstalk', big).length ? held('crosstalk', big) : undefined) });
  }
  if (soak.length) {
    const b = drift('bare'); const c = drift('crosstalk');
    const mib = (x: number | undefined): string => fmt(x === undefined ? undefined : x / 2 ** 20, x !== undefined && x < 100 * 2 ** 20 ? 1 : 0);
    rows.push({ metric: `soak ${opts.soakSeconds} s: RSS first → last (MiB)`, bare: b ? `${mib(b.first)} → ${mib(b.last)}` : 'n/a', crosstalk: c ? `${mib(c.first)} → ${mib(c.last)}` : 'n/a', ratio: '', goal: '', pass: '' });
    rows.push({ metric: 'soak: RSS drift last vs first (%)', bare: fmt(b?.lastPct), crosstalk: fmt(c?.lastPct), ratio: '', goal: 'within ±10%', pass: verdict(c === undefined ? undefined : Math.abs(c.lastPct) <= 10) });
    rows.push({ metric: 'soak: largest RSS rise over first (%)', bare: fmt(b?.maxPct), crosstalk: fmt(c?.maxPct), ratio: '', goal: '≤ 10%', pass: verdict(c === undefined ? undefined : c.maxPct <= 10) });
    const sb = soak.find((x) => x.kind === 'bare'); const sc = soak.find((x) => x.kind === 'crosstalk');
    // After warm-up: from the 60 s sample on (V8 sizes its heap in the first minute).
    const warm = (k: Kind): number | undefined => {
      const x = soak.find((y) => y.kind === k)?.samples.filter((y) => y.atS >= 60);
      if (!x || x.length < 2) return undefined;
      return ((x[x.length - 1]!.rssBytes - x[0]!.rssBytes) / x[0]!.rssBytes) * 100;
    };
    rows.push({ metric: 'soak: RSS drift after warm-up, 60 s → last (%)', bare: fmt(warm('bare')), crosstalk: fmt(warm('crosstalk')), ratio: '', goal: '', pass: '' });
    const heapGrowth = (x: SoakSample | undefined): { first: number; last: number; perKRunsKiB: number } | undefined => {
      if (!x || x.heap.length < 2) return undefined;
      const a = x.heap[0]!; const z = x.heap[x.heap.length - 1]!;
      return { first: a.heapUsedBytes, last: z.heapUsedBytes, perKRunsKiB: ((z.heapUsedBytes - a.heapUsedBytes) / 1024) / ((x.runsPerSec * (z.atS - a.atS)) / 1000) };
    };
    const hb = heapGrowth(sb); const hc = heapGrowth(sc);
    rows.push({ metric: 'soak: JS heap after forced GC, first → last (MiB)', bare: hb ? `${mib(hb.first)} → ${mib(hb.last)}` : 'n/a', crosstalk: hc ? `${mib(hc.first)} → ${mib(hc.last)}` : 'n/a', ratio: '', goal: '', pass: '' });
    rows.push({ metric: 'soak: JS heap kept per 1000 runs (KiB)', bare: fmt(hb?.perKRunsKiB), crosstalk: fmt(hc?.perKRunsKiB), ratio: '', goal: '', pass: '' });
    rows.push({ metric: 'soak: runs/s (paced)', bare: fmt(sb?.runsPerSec, 0), crosstalk: fmt(sc?.runsPerSec, 0), ratio: '', goal: '', pass: '' });
  }

  const perRound = [...new Set(runsSamples.map((s) => s.round))].map((r) => {
    const b = runsSamples.find((s) => s.round === r && s.kind === 'bare'); const c = runsSamples.find((s) => s.round === r && s.kind === 'crosstalk');
    return b && c ? (c.cpuUs / c.runs) / (b.cpuUs / b.runs) : undefined;
  });
  const out = [
    '',
    `Scale: crosstalk vs a bare ws client (${new Date().toISOString().slice(0, 10)}, ${machine.cpus} × ${machine.model}, node ${machine.node}; ${opts.rounds} round(s); load avg ${machine.loadavgAtStart[0]} at start, ${loads.map((x) => x.toFixed(2)).join('/')} after each round)`,
    '',
    table(rows),
    '',
    `CPU-per-run ratio by round: ${perRound.map((x) => fmt(x, 3)).join(', ')}`,
    `RSS per session is whole-process VmRSS / sessions, read ${HOLD_S} s after a forced GC (idle process, freed pages given back); medians over rounds. Loop lag: worst round.`,
    (() => { const f = [...runsSamples, ...startupSamples, ...idleSamples, ...soak].map((x) => x.foreignPct); return `Other work on the machine during the kept measurements: median ${fmt(median(f))}%, max ${fmt(Math.max(0, ...f))}% of all cores (${f.filter((x) => x > 10).length} over 10%).`; })(),
    '',
  ].join('\n');
  process.stdout.write(out);

  if (opts.profile) await profile(opts.profile);

  const json = opts.json ?? join(tmpdir(), `ct-scale-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}.json`);
  writeFileSync(json, `${JSON.stringify({ startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), machine, options: opts, rows, runsSamples, workersSamples, startupSamples, idleSamples, soak }, null, 2)}\n`);
  log(`raw figures: ${json}`);
  if (process.env.CT_BENCH_KEEP === "1") log(`kept ${WORK}`); else rmSync(WORK, { recursive: true, force: true });
}

/** Profiles, for the report: where crosstalk's time and memory go, next to the bare client's. */
async function profile(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  log(`profiling into ${dir}`);
  const parts: string[] = [];
  const emit = (text: string): void => { parts.push(text); writeFileSync(join(dir, 'summary.txt'), parts.join('\n')); };

  // CPU under load: µs per completed run by function, both clients.
  for (const kind of ['bare', 'crosstalk'] as const) {
    const s = await quietly(`profiled runs ${kind}`, () => phaseRuns(kind, -1, dir));
    log(`  profiled runs ${kind}: ${s.runs} runs, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run (with the profiler on)`);
    emit(formatCpuSummary(`runs-${kind}.cpuprofile (${s.runs} runs; profiler on: ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run)`, summarizeCpuProfile(join(dir, `runs-${kind}.cpuprofile`), 30), s.runs));
  }

  // Start-up: what loading costs (each import alone in a fresh process), and crosstalk's profile up to its first connection.
  emit(await importCosts());
  {
    const t = await startTarget();
    try {
      await waitQuiet();
      const work = phaseDir('startup-prof');
      const l = launchCrosstalk(t, work, idleYaml(1, 1, 2), {}, ['--cpu-prof', '--cpu-prof-dir', work]);
      const wall = await waitConnections(t, l.proc, 1, 20_000, 2);
      await waitExit(l.proc, 40_000);
      const f = readdirSync(work).find((x) => x.endsWith('.cpuprofile'));
      if (f && wall !== undefined) emit(formatCpuSummary(`start-up of crosstalk (1 user), profile cut at ${wall.toFixed(0)} ms, the first connection`, summarizeCpuProfile(join(work, f), 30, wall)));
    } finally {
      await stopTarget(t);
    }
  }

  // Many sessions: what the connect ramp and the hold cost crosstalk.
  const big = Math.max(...opts.sessions);
  const small = Math.min(...opts.sessions);
  await waitQuiet();
  await phaseIdle('crosstalk', -1, big, { cpuDir: dir });
  emit(formatCpuSummary(`idle${big}-crosstalk.cpuprofile (ramp to ${big} sessions, settle, hold, close)`, summarizeCpuProfile(join(dir, `idle${big}-crosstalk.cpuprofile`), 30)));

  // Memory per session: heap snapshots at both sizes; the difference over the added sessions is the per-session cost.
  for (const n of big > small ? [small, big] : [small]) {
    for (const kind of ['bare', 'crosstalk'] as const) {
      await waitQuiet();
      await phaseIdle(kind, -1, n, { snapshot: join(dir, `idle${n}-${kind}.heapsnapshot`) });
    }
  }
  for (const kind of ['bare', 'crosstalk'] as const) {
    emit(formatHeapSummary(`idle${small}-${kind}.heapsnapshot`, summarizeHeapSnapshot(join(dir, `idle${small}-${kind}.heapsnapshot`), 25, small), small));
  }
  emit(formatHeapSummary(`crosstalk's extra JS heap over the bare client at ${small} sessions (fixed and per-session costs together)`,
    diffHeapSnapshots(join(dir, `idle${small}-bare.heapsnapshot`), join(dir, `idle${small}-crosstalk.heapsnapshot`), 30, small), small));
  if (big > small) {
    for (const kind of ['bare', 'crosstalk'] as const) {
      emit(formatHeapSummary(`${kind}: JS heap per added idle session (${small} → ${big})`,
        diffHeapSnapshots(join(dir, `idle${small}-${kind}.heapsnapshot`), join(dir, `idle${big}-${kind}.heapsnapshot`), 30, big - small), big - small));
    }
  }

  // Growth under constant load.
  await waitQuiet();
  const growth = await profileSoakGrowth(dir);
  if (growth) emit(formatHeapSummary(`crosstalk heap growth under constant load (${growth.seconds.toFixed(0)} s, ≈ ${Math.round(growth.runs)} runs)`, diffHeapSnapshots(growth.before, growth.after, 25, Math.round(growth.runs)), Math.round(growth.runs), 'run'));
  process.stdout.write(`\n${parts.join('\n')}`);
  log(`profile summaries: ${join(dir, 'summary.txt')}`);
}

/** CPU to import each module crosstalk's `run` loads, alone in a fresh pinned process (median of 3), and node itself. */
async function importCosts(): Promise<string> {
  const mods: Array<[string, string]> = [
    ['node (empty script)', ''],
    ['ws', 'ws'], ['undici', 'undici'], ['jose', 'jose'], ['pino', 'pino'], ['zod', 'zod'], ['yaml', 'yaml'],
    ['commander', 'commander'], ['hdr-histogram-js', 'hdr-histogram-js'],
    ['crosstalk dist/src/cli/main.js (everything `simulate` loads)', pathToFileURL(join(opts.root, 'dist', 'src', 'cli', 'main.js')).href],
  ];
  const lines = ['import cost (CPU ms to load the module in a fresh node process, median of 3; the empty-script row is node itself and is included in every other row):'];
  await waitQuiet();
  for (const [label, spec] of mods) {
    const xs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const code = spec ? `await import(${JSON.stringify(spec)}); const c = process.cpuUsage(); console.log(c.user + c.system)` : 'const c = process.cpuUsage(); console.log(c.user + c.system)';
      const p = startPinned(0, ['node', '--input-type=module', '-e', code]);
      await waitExit(p, 30_000);
      const v = Number(p.stdout.trim());
      if (Number.isFinite(v) && v > 0) xs.push(v / 1000);
    }
    lines.push(`  ${fmt(median(xs)).padStart(7)} ms  ${label}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Heap snapshots of crosstalk 30 s apart under the soak's constant paced
 * load: what grows, and by how much per completed run (runs in between are
 * estimated from the run's average rate outside the snapshot pauses).
 */
async function profileSoakGrowth(dir: string): Promise<{ before: string; after: string; runs: number; seconds: number } | undefined> {
  const t = await startTarget();
  const work = phaseDir('soak-growth');
  try {
    const seconds = 120;
    const l = launchCrosstalk(t, work, runsYaml(opts.soakUsers, seconds, opts.soakThinkMs), { CT_PROBE_SNAPSHOT: join(dir, 'soak-crosstalk-{n}.heapsnapshot') });
    await sleep(30_000);
    process.kill(l.proc.pid, 'SIGUSR2');
    const m1 = await waitMark(l.probe, 1, 120_000);
    await sleep(30_000);
    process.kill(l.proc.pid, 'SIGUSR2');
    const m2 = await waitMark(l.probe, 2, 120_000);
    await waitExit(l.proc, 300_000);
    const sum = readSummary(l.out);
    if (!m1 || !m2 || !sum || m1.tEndMs === undefined || m2.tMs === undefined) { log(`  soak growth: incomplete (${failure(l, 'soak growth')})`); return undefined; }
    const pausesMs = (m1.tEndMs - m1.tMs!) + (m2.tEndMs! - m2.tMs);
    const rate = sum.runs.completed / Math.max(1, (sum.durationMs - pausesMs) / 1000);
    const between = (m2.tMs - m1.tEndMs) / 1000;
    return { before: join(dir, 'soak-crosstalk-1.heapsnapshot'), after: join(dir, 'soak-crosstalk-2.heapsnapshot'), runs: rate * between, seconds: between };
  } finally {
    await stopTarget(t);
  }
}

main().then(() => { healthAgent.destroy(); process.exit(0); }, (err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  cleanupAll();
  process.exit(4);
});
