// The promise compileScenarioText keeps for any text, checked for one text.
// No side effects at import time.
import { compileScenarioText, type ScenarioOverrides } from '../../src/config/load-scenario.js';
import { SimError } from '../../src/core/sim-error.js';

/** How one compile ended, judged against the promise. */
export interface CompileVerdict {
  /** scenario: returned one; input: a well-formed SimError('INPUT'); broken: anything else. */
  readonly kind: 'scenario' | 'input' | 'broken';
  /** For broken: what was wrong (error class, message, first stack lines). */
  readonly why?: string;
  /** For scenario: paths of numbers in it that are not finite (NaN, Infinity). */
  readonly nonFinite?: readonly string[];
  readonly ms: number;
}

/** Paths of every non-finite number inside `v`. */
export function findNonFinite(v: unknown, path = '', out: string[] = [], seen = new Set<unknown>()): string[] {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) out.push(`${path || '(root)'} = ${v}`);
  } else if (v && typeof v === 'object' && !seen.has(v)) {
    seen.add(v);
    for (const [k, x] of Object.entries(v))
      findNonFinite(x, Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k, out, seen);
  }
  return out;
}

/**
 * Compiles `text` as `file` (with `overrides`, if any) and judges the
 * outcome. Problems must name `file`, or one of `otherFiles` (`--set`
 * problems name the flag by design).
 */
export function checkCompile(
  text: string,
  file: string,
  overrides: ScenarioOverrides = {},
  otherFiles: readonly string[] = [],
): CompileVerdict {
  const t0 = performance.now();
  let result: unknown;
  try {
    result = compileScenarioText(text, file, overrides);
  } catch (err) {
    const ms = performance.now() - t0;
    if (!(err instanceof SimError)) {
      const e = err as Error;
      return {
        kind: 'broken',
        ms,
        why: `threw ${e?.constructor?.name ?? typeof err}: ${e?.message ?? String(err)}\n${(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`,
      };
    }
    if (err.code !== 'INPUT')
      return { kind: 'broken', ms, why: `SimError with code ${err.code}, expected INPUT: ${err.message}` };
    if (err.problems.length === 0)
      return { kind: 'broken', ms, why: `SimError('INPUT') without problems: ${err.message}` };
    for (const p of err.problems) {
      if (typeof p.message !== 'string' || p.message.trim() === '')
        return { kind: 'broken', ms, why: `a problem with an empty message: ${JSON.stringify(p)}` };
      if (p.file !== file && !(p.file !== undefined && otherFiles.includes(p.file)))
        return {
          kind: 'broken',
          ms,
          why: `a problem names file ${JSON.stringify(p.file)}, expected ${JSON.stringify(file)}: ${JSON.stringify(p)}`,
        };
      if (p.line !== undefined && !(Number.isInteger(p.line) && p.line >= 1))
        return { kind: 'broken', ms, why: `a problem with line ${p.line}: ${JSON.stringify(p)}` };
    }
    return { kind: 'input', ms };
  }
  const ms = performance.now() - t0;
  const s = result as { name?: unknown; cohorts?: unknown } | undefined;
  if (
    !s ||
    typeof s !== 'object' ||
    typeof s.name !== 'string' ||
    !Array.isArray(s.cohorts) ||
    s.cohorts.length === 0
  ) {
    return {
      kind: 'broken',
      ms,
      why: `returned something that is not a Scenario: ${String(JSON.stringify(result)).slice(0, 300)}`,
    };
  }
  return { kind: 'scenario', ms, nonFinite: findNonFinite(result) };
}
