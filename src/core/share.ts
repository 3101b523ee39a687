import type { InputProblem } from './sim-error.js';

/**
 * A disjoint share of every cohort's users and arrivals, like k6's execution
 * segments: user or arrival number `n` belongs to the share when
 * `n % modulus === residue`. Segments across machines and worker threads
 * inside one process compose into one share, so N generators with W workers
 * each run every user exactly once.
 */
export interface Share {
  readonly residue: number;
  readonly modulus: number;
}

/** The whole scenario. */
export const WHOLE: Share = { residue: 0, modulus: 1 };

/** Parses `--segment I/N` (I from 0). */
export function parseSegment(text: string): Share | InputProblem {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return { message: `--segment: expected I/N such as 0/4, got "${text}"` };
  const residue = Number(m[1]);
  const modulus = Number(m[2]);
  if (modulus < 1 || residue >= modulus) return { message: `--segment ${text}: I must be from 0 to N-1 and N at least 1` };
  return { residue, modulus };
}

/** Formats a share as `I/N`. */
export function formatShare(s: Share): string {
  return `${s.residue}/${s.modulus}`;
}

/** The part `worker` of `workers` of a share: its users are every `workers`-th of the share's. */
export function computeSubShare(s: Share, worker: number, workers: number): Share {
  return { residue: s.residue + s.modulus * worker, modulus: s.modulus * workers };
}

/** True when user or arrival `n` is this share's. */
export function ownsNumber(s: Share, n: number): boolean {
  return n % s.modulus === s.residue;
}

/** How many of `total` numbered items (0..total-1) this share holds. */
export function computeShareCount(s: Share, total: number): number {
  return total <= s.residue ? 0 : Math.floor((total - 1 - s.residue) / s.modulus) + 1;
}

/**
 * This share's part of a concurrency cap (an open cohort's maxUsers):
 * the shares' parts add up to the cap exactly.
 */
export function computeShareOfCap(s: Share, cap: number): number {
  return Math.floor(cap / s.modulus) + (s.residue < cap % s.modulus ? 1 : 0);
}
