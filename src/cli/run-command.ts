import { readFileSync } from 'node:fs';
import { loadAdapterFile } from '../config/load-adapter.js';
import { loadScenario } from '../config/load-scenario.js';
import { SimError } from '../core/sim-error.js';
import { EXIT_CODE } from '../core/verdict.js';
import { parseSegment, type Segment } from '../core/segment.js';
import { formatSummary } from '../output/console-summary.js';
import { computeSegmentRunTag } from '../runtime/run-plan.js';
import { runScenario } from '../runtime/run-scenario.js';
import { releaseYoungGeneration } from './young-generation.js';

/** Flags of `simulate run`. */
export interface RunFlags {
  target?: string;
  out?: string;
  workers?: string;
  segment?: string;
  startAt?: string;
  set?: string[];
  progress: boolean;
  quiet?: boolean;
  publish?: string[];
  metricsPort?: string;
}

/**
 * `simulate run`: load, run, print, and answer the exit code of design.md.
 * SIGINT/SIGTERM once stops gracefully (results are still written, exit 130);
 * a second one stops at once.
 */
export async function runRun(file: string, flags: RunFlags): Promise<number> {
  const problems: string[] = [];
  let segment: Segment | undefined;
  if (flags.segment !== undefined) {
    const s = parseSegment(flags.segment);
    if ('message' in s) problems.push(s.message);
    else segment = s;
  }
  if (flags.workers !== undefined && (!/^[1-9]\d*$/.test(flags.workers) || Number(flags.workers) > 64))
    problems.push(`--workers: expected a positive whole number, got "${flags.workers}" (at most 64)`);
  let startAtEpochMs: number | undefined;
  if (flags.startAt !== undefined) {
    startAtEpochMs = Date.parse(flags.startAt);
    if (Number.isNaN(startAtEpochMs))
      problems.push(`--start-at: expected an ISO time such as 2026-11-23T15:00:00Z, got "${flags.startAt}"`);
  }
  if (problems.length)
    throw new SimError('INPUT', 'bad flags for run', { problems: problems.map((message) => ({ message })) });
  const scenario = loadScenario(file, {
    ...(flags.set ? { set: flags.set } : {}),
    ...(flags.target !== undefined ? { targetUrl: flags.target } : {}),
    ...(flags.publish ? { publish: flags.publish } : {}),
    ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
  });
  const soft = new AbortController();
  const hard = new AbortController();
  const onSignal = (): void => {
    if (!soft.signal.aborted) {
      process.stderr.write(
        'simulate: interrupted; finishing in-flight work and writing results (again to stop at once)\n',
      );
      soft.abort();
    } else {
      hard.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const showProgress = flags.progress && !flags.quiet;
    // Generators of one segmented run must agree on user ids and canaries without talking.
    const runTag = segment && segment.modulus > 1 ? computeSegmentRunTag(scenario.sha256, flags.startAt) : undefined;
    const result = await runScenario({
      scenario,
      signal: soft.signal,
      hardSignal: hard.signal,
      // main.ts froze V8's nursery while modules loaded; V8 sizes it again once load begins.
      onLoadBegin: releaseYoungGeneration,
      ...(segment ? { segment } : {}),
      ...(flags.workers !== undefined ? { workers: Number(flags.workers) } : {}),
      ...(startAtEpochMs !== undefined ? { startAtEpochMs } : {}),
      ...(runTag ? { runTag } : {}),
      ...(flags.out !== undefined ? { out: flags.out } : {}),
      ...(showProgress
        ? { progress: { write: (text: string) => process.stderr.write(text), tty: process.stderr.isTTY === true } }
        : {}),
      ...(flags.quiet ? {} : { notice: (text: string) => process.stderr.write(text) }),
    });
    // --quiet is for scripts: stdout is the results folder alone (RESULTS=$(simulate run ... --quiet)).
    if (flags.quiet) {
      process.stdout.write(`${result.resultsDir}\n`);
    } else {
      process.stdout.write(formatSummary(result.summary, { color: process.stdout.isTTY === true }));
      process.stdout.write(`results: ${result.resultsDir}\n`);
    }
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** An adapter document starts its mapping with (or holds at top level) `adapter:`; a scenario never does. */
function isAdapterFile(file: string): boolean {
  try {
    return /^adapter\s*:/m.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/** `simulate validate`: checks scenario and adapter files and reports every problem; exit 3 when any has one. */
export function runValidate(
  files: readonly string[],
  write: (s: string) => void,
  writeErr: (s: string) => void,
): number {
  let bad = 0;
  for (const f of files) {
    try {
      if (isAdapterFile(f)) {
        const a = loadAdapterFile(f);
        write(
          `${f}: ok (adapter ${a.name}: ${Object.keys(a.transports).join(', ')}; ${Object.keys(a.rest).length} REST steps)\n`,
        );
        continue;
      }
      const s = loadScenario(f);
      write(
        `${f}: ok (${s.cohorts.length} cohort${s.cohorts.length === 1 ? '' : 's'}, ${s.thresholds.length} threshold${s.thresholds.length === 1 ? '' : 's'})\n`,
      );
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      bad++;
      writeErr(`${err.message}\n`);
      for (const p of err.problems)
        writeErr(
          `  ${[p.file, p.line, p.column].filter((x) => x !== undefined).join(':')}: ${p.path ? `${p.path}: ` : ''}${p.message}\n`,
        );
    }
  }
  return bad ? EXIT_CODE.badInput : EXIT_CODE.ok;
}
