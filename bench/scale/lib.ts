// The scale bench's shared parts: its options, the processes it starts (a
// pinned reference target and the two clients), their probe files and
// summaries, the scenarios it runs, and the figure helpers. Importing it
// parses the command line (it belongs to bench/scale.ts alone).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  killAllStarted,
  killGroup,
  killStartedOnExit,
  sleep,
  startPinned as startPinnedProcess,
  type Proc,
} from '../pinned-process.js';

// ---- options ------------------------------------------------------------------

/** dist/bench/, where the bench's other scripts are (this file is dist/bench/scale/lib.js). */
const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_ROOT = resolve(HERE, '..', '..');

/** The bench's command-line options. */
export interface Options {
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
  const get1 = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number, min: number, max: number): number => {
    const v = get1(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) die(`${name}: expected a number in ${min}..${max}, got "${v}"`);
    return n;
  };
  const known = new Set([
    '--rounds',
    '--quick',
    '--users',
    '--seconds',
    '--sessions',
    '--soak',
    '--startup-reps',
    '--root',
    '--json',
    '--profile',
    '--only-profile',
    '--phases',
  ]);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) die(`unknown option ${a}`);
  const quick = argv.includes('--quick');
  if (argv.includes('--only-profile') && !argv.includes('--profile')) die('--only-profile needs --profile DIR');
  const sessions = (get1('--sessions') ?? '2000,10000').split(',').map(Number);
  if (sessions.some((n) => !Number.isInteger(n) || n < 1 || n > 15_000))
    die('--sessions: whole numbers 1..15000, comma-separated');
  const phases = new Set((get1('--phases') ?? 'runs,workers,startup,idle,soak').split(','));
  for (const p of phases)
    if (!['runs', 'workers', 'startup', 'idle', 'soak'].includes(p))
      die(`--phases: runs, workers, startup, idle, soak (comma-separated), got "${p}"`);
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

/** This run's options, from the command line. */
export const opts = parseOptions(process.argv.slice(2));
/** The JWT secret every target and client of this run shares. */
const SECRET = randomBytes(32).toString('base64url');
/** A temp folder for every measurement's files (kept with CT_BENCH_KEEP=1). */
export const WORK = mkdtempSync(join(tmpdir(), 'ct-scale-'));
const PROBE = pathToFileURL(join(HERE, 'probe-preload.js')).href;
const BARE = join(HERE, 'bare-client.js');
/** bin/simulate of the checkout under test. */
const SIMULATE = join(opts.root, 'bin', 'simulate');
/** What every simulated user asks. */
export const CONTENT = 'How much did we spend on this thread?';

// ---- processes ------------------------------------------------------------------

/** A client or target of this bench, pinned to `core`, run from the crosstalk checkout with the bench's JWT secret. */
export const startPinned = (core: number | string, cmd: readonly string[], env: NodeJS.ProcessEnv = {}): Proc =>
  startPinnedProcess(core, cmd, { cwd: opts.root, env: { SIM_JWT_SECRET: SECRET, ...env } });
/** Kills every process this bench started (on a hard timeout or a failure). */
export const cleanupAll = killAllStarted;
killStartedOnExit();

// ---- target ---------------------------------------------------------------------

/** A running reference target. */
export interface Target {
  url: string;
  proc: Proc;
}
/** One kept-alive socket for /health polls (destroyed at exit). */
export const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Starts a fresh reference target on core 1 and waits for its listening line (15 s at most). */
export async function startTarget(): Promise<Target> {
  const proc = startPinned(1, [
    'node',
    SIMULATE,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--agent',
    'instant',
    '--log-level',
    'warn',
  ]);
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && proc.exitCode === undefined) {
    const m = /crosstalk target listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.stdout);
    if (m) return { url: m[1]!, proc };
    await sleep(20);
  }
  killGroup(proc);
  throw new Error(`target did not start: ${proc.stderr.slice(0, 500)}`);
}

/** SIGTERM to the target's group, SIGKILL after 5 s. */
export async function stopTarget(t: Target): Promise<void> {
  killGroup(t.proc, 'SIGTERM');
  if ((await Promise.race([t.proc.exited.then(() => true), sleep(5000).then(() => false)])) === false)
    killGroup(t.proc);
}

interface Health {
  connections: number;
  users: number;
  runsInFlight: number;
  threads: number;
}

/** The target's /health, or undefined when it does not answer in 2 s. */
export function health(url: string): Promise<Health | undefined> {
  return new Promise((res) => {
    const req = get(`${url}/health`, { agent: healthAgent, timeout: 2000 }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => {
        body += d.toString();
      });
      r.on('end', () => {
        try {
          res(JSON.parse(body) as Health);
        } catch {
          res(undefined);
        }
      });
    });
    req.on('timeout', () => {
      req.destroy();
      res(undefined);
    });
    req.on('error', () => res(undefined));
  });
}

/** Polls /health every `everyMs` until `connections >= n` or the client exits or `ms` pass; answers ms since spawn. */
export async function waitConnections(
  t: Target,
  client: Proc,
  n: number,
  ms: number,
  everyMs: number,
): Promise<number | undefined> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && client.exitCode === undefined) {
    const h = await health(t.url);
    if (h && h.connections >= n) return performance.now() - client.startedAt;
    await sleep(everyMs);
  }
  return undefined;
}

// ---- clients ---------------------------------------------------------------------

/** Which client a measurement ran. */
export type Kind = 'bare' | 'crosstalk';
/** The clients in the order of a round: alternating, so neither always goes first. */
export const KINDS_IN_ORDER = (round: number): Kind[] =>
  round % 2 === 0 ? ['bare', 'crosstalk'] : ['crosstalk', 'bare'];

/** A line bench/probe-preload.ts writes: a mark (SIGUSR2) or the exit. */
export interface ProbeLine {
  event: 'mark' | 'exit';
  n?: number;
  tMs?: number;
  tEndMs?: number;
  cpu: { user: number; system: number; total: number };
  lag?: { p50Ms: number; p99Ms: number; maxMs: number; samples: number };
  memory?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  maxRssKiB?: number;
}

/** The probe file's lines so far. */
export function readProbe(file: string): ProbeLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ProbeLine);
}

/** Waits (at most `ms`) for mark `n` in the probe file. */
export async function waitMark(file: string, n: number, ms: number): Promise<ProbeLine | undefined> {
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

/** A client started for one measurement, with where it writes. */
export interface Launch {
  proc: Proc;
  probe: string;
  out: string;
  kind: Kind;
}

/** A fresh directory for one measurement. */
export function phaseDir(name: string): string {
  const d = join(WORK, `${name}-${randomBytes(3).toString('hex')}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Starts `simulate run` on `yaml` against the target, pinned to `cores`. */
export function launchCrosstalk(
  t: Target,
  dir: string,
  yaml: string,
  env: NodeJS.ProcessEnv,
  extra: readonly string[] = [],
  workers = 1,
  cores = '0',
): Launch {
  const scen = join(dir, 'scenario.yaml');
  writeFileSync(scen, yaml);
  const probe = join(dir, 'probe.jsonl');
  const out = join(dir, 'results');
  // One generator thread, in the process (what a pinned run picks by default anyway).
  const proc = startPinned(
    cores,
    [
      ...nodeArgs([...extra, ...CROSSTALK_NODE_ARGS]),
      SIMULATE,
      'run',
      scen,
      '--target',
      t.url,
      '--out',
      out,
      '--workers',
      String(workers),
      '--quiet',
      '--no-progress',
    ],
    { CT_PROBE_FILE: probe, ...env },
  );
  return { proc, probe, out, kind: 'crosstalk' };
}

/** Starts the bare client on core 0. */
export function launchBare(
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  extra: readonly string[] = [],
): Launch {
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

/** crosstalk's summary.json in `out`, or undefined. */
export function readSummary(out: string): CrosstalkSummary | undefined {
  try {
    return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as CrosstalkSummary;
  } catch {
    return undefined;
  }
}

/** The last line of `text` that is JSON (the bare client's result). */
export function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

/** A client's failure, with the tail of its output. */
export function failure(l: Launch, what: string): string {
  return `${l.kind} ${what} (exit ${String(l.proc.exitCode)}): ${(l.proc.stderr || l.proc.stdout).trim().slice(-400)}`;
}

// ---- phases ----------------------------------------------------------------------

/** N users looping agent runs for S seconds, with an optional think time. */
export const runsYaml = (users: number, seconds: number, thinkMs: number): string => `name: scale-runs
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

/** N users that connect over the ramp and stay idle. */
export const idleYaml = (n: number, rampS: number, holdS: number): string => `name: scale-idle
cohorts:
  idlers:
    model: closed
    stages:
      - { duration: ${rampS}s, users: ${n} }
      - { duration: ${holdS}s, users: ${n} }
    flow: [connect, { idle: 3600s }]
`;

// ---- figures ----------------------------------------------------------------------

/** The median of the finite values, or undefined. */
export const median = (xs: number[]): number | undefined => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
};
/** The defined values. */
export const def = <T>(xs: Array<T | undefined>): T[] => xs.filter((x): x is T => x !== undefined);

/** One row of the bench's table. */
export interface Row {
  metric: string;
  bare: string;
  crosstalk: string;
  ratio: string;
  goal: string;
  pass: string;
}

/** A figure with `digits` decimals, or n/a. */
export function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

/** The rows as an aligned Markdown table. */
export function table(rows: Row[]): string {
  const cols: Array<keyof Row> = ['metric', 'bare', 'crosstalk', 'ratio', 'goal', 'pass'];
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (r: Record<keyof Row, string>): string => `| ${cols.map((c, i) => r[c].padEnd(w[i]!)).join(' | ')} |`;
  const head = Object.fromEntries(cols.map((c) => [c, c])) as Record<keyof Row, string>;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
