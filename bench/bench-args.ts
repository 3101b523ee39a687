// The command-line reading the scale and transports benches share: known options only, numbers in a range,
// and a checkout to measure. A bad option exits 3 with the bench's name, as the CLI does for bad input.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Reads one bench's command line; every method exits 3 with a message naming the option on bad input. */
export interface BenchArgs {
  /** The value after `name`, if given. */
  value(name: string): string | undefined;
  /** Whether the flag `name` is given. */
  has(name: string): boolean;
  /** The number after `name`, `dflt` when absent; exits 3 unless it is within `min..max`. */
  number(name: string, dflt: number, min: number, max: number): number;
  /** The checkout to measure (`--root`, default `dflt`); exits 3 unless it has bin/simulate. */
  root(dflt: string): string;
  /** Prints `bench: msg` and exits 3. */
  die(msg: string): never;
}

/** Checks `argv` against the `known` options (exit 3 on any other) and reads it for the bench `bench`. */
export function readBenchArgs(bench: string, argv: readonly string[], known: readonly string[]): BenchArgs {
  const die = (msg: string): never => {
    process.stderr.write(`${bench}: ${msg}\n`);
    process.exit(3);
  };
  for (const a of argv) if (a.startsWith('--') && !known.includes(a)) die(`unknown option ${a}`);
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const has = (name: string): boolean => argv.includes(name);
  if (has('--only-profile') && !has('--profile')) die('--only-profile needs --profile DIR');
  return {
    value,
    has,
    die,
    number(name, dflt, min, max) {
      const v = value(name);
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) die(`${name}: expected a number in ${min}..${max}, got "${v}"`);
      return n;
    },
    root(dflt) {
      const root = resolve(value('--root') ?? dflt);
      if (!existsSync(join(root, 'bin', 'simulate'))) die(`--root ${root}: no bin/simulate there`);
      return root;
    },
  };
}
