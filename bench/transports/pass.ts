// One pass of the transport bench: a fresh reference target serving one transport, and one client (the
// bare client of that transport, or crosstalk) looping agent runs against it, pinned, with the probe
// preloaded; read back as CPU per completed run. Every process gets the run's JWT secret and is killed
// when the bench exits.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatRunsArgs, RUNS_CONTENT } from '../bare-client-kit.js';
import { LoadWatch } from '../machine-load.js';
import {
  killStartedOnExit,
  startBenchTarget,
  startPinned,
  stopBenchTarget,
  waitExit,
  type Proc,
} from '../pinned-process.js';
import { BENCH_DIR, opts, WORK, type Kind, type Transport } from './options.js';

/** Each transport's bare client, in dist/bench/. */
const BARE: Record<Transport, string> = {
  ws: 'bare-client.js',
  sse: 'bare-sse-client.js',
  socketio: 'bare-socketio-client.js',
};

/** The JWT secret every target and client of this run shares. */
const SECRET = randomBytes(32).toString('base64url');
const PROBE = pathToFileURL(join(BENCH_DIR, 'probe-preload.js')).href;
killStartedOnExit();

/** A process of this bench: pinned, run from the crosstalk checkout, with the bench's JWT secret. */
const start = (core: number, cmd: readonly string[], env: NodeJS.ProcessEnv = {}): Proc =>
  startPinned(core, cmd, { cwd: opts.root, env: { SIM_JWT_SECRET: SECRET, ...env } });

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
            - sendMessage: { content: "${RUNS_CONTENT}", timeout: 10s }
`;

/** One client's pass: CPU per completed run. */
export interface Sample {
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
export async function pass(transport: Transport, kind: Kind, round: number, profDir?: string): Promise<Sample> {
  const t = await startBenchTarget(start, join(opts.root, 'bin', 'simulate'), ['--transport', transport]);
  const dir = join(WORK, `${transport}-${kind}-${round}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const probe = join(dir, 'probe.jsonl');
  const node = ['node', '--expose-gc', '--import', PROBE, ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [])];
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    let proc: Proc;
    if (kind === 'bare') {
      proc = start(0, [...node, join(BENCH_DIR, BARE[transport]), ...formatRunsArgs(t.url, opts.users, opts.seconds)], {
        CT_PROBE_FILE: probe,
      });
    } else {
      writeFileSync(join(dir, 'scenario.yaml'), scenarioYaml(transport));
      // Profiled passes run tsc's output, so the profile names crosstalk's own files.
      const cli = profDir ? join(BENCH_DIR, 'simulate-unbundled.js') : join(opts.root, 'bin', 'simulate');
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
    await stopBenchTarget(t);
  }
}
