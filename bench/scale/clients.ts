// The two clients of the scale bench, the bare client and crosstalk: the order they run in, how each is
// launched for one measurement (pinned, with the probe preloaded), and what they leave behind: the probe
// file's lines, crosstalk's summary.json, the bare client's result line.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sleep, type Proc } from '../pinned-process.js';
import { BENCH_DIR, SIMULATE, WORK } from './options.js';
import { startPinned, type Target } from './target.js';

const PROBE = pathToFileURL(join(BENCH_DIR, 'probe-preload.js')).href;
const BARE = join(BENCH_DIR, 'bare-client.js');

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
