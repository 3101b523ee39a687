// A scenario's `thresholds:` section, parsed once as the file is loaded.
import { ALL_KINDS } from '../core/metric-names.js';
import { parseThreshold, type ParsedThreshold } from '../core/thresholds.js';
import type { PathParts } from './flow-parser.js';
import { KNOWN_KEYS, thresholdLongSchema, thresholdValueSchema } from './scenario-schema.js';
import { formatPath } from './yaml-locator.js';
import { parseWith, type At } from './zod-problems.js';

/**
 * Parses every threshold (short form `metric: ["expr"]` or long form
 * `{ threshold, abortOnFail, delay }`) against the cohorts the scenario
 * names; each problem is reported at its YAML path. Read from the raw value:
 * a record schema would silently drop keys such as "__proto__".
 */
export function compileThresholds(value: unknown, cohortNames: readonly string[], at: At): ParsedThreshold[] {
  const thresholds: ParsedThreshold[] = [];
  if (value === undefined || value === null) return thresholds;
  if (typeof value !== 'object' || Array.isArray(value)) {
    at(['thresholds'], 'expected a mapping of metric name to expressions, e.g. run.total: ["p(95) < 2s"]');
    return thresholds;
  }
  const vocabulary = { cohorts: cohortNames, kinds: ALL_KINDS };
  for (const [metric, rawEntry] of Object.entries(value)) {
    // A long form gets its own schema's messages ("abortOnFail: expected true or false"), not the union's.
    const longForm = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);
    if (longForm(rawEntry) || (Array.isArray(rawEntry) && rawEntry.some(longForm))) {
      const items = Array.isArray(rawEntry) ? rawEntry : [rawEntry];
      let bad = false;
      items.forEach((x, i) => {
        if (longForm(x) && !thresholdLongSchema.safeParse(x).success) {
          parseWith(
            thresholdLongSchema,
            x,
            Array.isArray(rawEntry) ? ['thresholds', metric, i] : ['thresholds', metric],
            at,
            KNOWN_KEYS,
          );
          bad = true;
        }
      });
      if (bad) continue;
    }
    const entry = parseWith(thresholdValueSchema, rawEntry, ['thresholds', metric], at, KNOWN_KEYS);
    if (entry === undefined) continue;
    const list = Array.isArray(entry) ? entry : [entry];
    list.forEach((e, i) => {
      const path: PathParts = Array.isArray(entry) ? ['thresholds', metric, i] : ['thresholds', metric];
      const expression = typeof e === 'string' ? e : e.threshold;
      const t = parseThreshold(metric, expression, {
        vocabulary,
        path: formatPath(path),
        abortOnFail: typeof e === 'string' ? false : (e.abortOnFail ?? false),
        delayMs: typeof e === 'string' ? 0 : (e.delay ?? 0),
      });
      if (Array.isArray(t)) for (const p of t) at(path, p.message);
      else thresholds.push(t);
    });
  }
  return thresholds;
}
