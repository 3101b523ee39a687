/**
 * Transport benchmark: crosstalk's CPU per agent run on each transport,
 * against a bare client of that transport, side by side in one run.
 *
 *   npm run build && node dist/bench/transports.js [--rounds 5] [--quick] [--transports ws,sse,socketio] [--profile DIR]
 *
 * Options: --rounds N (5; --quick: 3), --users N (50), --seconds S (15;
 * --quick: 8), --transports (all three), --root DIR (the crosstalk checkout
 * to run; default this one), --json FILE (raw figures; default in the temp
 * folder), --quiet-wait S (60: the longest wait for a quiet machine before
 * each pass), --profile DIR, --only-profile (just the profiles).
 *
 * For each transport, each round: a fresh reference target (`simulate serve
 * --agent instant --transport T`, pinned to core 1), then the bare client
 * and crosstalk (`simulate run --target URL --workers 1`, oracles and every
 * histogram on, `target.transport: T`), each alone against its own fresh
 * target, pinned to core 0. The bare clients:
 *  - ws: bench/bare-client.ts (the floor of bench/scale.ts);
 *  - sse: bench/bare-sse-client.ts (undici + eventsource-parser);
 *  - socketio: bench/bare-socketio-client.ts (socket.io-client).
 * Same load for both: N users, each creating a thread and looping agent runs
 * for S seconds with no think time. The order of the two clients alternates
 * by round and by transport, and the transports rotate, so neither side
 * always runs first or on the same stretch of a drifting machine.
 *
 * Measured: whole-process user + system CPU of the client at exit
 * (process.cpuUsage() from bench/probe-preload.ts, loaded into both) over
 * runs completed (bare: its own count; crosstalk: summary.json
 * runs.completed). The target is another process and is not counted. Each
 * round gives a ratio crosstalk ÷ bare; a transport's figure is the median
 * of its rounds (the pooled ratio, all CPU over all runs, is shown too).
 * Goals (issue 15): ws ≤ 1.25×, sse ≤ 1.3×; socketio has none and is
 * reported as information. Also shown, as information, the ratio over the
 * run phase only: CPU while the users ran (bare: its loop, from the first
 * message to the drain; crosstalk: summary.json generator.cpuPercent ×
 * durationMs, connect and createThread included), without start-up and the
 * end of the run (crosstalk's reports). The judged figure is the whole
 * process, as in bench/scale.ts.
 *
 * Bounded: every client has a deadline (killed by its process group past
 * it), the whole bench a ceiling; all traffic is to 127.0.0.1. Measurements
 * wait (at most --quiet-wait s) for a quiet machine and are repeated once
 * when other work took over 10% of it meanwhile; the share is kept with each
 * figure. --profile DIR adds, after the rounds, one CPU-profiled pass of each
 * client per transport (crosstalk from dist/src, so frames name its files),
 * summarised into DIR/summary.txt. Never part of npm test.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LoadWatch, quietly } from './machine-load.js';
import {
  killAllStarted,
  killGroup,
  killStartedOnExit,
  log,
  sleep,
  startPinned,
  waitExit,
  type Proc,
} from './pinned-process.js';
import { formatCpuSummary, summarizeCpuProfile } from './profile-summary.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TRANSPORTS = ['ws', 'sse', 'socketio'] as const;
type Transport = (typeof TRANSPORTS)[number];
type Kind = 'bare' | 'crosstalk';
const GOALS: Record<Transport, number | undefined> = { ws: 1.25, sse: 1.3, socketio: undefined };
const BARE: Record<Transport, string> = {
  ws: 'bare-client.js',
  sse: 'bare-sse-client.js',
  socketio: 'bare-socketio-client.js',
};
const CONTENT = 'How much did we spend on this thread?';

interface Options {
  rounds: number;
  users: number;
  seconds: number;
  transports: Transport[];
  root: string;
  json: string | undefined;
  profile: string | undefined;
  onlyProfile: boolean;
  quietWaitS: number;
}

function parseOptions(argv: readonly string[]): Options {
  const known = new Set([
    '--rounds',
    '--quick',
    '--users',
    '--seconds',
    '--transports',
    '--root',
    '--json',
    '--profile',
    '--only-profile',
    '--quiet-wait',
  ]);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) die(`unknown option ${a}`);
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
  const quick = argv.includes('--quick');
  const transports = (get1('--transports') ?? TRANSPORTS.join(',')).split(',');
  for (const t of transports)
    if (!(TRANSPORTS as readonly string[]).includes(t))
      die(`--transports: ${TRANSPORTS.join(', ')} (comma-separated), got "${t}"`);
  if (argv.includes('--only-profile') && !argv.includes('--profile')) die('--only-profile needs --profile DIR');
  const root = resolve(get1('--root') ?? join(HERE, '..', '..'));
  if (!existsSync(join(root, 'bin', 'simulate'))) die(`--root ${root}: no bin/simulate there`);
  return {
    rounds: num('--rounds', quick ? 3 : 5, 1, 20),
    users: num('--users', 50, 1, 1000),
    seconds: num('--seconds', quick ? 8 : 15, 2, 300),
    transports: transports as Transport[],
    root,
    json: get1('--json'),
    profile: get1('--profile'),
    onlyProfile: argv.includes('--only-profile'),
    quietWaitS: num('--quiet-wait', 60, 0, 600),
  };
}

function die(msg: string): never {
  process.stderr.write(`transports: ${msg}\n`);
  process.exit(3);
}

const opts = parseOptions(process.argv.slice(2));
const SECRET = randomBytes(32).toString('base64url');
const WORK = mkdtempSync(join(tmpdir(), 'ct-transports-'));
const PROBE = pathToFileURL(join(HERE, 'probe-preload.js')).href;
killStartedOnExit();

/** A process of this bench: pinned, run from the crosstalk checkout, with the bench's JWT secret. */
const start = (core: number, cmd: readonly string[], env: NodeJS.ProcessEnv = {}): Proc =>
  startPinned(core, cmd, { cwd: opts.root, env: { SIM_JWT_SECRET: SECRET, ...env } });

interface Target {
  url: string;
  proc: Proc;
}

/** A fresh reference target serving `transport`, on core 1; waits for its listening line (15 s at most). */
async function startTarget(transport: Transport): Promise<Target> {
  const proc = start(1, [
    'node',
    join(opts.root, 'bin', 'simulate'),
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--agent',
    'instant',
    '--transport',
    transport,
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
  throw new Error(`target (${transport}) did not start: ${proc.stderr.slice(0, 500)}`);
}

async function stopTarget(t: Target): Promise<void> {
  killGroup(t.proc, 'SIGTERM');
  if ((await Promise.race([t.proc.exited.then(() => true), sleep(5000).then(() => false)])) === false)
    killGroup(t.proc);
}

const scenarioYaml = (transport: Transport): string => `name: transports-${transport}
target: { transport: ${transport} }
cohorts:
  chatters:
    users: ${opts.users}
    duration: ${opts.seconds}s
    flow:
      - connect
      - createThread: { title: "Bench {{user}}" }
      - repeat:
          duration: ${opts.seconds}s
          steps:
            - sendMessage: { content: "${CONTENT}", timeout: 10s }
`;

/** One client's pass: CPU per completed run. */
interface Sample {
  transport: Transport;
  kind: Kind;
  round: number;
  runs: number;
  cpuUs: number;
  cpuPerRunUs: number;
  /** CPU while the users ran, without start-up and the end (bare: its loop; crosstalk: summary cpuPercent × durationMs). */
  runPhaseCpuUs: number | undefined;
  runsPerSec: number;
  errors: number;
  exit: number | null | undefined;
  foreignPct: number;
}

const lastJsonLine = (text: string): Record<string, unknown> | undefined => {
  for (const l of text.trim().split('\n').reverse()) {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
};

/** N users loop agent runs over `transport` for S seconds against a fresh target; `profDir` adds a CPU profile. */
async function pass(transport: Transport, kind: Kind, round: number, profDir?: string): Promise<Sample> {
  const t = await startTarget(transport);
  const dir = join(WORK, `${transport}-${kind}-${round}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const probe = join(dir, 'probe.jsonl');
  const node = ['node', '--expose-gc', '--import', PROBE, ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [])];
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    let proc: Proc;
    if (kind === 'bare') {
      proc = start(
        0,
        [
          ...node,
          join(HERE, BARE[transport]),
          '--url',
          t.url,
          '--mode',
          'runs',
          '--users',
          String(opts.users),
          '--seconds',
          String(opts.seconds),
          '--content',
          CONTENT,
        ],
        { CT_PROBE_FILE: probe },
      );
    } else {
      writeFileSync(join(dir, 'scenario.yaml'), scenarioYaml(transport));
      // Profiled passes run tsc's output, so the profile names crosstalk's own files.
      const cli = profDir ? join(HERE, 'simulate-unbundled.js') : join(opts.root, 'bin', 'simulate');
      proc = start(
        0,
        [
          ...node,
          cli,
          'run',
          join(dir, 'scenario.yaml'),
          '--target',
          t.url,
          '--out',
          join(dir, 'results'),
          '--workers',
          '1',
          '--quiet',
          '--no-progress',
        ],
        { CT_PROBE_FILE: probe },
      );
    }
    watch.add(proc.pid);
    const exit = await waitExit(proc, (opts.seconds + 90) * 1000);
    const why = (): string =>
      `${kind} ${transport} (exit ${String(exit)}): ${(proc.stderr || proc.stdout).trim().slice(-400)}`;
    const probeExit = existsSync(probe)
      ? readFileSync(probe, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { event: string; cpu: { total: number } })
          .find((l) => l.event === 'exit')
      : undefined;
    if (!probeExit) throw new Error(`wrote no exit probe: ${why()}`);
    watch.final(proc.pid, probeExit.cpu.total);
    let runs: number;
    let errors: number;
    let runPhaseCpuUs: number | undefined;
    if (kind === 'bare') {
      const o = lastJsonLine(proc.stdout);
      if (!o || typeof o.runs !== 'number') throw new Error(`printed no result: ${why()}`);
      runs = o.runs;
      errors = Number(o.unfinished ?? 0) + Number(o.failed ?? 0) + Number(o.broken ?? 0);
      runPhaseCpuUs = typeof o.loopCpuUs === 'number' ? o.loopCpuUs : undefined;
    } else {
      let s: {
        runs: { completed: number; failed: number; timedOut: number };
        metrics: Record<string, { value?: number }>;
        durationMs: number;
        generator: { cpuPercent: number };
      };
      try {
        s = JSON.parse(readFileSync(join(dir, 'results', 'summary.json'), 'utf8')) as typeof s;
      } catch {
        throw new Error(`wrote no summary.json: ${why()}`);
      }
      runs = s.runs.completed;
      errors = (s.metrics.errors?.value ?? 0) + s.runs.failed + s.runs.timedOut;
      runPhaseCpuUs = (s.generator.cpuPercent / 100) * s.durationMs * 1000;
    }
    if (runs <= 0) throw new Error(`completed no run: ${why()}`);
    if (profDir)
      for (const f of readdirSync(dir))
        if (f.endsWith('.cpuprofile'))
          writeFileSync(join(profDir, `${transport}-${kind}.cpuprofile`), readFileSync(join(dir, f)));
    const cpuUs = probeExit.cpu.total;
    return {
      transport,
      kind,
      round,
      runs,
      cpuUs,
      cpuPerRunUs: cpuUs / runs,
      runPhaseCpuUs,
      runsPerSec: runs / opts.seconds,
      errors,
      exit,
      foreignPct: watch.finish(),
    };
  } finally {
    await stopTarget(t);
  }
}

// ---- figures ---------------------------------------------------------------------

const median = (xs: readonly number[]): number | undefined => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
};
const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);

/** Per transport: each round's ratio, their median, the pooled ratio and the verdict. */
interface TransportFigure {
  transport: Transport;
  rounds: Array<{ round: number; bare: Sample; crosstalk: Sample; ratio: number; runPhaseRatio: number | undefined }>;
  bareCpuPerRunUs: number | undefined;
  crosstalkCpuPerRunUs: number | undefined;
  medianRatio: number | undefined;
  pooledRatio: number | undefined;
  goal: number | undefined;
  verdict: 'pass' | 'FAIL' | 'info' | 'n/a';
  /** Information: the same ratio over the run phase only (start-up and the end left out). */
  medianRunPhaseRatio: number | undefined;
}

function computeFigures(samples: readonly Sample[]): TransportFigure[] {
  return opts.transports.map((transport) => {
    const rounds: TransportFigure['rounds'] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const b = samples.find((s) => s.transport === transport && s.round === r && s.kind === 'bare');
      const c = samples.find((s) => s.transport === transport && s.round === r && s.kind === 'crosstalk');
      const phase =
        b?.runPhaseCpuUs && c?.runPhaseCpuUs ? c.runPhaseCpuUs / c.runs / (b.runPhaseCpuUs / b.runs) : undefined;
      if (b && c)
        rounds.push({ round: r, bare: b, crosstalk: c, ratio: c.cpuPerRunUs / b.cpuPerRunUs, runPhaseRatio: phase });
    }
    const pooled = (k: Kind): number | undefined => {
      const xs = rounds.map((x) => x[k]);
      const runs = xs.reduce((a, s) => a + s.runs, 0);
      return runs ? xs.reduce((a, s) => a + s.cpuUs, 0) / runs : undefined;
    };
    const b = pooled('bare');
    const c = pooled('crosstalk');
    const med = median(rounds.map((x) => x.ratio));
    const goal = GOALS[transport];
    const verdict = med === undefined ? 'n/a' : goal === undefined ? 'info' : med <= goal ? 'pass' : 'FAIL';
    const medPhase = median(rounds.flatMap((x) => (x.runPhaseRatio === undefined ? [] : [x.runPhaseRatio])));
    return {
      transport,
      rounds,
      bareCpuPerRunUs: b,
      crosstalkCpuPerRunUs: c,
      medianRatio: med,
      pooledRatio: b && c ? c / b : undefined,
      goal,
      verdict,
      medianRunPhaseRatio: medPhase,
    };
  });
}

function formatFigures(figs: readonly TransportFigure[]): string {
  const lines: string[] = [];
  lines.push(
    '| transport | bare CPU-µs/run | crosstalk CPU-µs/run | ratio, median of rounds | pooled ratio | goal | | run phase only, median |',
  );
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const f of figs) {
    lines.push(
      `| ${f.transport} | ${fmt(f.bareCpuPerRunUs)} | ${fmt(f.crosstalkCpuPerRunUs)} | **${fmt(f.medianRatio, 2)}** (${f.rounds.map((x) => fmt(x.ratio, 2)).join(', ')}) | ${fmt(f.pooledRatio, 2)} | ${f.goal === undefined ? 'none' : `≤ ${f.goal}×`} | ${f.verdict} | ${fmt(f.medianRunPhaseRatio, 2)} (${f.rounds.map((x) => fmt(x.runPhaseRatio, 2)).join(', ')}) |`,
    );
  }
  lines.push('', 'By round (CPU-µs per run; runs/s; other work on the machine, % of all cores; errors):', '');
  lines.push(
    '| transport | round | bare | crosstalk | ratio | run-phase ratio | bare runs/s | crosstalk runs/s | other work bare / crosstalk | errors bare / crosstalk |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const f of figs) {
    for (const x of f.rounds) {
      lines.push(
        `| ${f.transport} | ${x.round + 1} | ${fmt(x.bare.cpuPerRunUs)} | ${fmt(x.crosstalk.cpuPerRunUs)} | ${fmt(x.ratio, 3)} | ${fmt(x.runPhaseRatio, 3)} | ${fmt(x.bare.runsPerSec, 0)} | ${fmt(x.crosstalk.runsPerSec, 0)} | ${x.bare.foreignPct} / ${x.crosstalk.foreignPct} | ${x.bare.errors} / ${x.crosstalk.errors} |`,
      );
    }
  }
  return lines.join('\n');
}

// ---- profiles --------------------------------------------------------------------

/** One CPU-profiled pass of each client per transport, summarised: µs per run by function and by file. */
async function profile(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const parts: string[] = [];
  for (const transport of opts.transports) {
    for (const kind of ['bare', 'crosstalk'] as const) {
      const s = await quietly(`profiled ${transport} ${kind}`, () => pass(transport, kind, -1, dir), {
        waitMs: opts.quietWaitS * 1000,
        attempts: 1,
      });
      log(
        `  profiled ${transport} ${kind}: ${s.runs} runs, ${fmt(s.cpuPerRunUs)} CPU-µs/run with the profiler on [other work ${s.foreignPct}%]`,
      );
      parts.push(
        formatCpuSummary(
          `${transport}-${kind}.cpuprofile (${s.runs} runs; profiler on: ${fmt(s.cpuPerRunUs)} CPU-µs/run)`,
          summarizeCpuProfile(join(dir, `${transport}-${kind}.cpuprofile`), 40),
          s.runs,
        ),
      );
      writeFileSync(join(dir, 'summary.txt'), parts.join('\n'));
    }
  }
  log(`profile summaries: ${join(dir, 'summary.txt')}`);
}

// ---- main ------------------------------------------------------------------------

async function main(): Promise<void> {
  const perPassS = opts.seconds + 20 + opts.quietWaitS;
  const budgetS =
    (opts.onlyProfile ? 0 : opts.rounds * opts.transports.length * 2 * 2 * perPassS) +
    (opts.profile ? opts.transports.length * 2 * perPassS : 0);
  const ceilingS = 2 * budgetS + 600;
  setTimeout(() => {
    log(`hard timeout after ${ceilingS} s: stopping`);
    killAllStarted();
    process.exit(4);
  }, ceilingS * 1000).unref();
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    node: process.version,
    loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  log(
    `transports bench: ${opts.transports.join(', ')}; ${opts.rounds} round(s) of ${opts.users} users × ${opts.seconds} s; crosstalk at ${opts.root}; machine ${machine.cpus} × ${machine.model}, node ${machine.node}, load ${machine.loadavgAtStart.join(' ')}; hard stop after ${Math.round(ceilingS / 60)} min`,
  );
  if (opts.onlyProfile) {
    await profile(opts.profile!);
    rmSync(WORK, { recursive: true, force: true });
    return;
  }
  const startedAt = new Date();
  const samples: Sample[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    // Transports rotate, and the client that goes first alternates by round and by transport.
    const order = opts.transports.map((_, i) => opts.transports[(i + round) % opts.transports.length]!);
    for (const transport of order) {
      const kinds: Kind[] =
        (round + opts.transports.indexOf(transport)) % 2 === 0 ? ['bare', 'crosstalk'] : ['crosstalk', 'bare'];
      for (const kind of kinds) {
        const s = await quietly(`${transport} ${kind}`, () => pass(transport, kind, round), {
          waitMs: opts.quietWaitS * 1000,
          attempts: 2,
        });
        samples.push(s);
        log(
          `  round ${round + 1} ${transport} ${kind}: ${s.runs} runs, ${fmt(s.cpuPerRunUs)} CPU-µs/run, ${fmt(s.runsPerSec, 0)} runs/s, errors ${s.errors} [other work ${s.foreignPct}%]`,
        );
      }
    }
  }
  const figs = computeFigures(samples);
  const out = [
    '',
    `Transports: crosstalk vs a bare client per transport (${startedAt.toISOString().slice(0, 10)}, ${machine.cpus} × ${machine.model}, node ${machine.node}; ${opts.rounds} round(s), ${opts.users} users × ${opts.seconds} s; load avg ${machine.loadavgAtStart[0]} at start, ${loadavg()[0]!.toFixed(2)} at the end)`,
    '',
    formatFigures(figs),
    '',
  ].join('\n');
  process.stdout.write(out);
  if (opts.profile) await profile(opts.profile);
  const json =
    opts.json ?? join(tmpdir(), `ct-transports-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}.json`);
  writeFileSync(
    json,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), machine, options: opts, figures: figs.map(({ rounds, ...f }) => ({ ...f, roundRatios: rounds.map((x) => x.ratio) })), samples }, null, 2)}\n`,
  );
  log(`raw figures: ${json}`);
  if (process.env.CT_BENCH_KEEP === '1') log(`kept ${WORK}`);
  else rmSync(WORK, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    killAllStarted();
    process.exit(4);
  },
);
