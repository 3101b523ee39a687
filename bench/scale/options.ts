// The scale bench's options and the things every part of one bench run shares: the command line, the
// checkout under test, and the temp folder for every measurement's files. Importing it parses the command
// line and exits 3 on a bad option (it belongs to bench/scale.ts alone).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
/** A temp folder for every measurement's files (kept with CT_BENCH_KEEP=1). */
export const WORK = mkdtempSync(join(tmpdir(), 'ct-scale-'));
/** bin/simulate of the checkout under test. */
export const SIMULATE = join(opts.root, 'bin', 'simulate');
