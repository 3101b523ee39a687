import { setFlagsFromString } from 'node:v8';

/**
 * The generator's V8 young generation, kept at its initial size until load
 * begins.
 *
 * V8 doubles its nursery (up to 16 MiB per semi-space, 32 MiB resident)
 * whenever much of what it allocates survives, and it never shrinks it back
 * in a process that then sits quiet. Module loading and a connect ramp are
 * exactly that: what they allocate (modules, sessions) lives for the whole
 * run, so a bigger nursery buys nothing, yet a run holding thousands of idle
 * sessions paid 24 MiB for it. Once agent runs or REST calls begin, most of
 * what is allocated dies within seconds, and V8's own sizing is right: a
 * nursery held small then promotes run state, and the old space creeps
 * (bench/README has both figures).
 *
 * The size cap (--max-semi-space-size) is read only when node starts, but the
 * growth factor is read at every resize, in every thread of the process:
 * 1 stops growth where it is, 2 is V8's own.
 */

const V8_DEFAULT_GROWTH_FACTOR = 2;

/** True when the user tuned the young generation themselves (node flags or NODE_OPTIONS): crosstalk then leaves it alone. */
export function isYoungGenerationUserTuned(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): boolean {
  return [...execArgv, nodeOptions].some((a) => /semi[-_]space/.test(a));
}

function setGrowthFactor(f: number): void {
  if (!isYoungGenerationUserTuned()) setFlagsFromString(`--semi-space-growth-factor=${f}`);
}

/** Stops the nursery growing, in this thread and in worker threads, until `releaseYoungGeneration`. */
export function freezeYoungGeneration(): void {
  setGrowthFactor(1);
}

/** V8's own nursery growth again: load has begun, or the run is over. */
export function releaseYoungGeneration(): void {
  setGrowthFactor(V8_DEFAULT_GROWTH_FACTOR);
}
