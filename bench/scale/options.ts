// The scale bench's options and the things every part of one bench run shares: the command line, the
// checkout under test, and the temp folder for every measurement's files. Importing it parses the command
// line and exits 3 on a bad option (it belongs to bench/scale.ts alone).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBenchArgs } from '../bench-args.js';

/** dist/bench/, where the bench's other scripts are (this file is dist/bench/scale/options.js). */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_ROOT = resolve(BENCH_DIR, '..', '..');

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
  const args = readBenchArgs('scale', argv, [
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
  const quick = args.has('--quick');
  const sessions = (args.value('--sessions') ?? '2000,10000').split(',').map(Number);
  if (sessions.some((n) => !Number.isInteger(n) || n < 1 || n > 15_000))
    args.die('--sessions: whole numbers 1..15000, comma-separated');
  const phases = new Set((args.value('--phases') ?? 'runs,workers,startup,idle,soak').split(','));
  for (const p of phases)
    if (!['runs', 'workers', 'startup', 'idle', 'soak'].includes(p))
      args.die(`--phases: runs, workers, startup, idle, soak (comma-separated), got "${p}"`);
  return {
    rounds: args.number('--rounds', quick ? 1 : 3, 1, 20),
    quick,
    users: args.number('--users', 50, 1, 2000),
    seconds: args.number('--seconds', quick ? 8 : 15, 2, 600),
    sessions,
    soakSeconds: args.number('--soak', quick ? 180 : 300, 0, 3600),
    soakUsers: 100,
    soakThinkMs: 100,
    startupReps: args.number('--startup-reps', quick ? 2 : 3, 1, 20),
    root: args.root(DEFAULT_ROOT),
    json: args.value('--json'),
    profile: args.value('--profile'),
    onlyProfile: args.has('--only-profile'),
    phases,
  };
}

/** This run's options, from the command line. */
export const opts = parseOptions(process.argv.slice(2));
/** A temp folder for every measurement's files (kept with CT_BENCH_KEEP=1). */
export const WORK = mkdtempSync(join(tmpdir(), 'ct-scale-'));
/** bin/simulate of the checkout under test. */
export const SIMULATE = join(opts.root, 'bin', 'simulate');
