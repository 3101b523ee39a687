// The transport bench's options and what every part of one bench run shares: the transports and the two
// clients, the command line, the checkout under test, and the temp folder for every pass's files.
// Importing it parses the command line and exits 3 on a bad option (it belongs to bench/transports.ts alone).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBenchArgs } from '../bench-args.js';

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
  const args = readBenchArgs('transports', argv, [
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
  const quick = args.has('--quick');
  const transports = (args.value('--transports') ?? TRANSPORTS.join(',')).split(',');
  for (const t of transports)
    if (!(TRANSPORTS as readonly string[]).includes(t))
      args.die(`--transports: ${TRANSPORTS.join(', ')} (comma-separated), got "${t}"`);
  return {
    rounds: args.number('--rounds', quick ? 3 : 5, 1, 20),
    users: args.number('--users', 50, 1, 1000),
    seconds: args.number('--seconds', quick ? 8 : 15, 2, 300),
    transports: transports as Transport[],
    root: args.root(join(BENCH_DIR, '..', '..')),
    json: args.value('--json'),
    profile: args.value('--profile'),
    onlyProfile: args.has('--only-profile'),
    quietWaitS: args.number('--quiet-wait', 60, 0, 600),
  };
}

/** This run's options, from the command line. */
export const opts = parseOptions(process.argv.slice(2));
/** A temp folder for every pass's files (kept with CT_BENCH_KEEP=1). */
export const WORK = mkdtempSync(join(tmpdir(), 'ct-transports-'));
