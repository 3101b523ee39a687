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

/**
 * Parses `--segment I/N`: share I of N, counted from 0 like k6's execution
 * segments and a Kubernetes Indexed Job's completion index, so `0/2` and
 * `1/2` split the users in two. Messages say so: read as 1-based, `1/2`
 * would silently run the second share and `2/2` would look like a fault.
 */
export function parseSegment(text: string): Share | InputProblem {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return { message: `--segment: expected I/N, share I of N counted from 0 (--segment 0/2 and 1/2 split the users in two), got "${text}"` };
  const residue = Number(m[1]);
  const modulus = Number(m[2]);
  if (modulus < 1) return { message: `--segment ${text}: N must be at least 1 (--segment 0/1 is the whole scenario)` };
  if (residue >= modulus) return { message: `--segment ${text}: I counts from 0, so it runs from 0 to N-1 (0 to ${modulus - 1} here): ${describeSplit(modulus)}` };
  return { residue, modulus };
}

/** How N generators' segments are written, e.g. "--segment 0/2 and 1/2 split the users in two". */
function describeSplit(n: number): string {
  if (n === 1) return '--segment 0/1 is the whole scenario';
  const list = n === 2 ? '0/2 and 1/2' : n === 3 ? '0/3, 1/3 and 2/3' : `0/${n}, 1/${n} ... ${n - 1}/${n}`;
  return `--segment ${list} split the users in ${n === 2 ? 'two' : n === 3 ? 'three' : n}`;
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
