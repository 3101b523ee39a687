import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * The generator's V8 young generation, held small.
 *
 * V8 doubles its nursery (up to 16 MiB per semi-space, 32 MiB resident)
 * whenever much of what it allocates survives, as it does while modules load
 * and while thousands of sessions connect, and it never shrinks it back in a
 * process that then holds those sessions idle. That was a fixed 24 MiB on top
 * of the sessions themselves. Held at 4 MiB per semi-space, the run state of
 * an agent run (which lives milliseconds to seconds) still dies young under
 * load; bench/README has the figures.
 *
 * The size cap itself (--max-semi-space-size) is read only when node starts,
 * but the growth factor is read at every resize: 1 stops growth where it is.
 */

/** Semi-space size the in-process generator lets its nursery reach, MiB. */
export const YOUNG_SEMI_SPACE_MIB = 4;

/** A worker thread's young generation (3 semi-spaces' worth, as V8 counts it) for the same semi-space. */
export const WORKER_YOUNG_GENERATION_MB = 3 * YOUNG_SEMI_SPACE_MIB;

const V8_DEFAULT_GROWTH_FACTOR = 2;

/** True when the user tuned the young generation themselves (node flags or NODE_OPTIONS): crosstalk then leaves it alone. */
export function isYoungGenerationUserTuned(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, nodeOptions].some((a) => /semi[-_]space/.test(a));
}

function semiSpaceMiB(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size / 2 / 2 ** 20;
  return 0;
}

function setGrowthFactor(f: number): void {
  setFlagsFromString(`--semi-space-growth-factor=${f}`);
}

/**
 * Stops the nursery growing from now on (while a command loads its modules,
 * whose objects live for the whole process anyway). `holdYoungGeneration` or
 * `releaseYoungGeneration` lifts it.
 */
export function freezeYoungGeneration(): void {
  if (!isYoungGenerationUserTuned()) setGrowthFactor(1);
}

/** V8's own growth again (before starting worker threads, which share the process's V8 flags). */
export function releaseYoungGeneration(): void {
  if (!isYoungGenerationUserTuned()) setGrowthFactor(V8_DEFAULT_GROWTH_FACTOR);
}

/**
 * Lets the nursery grow to `semiSpaceMiB` per semi-space and no further,
 * watching minor GCs (where V8 grows it) until it gets there. Returns the
 * release, which restores V8's own growth.
 */
export function holdYoungGeneration(capMiB = YOUNG_SEMI_SPACE_MIB): () => void {
  if (isYoungGenerationUserTuned()) return () => undefined;
  if (semiSpaceMiB() >= capMiB) {
    setGrowthFactor(1);
    return releaseYoungGeneration;
  }
  setGrowthFactor(V8_DEFAULT_GROWTH_FACTOR);
  const watch = new PerformanceObserver(() => {
    if (semiSpaceMiB() < capMiB) return;
    setGrowthFactor(1);
    watch.disconnect();
  });
  watch.observe({ entryTypes: ['gc'] });
  return () => {
    watch.disconnect();
    releaseYoungGeneration();
  };
}
