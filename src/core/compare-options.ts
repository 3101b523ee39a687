// What a comparison's two knobs accept: a tolerance and a confidence, as text from a flag or the library.
import { SimError } from './sim-error.js';
import { parseFraction } from './units.js';

// Below 80% a gate fails on one run in ten of pure noise; at 99.9% and above the bootstrap's own tails run out of draws.
const MIN_CONFIDENCE = 0.8;
const MAX_CONFIDENCE = 0.999;

/**
 * Parses a comparison's tolerance: `10%` or `0.1`. `name` is how errors call
 * it (`--tolerance`, or the library's `tolerance`). A plain number above 1 is
 * refused rather than read as a fraction: `--tolerance 10` almost always
 * means 10%, not 1000%, and a silently lax CI gate is the worst outcome.
 */
export function parseTolerance(text: string, name = '--tolerance'): number {
  return parsePercentage(text, name, 'a tolerance', '10%', '0.1');
}

/**
 * Parses a comparison's confidence, the two-sided confidence of every
 * interval: `95%` or `0.95`, from 80% to 99.9%. `name` is how errors call it.
 * A bare `95` is refused like a bare tolerance.
 */
export function parseConfidence(text: string, name = '--confidence'): number {
  const value = parsePercentage(text, name, 'a confidence', '95%', '0.95');
  if (value < MIN_CONFIDENCE || value > MAX_CONFIDENCE) {
    throw new SimError(
      'INPUT',
      `${name} "${text}" is out of range; expected ${MIN_CONFIDENCE * 100}% to ${MAX_CONFIDENCE * 100}%`,
    );
  }
  return value;
}

function parsePercentage(text: string, name: string, what: string, percent: string, fraction: string): number {
  const value = parseFraction(text);
  if (value === undefined || !Number.isFinite(value)) {
    throw new SimError(
      'INPUT',
      `${name} "${text}" is not ${what}; expected a percentage such as ${percent} or a fraction such as ${fraction}`,
    );
  }
  if (!text.includes('%') && value > 1) {
    throw new SimError('INPUT', `${name} "${text}" is ambiguous`, {
      hint: `write ${text}% for ${text} percent, or ${value / 100} as a fraction`,
    });
  }
  return value;
}
