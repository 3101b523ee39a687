// crosstalk as a library: what a team needs to gate a release from its own
// test suite (node:test, vitest, ...) rather than from a shell. Load or
// compile a scenario, run it, read the verdict; start the reference target to
// try a scenario or an adapter; compare a run with a baseline; merge the
// results of a segmented run.
//
// Importing this module has no process-wide effect: no signal handlers, no V8
// flags, no exit code, nothing printed. Those belong to the CLI (src/cli/),
// which wires Ctrl-C to the same AbortSignal a caller can pass here.
import { randomBytes } from 'node:crypto';
import { stringify as stringifyYaml } from 'yaml';
import { readSummaryFile } from './config/read-summary-file.js';
import {
  compileScenarioText,
  loadScenario as loadScenarioFile,
  type ScenarioOverrides,
} from './config/load-scenario.js';
import type { ScenarioDefinition } from './config/scenario-definition.js';
import { computeComparison } from './core/compare.js';
import { parseConfidence, parseTolerance } from './core/compare-options.js';
import type { ComparableSummary, Comparison } from './core/compare-types.js';
import type { Scenario } from './core/scenario-types.js';
import { parseSegment } from './core/segment.js';
import { SimError, type InputProblem } from './core/sim-error.js';
import { computeSegmentRunTag } from './runtime/run-plan.js';
import {
  runScenario as runScenarioInternal,
  type ScenarioResult as ScenarioResultType,
} from './runtime/run-scenario.js';
import { mergeSegments } from './runtime/merge-segments.js';
import { parseFaultSpec, type FaultSpec } from './target/fault-spec.js';
import { startTarget as startTargetServer, type TargetOptions, type TargetServer } from './target/target-server.js';

/** `--set path=value` and `--target URL`, applied when a scenario is loaded or compiled. */
export type { ScenarioOverrides } from './config/load-scenario.js';
/** A scenario as written in YAML, as TypeScript types for {@link compileScenario}. */
export type {
  AuthDefinition,
  AwaitText,
  BareStepDefinition,
  CohortDefinition,
  DurationText,
  FlowStepDefinition,
  OutputsDefinition,
  ParamStepDefinition,
  ProbeDefinition,
  PublishDefinition,
  RateText,
  ScenarioDefinition,
  StageDefinition,
  TargetDefinition,
  ThresholdDefinition,
  ThresholdLongDefinition,
} from './config/scenario-definition.js';
/** What {@link compareSummaries} returns: one row per compared figure, and the verdict. */
export type {
  Comparison,
  ComparisonRow,
  ComparedRun,
  ComparableSummary,
  RowStatus,
  Direction,
} from './core/compare-types.js';
/** What a run exercised, and the floors below which isolation is untested. */
export type { Coverage, CoverageFloor } from './core/coverage.js';
/** A compiled scenario (durations in ms, rates per second), as {@link loadScenario} and {@link compileScenario} return it. */
export type { Cohort, FlowStep, Scenario } from './core/scenario-types.js';
/** The code of a {@link SimError}, and one input problem with its file, line and YAML path. */
export type { InputProblem, SimErrorCode } from './core/sim-error.js';
/** summary.json (`crosstalk.summary/2`) and its parts. */
export type { CounterSummary, GeneratorHealth, IsolationSummary, Summary, TrendSummary } from './core/summary.js';
/** One judged threshold in summary.json. */
export type { ThresholdResult } from './core/thresholds.js';
/** The run verdict (`pass`, `fail`, `untested`) and the isolation verdict (`clean`, `violated`, `untested`). */
export type { IsolationVerdict, RunVerdict } from './core/verdict.js';
/** The reference target's agent timing: a preset name or explicit timings. */
export type { AgentPresetName, AgentTiming } from './target/agent-presets.js';
/** What the reference target's faults leaked, by its own count ({@link ReferenceTarget.leaks}). */
export type { LeakCounts } from './target/fault-injector.js';
/** Fault names and a fault spec (name → probability) for {@link startTarget}. */
export type { FaultName, FaultSpec } from './target/fault-spec.js';
/** What the reference target serves agent runs over: `ws`, `sse` or `socketio`. */
export type { TargetTransport } from './target/transport-gateway.js';
/** The shape of the reference target's frames: `canonical`, `data`, `flat` or `short-ids`. */
export type { Dialect } from './target/wire-dialect.js';

/** The error crosstalk throws on purpose; `code` `INPUT` carries every problem found in `problems`, each with file, line and YAML path. */
export { SimError } from './core/sim-error.js';
/** Formats one input problem as `file:line:col: path: message`, as the CLI prints it. */
export { formatProblem } from './core/sim-error.js';
/** design.md's exit codes by name: `ok` 0, `thresholdFailed` 1, `isolation` 2, `badInput` 3, `cannotRun` 4, `interrupted` 130. */
export { EXIT_CODE } from './core/verdict.js';
/** The schema name summary.json is written in (`crosstalk.summary/2`). */
export { SUMMARY_SCHEMA } from './core/summary.js';
/** The fault names the reference target injects (design.md "Reference target faults"). */
export { FAULT_NAMES } from './target/fault-spec.js';
/** A summary as the console text `simulate run` prints (verdict, thresholds, isolation, latencies). */
export { formatSummary } from './output/console-summary.js';
/** A comparison as the aligned table `simulate compare` prints. */
export { formatComparisonTable } from './output/compare-format.js';
/** A comparison as the GitHub pull-request comment `simulate compare --format markdown` prints. */
export { formatComparisonMarkdown } from './output/compare-format.js';

/**
 * The result of one run (or of a merge): the verdict and exit code the CLI
 * would give, the whole summary.json, and the folder the results are in.
 */
export type ScenarioResult = ScenarioResultType;

/**
 * Reads, validates and compiles a scenario YAML file, as `simulate run` and
 * `simulate validate` do. `overrides` are `--set path=value` and `--target
 * URL`. Every problem is thrown at once as a SimError('INPUT') whose
 * `problems` name file, line, column, YAML path and what was expected.
 */
export function loadScenario(file: string, overrides: ScenarioOverrides = {}): Scenario {
  return loadScenarioFile(file, overrides);
}

/** Options of {@link compileScenario}. */
export interface CompileScenarioOptions extends ScenarioOverrides {
  /**
   * The file name problems are reported against; relative paths inside the
   * scenario (`users.file`, `auth.tokensFile`, an adapter file in
   * `target.api`) resolve from its folder. Default: `inline-scenario.yaml` in
   * the current directory.
   */
  readonly file?: string;
}

/**
 * Validates and compiles a scenario given as an object (the YAML's shape,
 * typed by {@link ScenarioDefinition}: durations and rates as text such as
 * `30s` and `5/s`) or as YAML text, with the same checks and messages as a
 * file. Throws SimError('INPUT') listing every problem.
 */
export function compileScenario(
  definition: ScenarioDefinition | string,
  options: CompileScenarioOptions = {},
): Scenario {
  const text = typeof definition === 'string' ? definition : stringifyYaml(definition, { lineWidth: 0 });
  const { file = 'inline-scenario.yaml', ...overrides } = options;
  return compileScenarioText(text, file, overrides);
}

/** Options of {@link runScenario}; all optional. */
export interface RunScenarioOptions {
  /** The results folder (new or empty); default `results/<UTC stamp>-<name>/` under `resultsBase`. */
  readonly out?: string;
  /** Where default results folders are made; default `results` in the current directory. */
  readonly resultsBase?: string;
  /**
   * Stops the run gracefully when aborted: no new iterations, in-flight agent
   * runs finish, results are written and the result says `interrupted`
   * (exit code 130). The CLI aborts it on the first Ctrl-C.
   */
  readonly signal?: AbortSignal;
  /** Stops at once when aborted, without waiting for in-flight runs (the CLI's second Ctrl-C); results are still written. */
  readonly hardSignal?: AbortSignal;
  /** Where `auth.secretEnv` is read from when the scenario names a `target.url`; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Worker threads (1–64); default one per core, at most one per user. */
  readonly workers?: number;
  /** This generator's share, `I/N` counted from 0 (`--segment`); merge the shares with {@link mergeResults}. */
  readonly segment?: string;
  /**
   * When every generator starts its users (`--start-at`): an ISO time, a Date
   * or epoch ms. Generators of one segmented run must pass the same value.
   */
  readonly startAt?: string | Date | number;
  /** Live progress lines (one redrawn each second when `tty`, else a line every 10 s). */
  readonly progress?: { readonly write: (text: string) => void; readonly tty: boolean };
  /** `--set path=value` overrides; only when `scenario` is a file path. */
  readonly set?: readonly string[];
  /** `--target URL`; only when `scenario` is a file path. */
  readonly targetUrl?: string;
}

/**
 * Runs a scenario end to end, as `simulate run` does, and resolves with its
 * result: verdict, exit code, summary and results folder (summary.json,
 * report.html, junit.xml, violations.jsonl, run.log). A failed threshold or a
 * leak is a result, not an error. Throws SimError for bad input (`INPUT`) or a
 * target unreachable at start (`UNREACHABLE`).
 *
 * `scenario` is a compiled scenario ({@link loadScenario},
 * {@link compileScenario}) or the path of a YAML file. Without `target.url`
 * the run starts its own reference target in a child process.
 */
export async function runScenario(
  scenario: Scenario | string,
  options: RunScenarioOptions = {},
): Promise<ScenarioResult> {
  const problems: InputProblem[] = [];
  let segment: Exclude<ReturnType<typeof parseSegment>, InputProblem> | undefined;
  if (options.segment !== undefined) {
    const s = parseSegment(options.segment);
    if ('message' in s) problems.push({ path: 'segment', message: s.message });
    else segment = s;
  }
  if (
    options.workers !== undefined &&
    !(Number.isInteger(options.workers) && options.workers >= 1 && options.workers <= 64)
  ) {
    problems.push({ path: 'workers', message: `expected a whole number from 1 to 64, got ${String(options.workers)}` });
  }
  const startAtText =
    options.startAt === undefined
      ? undefined
      : typeof options.startAt === 'string'
        ? options.startAt
        : new Date(options.startAt).toISOString();
  const startAtEpochMs = startAtText === undefined ? undefined : Date.parse(startAtText);
  if (startAtEpochMs !== undefined && Number.isNaN(startAtEpochMs))
    problems.push({
      path: 'startAt',
      message: `expected an ISO time such as 2026-11-23T15:00:00Z, got "${String(options.startAt)}"`,
    });
  if (typeof scenario !== 'string' && (options.set !== undefined || options.targetUrl !== undefined)) {
    problems.push({
      path: options.set !== undefined ? 'set' : 'targetUrl',
      message: 'applies when the scenario is a file path; pass it to loadScenario or compileScenario instead',
    });
  }
  if (problems.length) throw new SimError('INPUT', 'bad options for runScenario', { problems });
  const sc =
    typeof scenario === 'string'
      ? loadScenarioFile(scenario, {
          ...(options.set ? { set: options.set } : {}),
          ...(options.targetUrl !== undefined ? { targetUrl: options.targetUrl } : {}),
        })
      : scenario;
  return runScenarioInternal({
    scenario: sc,
    ...(options.out !== undefined ? { out: options.out } : {}),
    ...(options.resultsBase !== undefined ? { resultsBase: options.resultsBase } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.hardSignal ? { hardSignal: options.hardSignal } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(segment ? { segment } : {}),
    ...(startAtEpochMs !== undefined ? { startAtEpochMs } : {}),
    // The same tag as `simulate run --segment` derives, so API and CLI generators can share one run.
    ...(segment && segment.modulus > 1 ? { runTag: computeSegmentRunTag(sc.sha256, startAtText) } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  });
}

/** Options of {@link startTarget}: the flags of `simulate serve`; all optional. */
export interface ReferenceTargetOptions extends Omit<Partial<TargetOptions>, 'logger' | 'onListening' | 'faults'> {
  /** Address to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** 0 (the default) picks a free port; read it from the result's `url` or `port`. */
  readonly port?: number;
  /** HS256 secret tokens are verified with; default a fresh random one (see the result's `secret`). */
  readonly secret?: string;
  /** `POST /auth/test-login` (scenarios with `auth.kind: login`); on by default, as for the embedded target. */
  readonly testLogin?: boolean;
  /** Faults to inject: `{ misroute: 0.01 }` or `misroute=0.01,drop=0.02` (design.md "Reference target faults"). */
  readonly faults?: FaultSpec | string;
}

/** A running reference target; `close()` it when done. */
export interface ReferenceTarget extends TargetServer {
  /** The secret its tokens are verified with: pass it as `env: { SIM_JWT_SECRET: target.secret }` to {@link runScenario}. */
  readonly secret: string;
}

/**
 * Starts the reference target in this process (`simulate serve`): REST
 * threads, agent runs over ws, sse or socketio, JWT auth, leak-free unless
 * `faults` are given. Point a scenario at it with `target.url` (or the
 * `targetUrl` override) and pass its `secret`. Bad options throw
 * SimError('INPUT').
 */
export async function startTarget(options: ReferenceTargetOptions = {}): Promise<ReferenceTarget> {
  const { faults: faultsOption, ...rest } = options;
  const faults = typeof faultsOption === 'string' ? parseFaultSpec(faultsOption) : (faultsOption ?? {});
  if (Array.isArray(faults))
    throw new SimError('INPUT', 'bad faults for startTarget', {
      problems: faults.map((message) => ({ path: 'faults', message })),
    });
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const server = await startTargetServer({ host: '127.0.0.1', port: 0, testLogin: true, ...rest, secret, faults });
  return {
    url: server.url,
    transport: server.transport,
    port: server.port,
    secret,
    leaks: () => server.leaks(),
    close: () => server.close(),
  };
}

/** A summary to compare: a {@link Summary} in memory, or the path of a summary.json or of the results folder holding one. */
export type SummarySource = ComparableSummary | string;

/** Options of {@link compareSummaries}. */
export interface CompareSummariesOptions {
  /** Allowed worsening: `10%`, `0.1` or 0.1; default 10%. */
  readonly tolerance?: number | string;
  /** Two-sided confidence of the intervals: `95%` or 0.95, from 80% to 99.9%; default 95%. */
  readonly confidence?: number | string;
}

/**
 * Compares a current run with a baseline, as `simulate compare` does: a
 * figure is a regression only when its whole confidence interval lies beyond
 * the tolerance; `verdict` is `regression` or `ok`. Format the result with
 * {@link formatComparisonTable} or {@link formatComparisonMarkdown}. Bad
 * options or unreadable files throw SimError('INPUT').
 */
export function compareSummaries(
  baseline: SummarySource,
  current: SummarySource,
  options: CompareSummariesOptions = {},
): Comparison {
  const tolerance =
    typeof options.tolerance === 'number' ? options.tolerance : parseTolerance(options.tolerance ?? '10%', 'tolerance');
  const confidence =
    typeof options.confidence === 'number'
      ? options.confidence
      : parseConfidence(options.confidence ?? '95%', 'confidence');
  const base = typeof baseline === 'string' ? readSummaryFile(baseline, 'baseline') : baseline;
  const cur = typeof current === 'string' ? readSummaryFile(current, 'current') : current;
  return computeComparison(base, cur, tolerance, { confidence });
}

/** Options of {@link mergeResults}. */
export interface MergeResultsOptions {
  /** Folder for the merged results (new or empty). */
  readonly out: string;
  /** Judge a merge with segments missing or repeated instead of making it untested (exit 4). */
  readonly allowPartial?: boolean;
  /** Receives warnings, such as a partial merge judged anyway; default: dropped. */
  readonly warn?: (text: string) => void;
}

/**
 * Merges the results of a segmented run (`simulate merge`): histograms added,
 * ids no single generator could settle checked against every generator's
 * ledger, thresholds judged on the whole. `results` are the results folders
 * (or their summary.json) of every segment. Writes summary.json, report.html,
 * junit.xml and violations.jsonl to `out` and resolves with the result.
 */
export function mergeResults(results: readonly string[], options: MergeResultsOptions): ScenarioResult {
  if (results.length === 0)
    throw new SimError('INPUT', 'mergeResults: no results to merge', {
      hint: 'pass the results folder of every segment',
    });
  const merged = mergeSegments(results, {
    out: options.out,
    allowPartial: options.allowPartial === true,
    ...(options.warn ? { onWarning: options.warn } : {}),
  });
  return {
    summary: merged.summary,
    resultsDir: merged.resultsDir,
    exitCode: merged.exitCode,
    verdict: merged.summary.verdict,
  };
}
