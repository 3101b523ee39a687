import type { InputProblem } from './sim-error.js';

/**
 * A disjoint part of every cohort's users and arrivals, like k6's execution
 * segments: user or arrival number `n` belongs to the segment when
 * `n % modulus === residue`. Segments across machines and worker threads
 * inside one process compose into one segment, so N generators with W
 * workers each run every user exactly once.
 */
export interface Segment {
  readonly residue: number;
  readonly modulus: number;
}

/** The whole scenario. */
export const WHOLE_SEGMENT: Segment = { residue: 0, modulus: 1 };

/**
 * Parses `--segment I/N`: segment I of N, counted from 0 like k6's execution
 * segments and a Kubernetes Indexed Job's completion index, so `0/2` and
 * `1/2` split the users in two. Messages say so: read as 1-based, `1/2`
 * would silently run the second segment and `2/2` would look like a fault.
 */
export function parseSegment(text: string): Segment | InputProblem {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m)
    return {
      message: `--segment: expected I/N, share I of N counted from 0 (--segment 0/2 and 1/2 split the users in two), got "${text}"`,
    };
  const residue = Number(m[1]);
  const modulus = Number(m[2]);
  if (modulus < 1) return { message: `--segment ${text}: N must be at least 1 (--segment 0/1 is the whole scenario)` };
  if (residue >= modulus)
    return {
      message: `--segment ${text}: I counts from 0, so it runs from 0 to N-1 (0 to ${modulus - 1} here): ${describeSplit(modulus)}`,
    };
  return { residue, modulus };
}

/** How N generators' segments are written, e.g. "--segment 0/2 and 1/2 split the users in two". */
function describeSplit(n: number): string {
  if (n === 1) return '--segment 0/1 is the whole scenario';
  const list = n === 2 ? '0/2 and 1/2' : n === 3 ? '0/3, 1/3 and 2/3' : `0/${n}, 1/${n} ... ${n - 1}/${n}`;
  return `--segment ${list} split the users in ${n === 2 ? 'two' : n === 3 ? 'three' : n}`;
}

/** Formats a segment as `I/N`. */
export function formatSegment(s: Segment): string {
  return `${s.residue}/${s.modulus}`;
}

/** The part `worker` of `workers` of a segment: its users are every `workers`-th of the segment's. */
export function computeSubSegment(s: Segment, worker: number, workers: number): Segment {
  return { residue: s.residue + s.modulus * worker, modulus: s.modulus * workers };
}

/** True when user or arrival `n` is this segment's. */
export function ownsNumber(s: Segment, n: number): boolean {
  return n % s.modulus === s.residue;
}

/** How many of `total` numbered items (0..total-1) this segment holds. */
export function computeSegmentCount(s: Segment, total: number): number {
  return total <= s.residue ? 0 : Math.floor((total - 1 - s.residue) / s.modulus) + 1;
}

/**
 * This segment's part of a concurrency cap (an open cohort's maxUsers):
 * the segments' parts add up to the cap exactly.
 */
export function computeSegmentOfCap(s: Segment, cap: number): number {
  return Math.floor(cap / s.modulus) + (s.residue < cap % s.modulus ? 1 : 0);
}
