import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { computeMissingSteps, type Adapter } from '../core/adapter.js';
import { DEFAULT_LIFECYCLE } from '../core/lifecycle-grammar.js';
import { PROTOCOL_FIELDS, type Cohort, type FrameProfile, type Scenario } from '../core/scenario-types.js';
import { SimError, type InputProblem } from '../core/sim-error.js';
import { compileAuth } from './compile-auth.js';
import { compileCohort } from './compile-cohort.js';
import { compileThresholds } from './compile-thresholds.js';
import type { PathParts } from './flow-parser.js';
import { loadAdapter } from './load-adapter.js';
import { compileOutputs } from './outputs-schema.js';
import { KNOWN_KEYS, scenarioSchema, type RawScenario } from './scenario-schema.js';
import { applyOverrides, type ScenarioOverrides } from './scenario-overrides.js';
import { formatPath, locate } from './yaml-locator.js';
import { parseWith, type At } from './zod-problems.js';

export type { ScenarioOverrides } from './scenario-overrides.js';

/** The default frame profile: protocol.md's "Tolerance" defaults. */
export const DEFAULT_PROFILE: FrameProfile = {
  fieldRoots: ['payload', 'data', ''],
  typeFields: ['type', 'event'],
  aliases: {},
  fields: PROTOCOL_FIELDS,
  timestampUnit: 'auto',
  lifecycle: DEFAULT_LIFECYCLE,
};

/**
 * Reads, validates and compiles one scenario file. Every problem is collected
 * and thrown at once as a SimError('INPUT') whose problems name file, line,
 * column, YAML path and what was expected.
 */
export function loadScenario(file: string, overrides: ScenarioOverrides = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SimError(
      'INPUT',
      `cannot read scenario ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`,
      { hint: 'pass the path of a scenario YAML file, e.g. scenarios/smoke.yaml' },
    );
  }
  return compileScenarioText(text, file, overrides);
}

/** Like {@link loadScenario} for text already read. */
export function compileScenarioText(text: string, file: string, overrides: ScenarioOverrides = {}): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const problems: InputProblem[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    problems.push({
      file,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
    });
  }
  if (problems.length) fail(file, problems);
  // What the command line created is blamed on the flag that created it, not on a line of the file.
  const created = applyOverrides(doc, lc, file, overrides, problems);
  if (problems.length) fail(file, problems);

  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(file, [{ file, line: 1, column: 1, message: 'expected a mapping with at least "name" and "cohorts"' }]);
  }
  const at = (path: PathParts, message: string, atKey = false): void => {
    const where = formatPath(path);
    const from = created.find(
      (c) => where === c.prefix || where.startsWith(`${c.prefix}.`) || where.startsWith(`${c.prefix}[`),
    );
    if (from) problems.push({ file: from.source, path: where, message });
    else problems.push(locate(doc, lc, file, path, message, atKey));
  };
  const raw = parseWith(scenarioSchema, value, [], at, KNOWN_KEYS);
  // Sections are checked one by one so that every problem in the file is
  // reported at once, not only those of the first layer that failed.
  const rawObj = value as Record<string, unknown>;
  const cohortsIn = rawObj.cohorts;
  if (cohortsIn !== undefined && (typeof cohortsIn !== 'object' || cohortsIn === null || Array.isArray(cohortsIn))) {
    if (raw) at(['cohorts'], 'expected a mapping of cohort name to cohort');
  }
  const scenario = compile(raw, rawObj, text, file, at, (p) => problems.push(p));
  if (problems.length) fail(file, problems);
  return scenario!;
}

function compile(
  raw: RawScenario | undefined,
  rawObj: Record<string, unknown>,
  text: string,
  file: string,
  at: At,
  push: (p: InputProblem) => void,
): Scenario | undefined {
  const baseDir = dirname(resolve(file));
  const cohortsIn = (
    rawObj.cohorts && typeof rawObj.cohorts === 'object' && !Array.isArray(rawObj.cohorts) ? rawObj.cohorts : {}
  ) as Record<string, unknown>;
  const cohortNames = Object.keys(cohortsIn);
  if (cohortNames.length === 0 && rawObj.cohorts !== undefined) at(['cohorts'], 'expected at least one cohort');
  const cohorts: Cohort[] = [];
  for (const name of cohortNames) {
    const c = compileCohort(name, cohortsIn[name], at);
    if (c) cohorts.push(c);
  }
  if (!raw) {
    // Still check thresholds against the cohorts we know, then stop.
    compileThresholds(rawObj.thresholds, cohortNames, at);
    compileOutputs(rawObj.outputs, at, KNOWN_KEYS);
    return undefined;
  }
  const auth = compileAuth(raw, baseDir, at);
  let ids = raw.users?.ids;
  if (raw.users?.file !== undefined) {
    if (ids) at(['users', 'file'], 'give "ids" or "file", not both');
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(resolve(baseDir, raw.users.file)));
      ids = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      // eslint-disable-next-line no-control-regex -- control characters are what this check rejects
      const bad = ids.find((id) => /[\u0000-\u001f\u007f\s]/.test(id) || id.startsWith('- '));
      if (bad !== undefined)
        at(
          ['users', 'file'],
          `${raw.users.file}: "${bad.slice(0, 40)}" is not a user id; expected one id per line (no spaces, no "- " list items, no control characters)`,
        );
      if (ids.length === 0) at(['users', 'file'], `${raw.users.file} holds no user ids (one per line expected)`);
    } catch (err) {
      at(
        ['users', 'file'],
        err instanceof TypeError
          ? `${raw.users.file} is not a text file (not UTF-8); expected one user id per line`
          : `cannot read users file ${raw.users.file} (relative to the scenario's folder)`,
      );
    }
  }
  if (!ids && auth?.kind === 'static') ids = Object.keys(auth.tokens);
  if (auth?.kind === 'static' && ids)
    for (const id of ids)
      if (!(id in auth.tokens)) {
        at(['auth', 'tokensFile'], `no token for user "${id}" in ${auth.file}`);
        break;
      }
  // From the raw value: a record schema would silently drop keys such as "__proto__".
  const thresholds = compileThresholds(rawObj.thresholds, cohortNames, at);
  const outputs = compileOutputs(raw.outputs, at, KNOWN_KEYS);
  const target = raw.target;
  const adapter = compileTargetAdapter(target, rawObj, baseDir, at, push);
  const transport = target?.transport ?? adapter?.defaultTransport ?? 'ws';
  if (adapter && !adapter.transports[transport])
    at(
      ['target', 'transport'],
      `adapter "${adapter.name}" (${adapter.source}) has no ${transport} transport; it has ${Object.keys(adapter.transports).join(', ')}`,
    );
  if (
    adapter &&
    auth &&
    adapter.transports[transport]?.path !== undefined &&
    !adapter.auth.deliveries.includes(auth.delivery)
  ) {
    at(
      ['auth', 'delivery'],
      `adapter "${adapter.name}" takes tokens by ${adapter.auth.deliveries.join(', ')}, not ${auth.delivery}`,
    );
  }
  if (adapter && probeRate(raw.probes?.adapter, 2) > 0 && adapter.probes.length === 0)
    at(
      ['probes', 'adapter'],
      `adapter "${adapter.name}" (${adapter.source}) declares no probes of its own (its "probes:")`,
    );
  if (!auth || !adapter) return undefined;
  return {
    name: raw.name,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    file,
    sha256: createHash('sha256').update(text).digest('hex'),
    seed: raw.seed ?? 1,
    target: {
      ...(target?.url !== undefined ? { url: target.url } : {}),
      ...(target?.wsUrl !== undefined ? { wsUrl: target.wsUrl } : {}),
      adapter,
      transport,
      embedded: {
        agent: target?.embedded?.agent ?? 'fast',
        seed: target?.embedded?.seed ?? raw.seed ?? 1,
        rateLimitPerSec: target?.embedded?.rateLimit ?? 0,
        heartbeatMs: target?.embedded?.heartbeat ?? 0,
        faults: target?.embedded?.faults ?? '',
        dialect: target?.embedded?.dialect ?? 'canonical',
        transport,
        noise: target?.embedded?.noise ?? false,
      },
      connectTimeoutMs: target?.connectTimeout ?? 10_000,
      requestTimeoutMs: target?.requestTimeout ?? 30_000,
    },
    auth,
    users: { prefix: raw.users?.prefix ?? 'u', ...(ids ? { ids } : {}) },
    cohorts,
    probes: {
      crossUserReadPerSec: probeRate(raw.probes?.crossUserRead, 2),
      forgedTokensPerSec: probeRate(raw.probes?.forgedTokens, 1),
      adapterPerSec: probeRate(raw.probes?.adapter, 2),
    },
    thresholds,
    coverage: Object.fromEntries(Object.entries(raw.coverage ?? {}).filter(([, v]) => v !== undefined)),
    ...(outputs ? { outputs } : {}),
  };
}

/**
 * Loads the scenario's adapter (`target.api`, default crosstalk) with its
 * parameters, and checks that it supports every step the flows use. Its own
 * problems are reported with its file and lines; the scenario's, with the
 * scenario's.
 */
function compileTargetAdapter(
  target: RawScenario['target'],
  rawObj: Record<string, unknown>,
  baseDir: string,
  at: At,
  push: (p: InputProblem) => void,
): Adapter | undefined {
  if (target?.profile !== undefined)
    at(
      ['target', 'profile'],
      'target.profile moved into adapters: write an adapter file with "extends: crosstalk" and these keys under "events" (fields, names for aliases, lifecycle, ownerless for ignoreTypes), then set target.api to its path',
      true,
    );
  if (target?.wsPath !== undefined)
    at(
      ['target', 'wsPath'],
      'target.wsPath moved into adapters: the path is transports.ws.path of the adapter (or set target.wsUrl)',
      true,
    );
  let adapter: Adapter;
  try {
    adapter = loadAdapter(target?.api ?? 'crosstalk', baseDir, { values: target?.params ?? {}, at });
  } catch (err) {
    if (!(err instanceof SimError)) throw err;
    if (err.problems.length === 0) at(['target', 'api'], `${err.message}${err.hint ? `; ${err.hint}` : ''}`);
    for (const p of err.problems) push(p);
    return undefined;
  }
  const transport = target?.transport ?? adapter.defaultTransport;
  for (const [path, step] of collectStepPaths(rawObj)) {
    if (computeMissingSteps(adapter, transport, new Set([step])).length) {
      at(
        path,
        `adapter "${adapter.name}" (${adapter.source}) has no ${step === 'stopAgent' ? `stop for its ${transport} transport` : `route for ${step} (rest.${step})`}; add it to the adapter or take the step out`,
        true,
      );
    }
  }
  return adapter;
}

/** The steps of every flow with their YAML paths (into repeat too). */
function collectStepPaths(rawObj: Record<string, unknown>): Array<[PathParts, string]> {
  const out: Array<[PathParts, string]> = [];
  const walk = (steps: unknown, path: PathParts): void => {
    if (!Array.isArray(steps)) return;
    steps.forEach((st: unknown, i) => {
      const name =
        typeof st === 'string'
          ? st
          : st && typeof st === 'object' && !Array.isArray(st)
            ? Object.keys(st)[0]
            : undefined;
      if (name === undefined) return;
      out.push([[...path, i], name]);
      if (name === 'repeat')
        walk(((st as Record<string, unknown>).repeat as { steps?: unknown } | undefined)?.steps, [
          ...path,
          i,
          'repeat',
          'steps',
        ]);
    });
  };
  const cohorts = rawObj.cohorts;
  if (cohorts && typeof cohorts === 'object' && !Array.isArray(cohorts)) {
    for (const [name, c] of Object.entries(cohorts))
      walk((c as { flow?: unknown } | null)?.flow, ['cohorts', name, 'flow']);
  }
  return out;
}

/** true: the default rate; { rate }: that rate; false or absent: off. */
function probeRate(v: boolean | { rate: number } | undefined, defaultPerSec: number): number {
  if (v === undefined || v === false) return 0;
  return v === true ? defaultPerSec : v.rate;
}

function fail(file: string, unsorted: readonly InputProblem[]): never {
  const problems = [...unsorted].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new SimError(
    'INPUT',
    `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the scenario`,
    { problems, hint: 'fix the lines above; `simulate validate <file>` checks a scenario without running it' },
  );
}
