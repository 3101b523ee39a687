// The cases of the property test, rebuilt deterministically from a run seed
// and an index, so the worker and the main thread (to print a hang) agree.
// No side effects at import time.
import { makeMutant, makeOverrideCase, type Source } from './mutate.js';
import { caseSeed } from './prng.js';

/** What the main thread hands over. */
export interface PropertyJob {
  readonly sources: readonly Source[];
  readonly runSeed: number;
  /** Mutated texts: cases 0..mutants-1. */
  readonly mutants: number;
  /** Valid texts with random --set/--target: cases mutants..mutants+overrides-1. */
  readonly overrides: number;
  readonly file: string;
}

/** One case as it can be replayed and printed. */
export interface CaseInfo {
  readonly i: number;
  readonly seed: number;
  readonly mode: 'mutant' | 'overrides';
  readonly source: string;
  readonly text: string;
  /** Mutations applied, or the overrides given. */
  readonly ops: readonly string[];
  readonly set?: readonly string[];
  readonly targetUrl?: string;
}

/** Rebuilds case `i` of a job (deterministic from the run seed). */
export function buildCase(job: Pick<PropertyJob, 'sources' | 'runSeed' | 'mutants'>, i: number): CaseInfo {
  const seed = caseSeed(job.runSeed, i);
  if (i < job.mutants) {
    const m = makeMutant(job.sources, seed);
    return { i, seed, mode: 'mutant', source: m.source, text: m.text, ops: m.ops };
  }
  const o = makeOverrideCase(job.sources, seed);
  return {
    i,
    seed,
    mode: 'overrides',
    source: o.source,
    text: o.text,
    set: o.set,
    ops: [
      ...o.set.map((s) => `--set ${JSON.stringify(s)}`),
      ...(o.targetUrl !== undefined ? [`--target ${JSON.stringify(o.targetUrl)}`] : []),
    ],
    ...(o.targetUrl !== undefined ? { targetUrl: o.targetUrl } : {}),
  };
}
