// The words every report uses for a verdict and an exit code, so the
// terminal, report.html and junit.xml say the same thing.
import type { Summary } from '../core/summary.js';
import { EXIT_CODE } from '../core/verdict.js';

const EXIT_MEANING: Readonly<Record<number, string>> = {
  [EXIT_CODE.ok]: "every threshold held and no user saw another user's data",
  [EXIT_CODE.thresholdFailed]: 'a threshold failed',
  [EXIT_CODE.isolation]: "isolation violated: a user received another user's data",
  [EXIT_CODE.badInput]: 'bad input',
  [EXIT_CODE.cannotRun]:
    'could not test what it was for: isolation untested, an operation that never succeeded, or the target unreachable',
  [EXIT_CODE.interrupted]: 'interrupted: partial results',
};

/** What an exit code means, as design.md's table says. */
export function describeExitCode(code: number): string {
  return EXIT_MEANING[code] ?? `unexpected exit code ${code}`;
}

/**
 * PASS, FAIL or UNTESTED. The exit code decides a pass (it is what CI saw,
 * and a summary.json of schema /1 may lack the verdict); the verdict tells
 * an untested run from a failed one.
 */
export function formatVerdictWord(s: Pick<Summary, 'exitCode' | 'verdict'>): 'PASS' | 'FAIL' | 'UNTESTED' {
  if (s.exitCode === EXIT_CODE.ok) return 'PASS';
  return s.verdict === 'untested' ? 'UNTESTED' : 'FAIL';
}
