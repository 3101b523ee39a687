// The transport bench's options and what every part of one bench run shares: the transports and the two
// clients, the command line, the checkout under test, and the temp folder for every pass's files.
// Importing it parses the command line and exits 3 on a bad option (it belongs to bench/transports.ts alone).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bench/, where the bench's other scripts are (this file is dist/bench/transports/options.js). */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The transports the bench can measure, in their default order. */
export const TRANSPORTS = ['ws', 'sse', 'socketio'] as const;
/** One transport of the reference target. */
export type Transport = (typeof TRANSPORTS)[number];
/** Which client a pass ran. */
export type Kind = 'bare' | 'crosstalk';

/** The bench's command-line options. */
export interface Options {
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
  const root = resolve(get1('--root') ?? join(BENCH_DIR, '..', '..'));
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

/** This run's options, from the command line. */
export const opts = parseOptions(process.argv.slice(2));
/** A temp folder for every pass's files (kept with CT_BENCH_KEEP=1). */
export const WORK = mkdtempSync(join(tmpdir(), 'ct-transports-'));
