// The catalogue of malformed scenarios in test/fixtures/bad/, read by the
// config-layer test (in process) and the hardening test (through the CLI).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The fixtures folder in the source tree (tests run compiled from dist/test/). */
export const BAD_DIR = fileURLToPath(new URL('../../../test/fixtures/bad/', import.meta.url));

/** What one malformed file must report. */
export interface Expectation {
  readonly line: number;
  /** The YAML path as the loader formats it; null for YAML syntax errors (no path). */
  readonly path: string | null;
  /** Text the message must include; a list: any one of them (today's wording, and the one after a known fix). */
  readonly messageIncludes: string | readonly string[];
  /** false when the YAML parser may cascade into several problems; default: exactly one problem. */
  readonly single?: boolean;
}

/** expected.json: each fixture's expectation, by file name. */
export const BAD_EXPECTED = JSON.parse(readFileSync(`${BAD_DIR}expected.json`, 'utf8')) as Record<string, Expectation>;

/** The fixture files, sorted. */
export const BAD_FILES = readdirSync(BAD_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
