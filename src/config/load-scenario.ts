import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, LineCounter, parse as parseYamlValue, parseDocument, type Document } from 'yaml';
import { ALL_KINDS } from '../core/kinds.js';
import { DEFAULT_LIFECYCLE } from '../core/lifecycle-grammar.js';
import { PROTOCOL_FIELDS, type AuthConfig, type Cohort, type FrameProfile, type Scenario, type ThresholdConfig } from '../core/scenario-types.js';
import { SimError, type InputProblem } from '../core/sim-error.js';
import { computeScaledRates, computeScaledUsers } from '../core/stage-scaling.js';
import { parseThreshold } from '../core/thresholds.js';
import { parseFlow, type PathParts, type PathProblem } from './flow-parser.js';
import { cohortSchema, KNOWN_KEYS, scenarioSchema, thresholdLongSchema, thresholdValueSchema, type RawScenario } from './scenario-schema.js';
import { compileTemplate, collectTemplateNames } from '../core/templates.js';
import { formatPath, locate } from './yaml-locator.js';
import { parseWith, type At } from './zod-problems.js';
import { computeMissingSteps, type Adapter } from '../core/adapter.js';
import { loadAdapter } from './load-adapter.js';

/** Command-line overrides applied on top of the file. */
export interface ScenarioOverrides {
  /** `--set path=value`, applied to the YAML before validation. */
  readonly set?: readonly string[];
  /** `--target URL`. */
  readonly targetUrl?: string;
}

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
    throw new SimError('INPUT', `cannot read scenario ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`, { hint: 'pass the path of a scenario YAML file, e.g. scenarios/smoke.yaml' });
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
    problems.push({ file, ...(pos ? { line: pos.line, column: pos.col } : {}), message: `YAML syntax: ${e.message.split('\n')[0]}` });
  }
  if (problems.length) fail(file, problems);
  // What the command line created is blamed on the flag that created it, not on a line of the file.
  const created: Array<{ prefix: string; source: string }> = [];
  for (const s of overrides.set ?? []) applySet(doc, s, file, problems, created);
  if (overrides.targetUrl !== undefined) {
    const t = doc.get('target', true);
    if (t !== undefined && t !== null && !isMap(t)) {
      problems.push(locate(doc, lc, file, ['target'], `expected a mapping such as { url: ... } (--target sets target.url), got ${JSON.stringify((doc.toJS() as { target?: unknown }).target)}`));
    } else {
      doc.setIn(['target', 'url'], overrides.targetUrl);
      created.push({ prefix: 'target.url', source: '--target' });
    }
  }
  if (problems.length) fail(file, problems);

  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(file, [{ file, line: 1, column: 1, message: 'expected a mapping with at least "name" and "cohorts"' }]);
  }
  const at = (path: PathParts, message: string, atKey = false): void => {
    const where = formatPath(path);
    const from = created.find((c) => where === c.prefix || where.startsWith(`${c.prefix}.`) || where.startsWith(`${c.prefix}[`));
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


function compile(raw: RawScenario | undefined, rawObj: Record<string, unknown>, text: string, file: string, at: At, push: (p: InputProblem) => void): Scenario | undefined {
  const baseDir = dirname(resolve(file));
  const cohortsIn = (rawObj.cohorts && typeof rawObj.cohorts === 'object' && !Array.isArray(rawObj.cohorts) ? rawObj.cohorts : {}) as Record<string, unknown>;
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
    return undefined;
  }
  const auth = compileAuth(raw, baseDir, at);
  let ids = raw.users?.ids;
  if (raw.users?.file !== undefined) {
    if (ids) at(['users', 'file'], 'give "ids" or "file", not both');
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(resolve(baseDir, raw.users.file)));
      ids = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      // eslint-disable-next-line no-control-regex -- control characters are what this check rejects
      const bad = ids.find((id) => /[\u0000-\u001f\u007f\s]/.test(id) || id.startsWith('- '));
      if (bad !== undefined) at(['users', 'file'], `${raw.users.file}: "${bad.slice(0, 40)}" is not a user id; expected one id per line (no spaces, no "- " list items, no control characters)`);
      if (ids.length === 0) at(['users', 'file'], `${raw.users.file} holds no user ids (one per line expected)`);
    } catch (err) {
      at(['users', 'file'], err instanceof TypeError ? `${raw.users.file} is not a text file (not UTF-8); expected one user id per line` : `cannot read users file ${raw.users.file} (relative to the scenario's folder)`);
    }
  }
  if (!ids && auth?.kind === 'static') ids = Object.keys(auth.tokens);
  if (auth?.kind === 'static' && ids) for (const id of ids) if (!(id in auth.tokens)) { at(['auth', 'tokensFile'], `no token for user "${id}" in ${auth.file}`); break; }
  // From the raw value: a record schema would silently drop keys such as "__proto__".
  const thresholds = compileThresholds(rawObj.thresholds, cohortNames, at);
  const target = raw.target;
  const adapter = compileTargetAdapter(target, rawObj, baseDir, at, push);
  const transport = target?.transport ?? adapter?.defaultTransport ?? 'ws';
  if (adapter && !adapter.transports[transport]) at(['target', 'transport'], `adapter "${adapter.name}" (${adapter.source}) has no ${transport} transport; it has ${Object.keys(adapter.transports).join(', ')}`);
  if (adapter && auth && adapter.transports[transport]?.path !== undefined && !adapter.auth.deliveries.includes(auth.delivery)) {
    at(['auth', 'delivery'], `adapter "${adapter.name}" takes tokens by ${adapter.auth.deliveries.join(', ')}, not ${auth.delivery}`);
  }
  if (adapter && probeRate(raw.probes?.adapter, 2) > 0 && adapter.probes.length === 0) at(['probes', 'adapter'], `adapter "${adapter.name}" (${adapter.source}) declares no probes of its own (its "probes:")`);
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
  };
}

/**
 * Loads the scenario's adapter (`target.api`, default crosstalk) with its
 * parameters, and checks that it supports every step the flows use. Its own
 * problems are reported with its file and lines; the scenario's, with the
 * scenario's.
 */
function compileTargetAdapter(target: RawScenario['target'], rawObj: Record<string, unknown>, baseDir: string, at: At, push: (p: InputProblem) => void): Adapter | undefined {
  if (target?.profile !== undefined) at(['target', 'profile'], 'target.profile moved into adapters: write an adapter file with "extends: crosstalk" and these keys under "events" (fields, names for aliases, lifecycle, ownerless for ignoreTypes), then set target.api to its path', true);
  if (target?.wsPath !== undefined) at(['target', 'wsPath'], 'target.wsPath moved into adapters: the path is transports.ws.path of the adapter (or set target.wsUrl)', true);
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
      at(path, `adapter "${adapter.name}" (${adapter.source}) has no ${step === 'stopAgent' ? `stop for its ${transport} transport` : `route for ${step} (rest.${step})`}; add it to the adapter or take the step out`, true);
    }
  }
  return adapter;
}

/** The steps of every flow with their YAML paths (into repeat too). */
function collectStepPaths(rawObj: Record<string, unknown>): Array<[PathParts, string]> {
  const out: Array<[PathParts, string]> = [];
  const walk = (steps: unknown, path: PathParts): void => {
    if (!Array.isArray(steps)) return;
    (steps as unknown[]).forEach((st, i) => {
      const name = typeof st === 'string' ? st : st && typeof st === 'object' && !Array.isArray(st) ? Object.keys(st)[0] : undefined;
      if (name === undefined) return;
      out.push([[...path, i], name]);
      if (name === 'repeat') walk(((st as Record<string, unknown>).repeat as { steps?: unknown } | undefined)?.steps, [...path, i, 'repeat', 'steps']);
    });
  };
  const cohorts = rawObj.cohorts;
  if (cohorts && typeof cohorts === 'object' && !Array.isArray(cohorts)) {
    for (const [name, c] of Object.entries(cohorts)) walk((c as { flow?: unknown } | null)?.flow, ['cohorts', name, 'flow']);
  }
  return out;
}

/** true: the default rate; { rate }: that rate; false or absent: off. */
function probeRate(v: boolean | { rate: number } | undefined, defaultPerSec: number): number {
  if (v === undefined || v === false) return 0;
  return v === true ? defaultPerSec : v.rate;
}

function compileThresholds(value: unknown, cohortNames: readonly string[], at: At): ThresholdConfig[] {
  const thresholds: ThresholdConfig[] = [];
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
          parseWith(thresholdLongSchema, x, Array.isArray(rawEntry) ? ['thresholds', metric, i] : ['thresholds', metric], at, KNOWN_KEYS);
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
      const t = parseThreshold(metric, expression, { vocabulary, path: formatPath(path), abortOnFail: typeof e === 'string' ? false : e.abortOnFail ?? false, delayMs: typeof e === 'string' ? 0 : e.delay ?? 0 });
      if (Array.isArray(t)) for (const p of t) at(path, p.message);
      else thresholds.push({ metric, expression, abortOnFail: t.abortOnFail, delayMs: t.delayMs });
    });
  }
  return thresholds;
}

function compileCohort(name: string, rawCohort: unknown, at: At): Cohort | undefined {
  const base: PathParts = ['cohorts', name];
  if (!/^[A-Za-z0-9_-]+$/.test(name)) at(base, `cohort name "${name}" must be letters, digits, "-" or "_"`, true);
  const flowIn = rawCohort && typeof rawCohort === 'object' ? (rawCohort as { flow?: unknown }).flow : undefined;
  const cpu = rawCohort && typeof rawCohort === 'object' ? (rawCohort as { connectionsPerUser?: unknown }).connectionsPerUser : undefined;
  const connectionsPerUser = typeof cpu === 'number' && Number.isInteger(cpu) && cpu > 0 ? cpu : 1;
  const { steps, problems } = Array.isArray(flowIn) ? parseFlow(flowIn, [...base, 'flow'], { connectionsPerUser }) : { steps: [], problems: [] };
  for (const p of problems) report(at, p);
  const c = parseWith(cohortSchema, rawCohort, base, at, KNOWN_KEYS);
  if (!c) return undefined;
  const model = c.model ?? 'closed';
  const gracefulStopMs = c.gracefulStop ?? 30_000;
  const common = { name, startAfterMs: c.startAfter ?? 0, gracefulStopMs, connectionsPerUser, flow: steps };
  if (model === 'closed') {
    for (const k of ['rate', 'startRate', 'maxUsers'] as const) if (c[k] !== undefined) at([...base, k], `"${k}" belongs to open cohorts; this cohort is closed (set model: open, or use users/stages)`, true);
    if (c.stages && c.duration !== undefined) at(base, 'give "stages", or "users" with "duration", not both ("users" alone next to "stages" scales them to that peak)');
    let stages: Array<{ durationMs: number; users: number }> = [];
    let startUsers = c.startUsers ?? (c.stages ? 0 : c.users ?? 0);
    if (c.stages) {
      c.stages.forEach((s, i) => {
        if (s.rate !== undefined) at([...base, 'stages', i, 'rate'], '"rate" belongs to open cohorts; closed stages take "users"', true);
        if (s.users === undefined) at([...base, 'stages', i], 'a closed stage needs "users", e.g. { duration: 30s, users: 10 }');
        else stages.push({ durationMs: s.duration, users: s.users });
      });
      if (stages.length && stages.every((s) => s.users === 0) && startUsers === 0) at([...base, 'stages'], 'every stage has 0 users: nobody would run');
      else if (c.users !== undefined && stages.length) ({ startUsers, stages } = computeScaledUsers(startUsers, stages, c.users) ?? { startUsers, stages });
    } else if (c.users !== undefined && c.duration !== undefined) {
      stages = [{ durationMs: c.duration, users: c.users }];
    } else {
      at(base, 'a closed cohort needs "stages", or "users" and "duration"');
    }
    return { ...common, model: { kind: 'closed', startUsers, stages, gracefulRampDownMs: c.gracefulRampDown ?? gracefulStopMs } };
  }
  for (const k of ['users', 'startUsers', 'gracefulRampDown'] as const) if (c[k] !== undefined) at([...base, k], `"${k}" belongs to closed cohorts; this cohort is open (use rate/stages and maxUsers)`, true);
  if (c.stages && c.duration !== undefined) at(base, 'give "stages", or "rate" with "duration", not both ("rate" alone next to "stages" scales them to that peak)');
  let stages: Array<{ durationMs: number; ratePerSec: number }> = [];
  if (c.stages) {
    c.stages.forEach((s, i) => {
      if (s.users !== undefined) at([...base, 'stages', i, 'users'], '"users" belongs to closed cohorts; open stages take "rate"', true);
      if (s.rate === undefined) at([...base, 'stages', i], 'an open stage needs "rate", e.g. { duration: 30s, rate: 5/s }');
      else stages.push({ durationMs: s.duration, ratePerSec: s.rate });
    });
  } else if (c.rate !== undefined && c.duration !== undefined) {
    stages = [{ durationMs: c.duration, ratePerSec: c.rate }];
  } else {
    at(base, 'an open cohort needs "stages", or "rate" and "duration"');
  }
  let startRatePerSec = c.startRate ?? stages[0]?.ratePerSec ?? 0;
  if (stages.length && stages.every((s) => s.ratePerSec === 0) && !c.startRate) at([...base, 'stages'], 'every stage has rate 0: nobody would arrive');
  else if (c.stages && c.rate !== undefined && stages.length) ({ startRatePerSec, stages } = computeScaledRates(startRatePerSec, stages, c.rate) ?? { startRatePerSec, stages });
  return { ...common, model: { kind: 'open', startRatePerSec, stages, maxUsers: c.maxUsers ?? 100 } };
}

function compileAuth(raw: RawScenario, baseDir: string, at: At): AuthConfig | undefined {
  const a = raw.auth ?? {};
  const kind = a.kind ?? 'jwt';
  const delivery = a.delivery ?? 'subprotocol';
  const renewBeforeMs = a.renewBefore ?? 60_000;
  if (kind !== 'login' && a.login) at(['auth', 'login'], `"login" is only for auth.kind login (kind is ${kind})`, true);
  if (kind !== 'static' && a.tokensFile) at(['auth', 'tokensFile'], `"tokensFile" is only for auth.kind static (kind is ${kind})`, true);
  if (kind === 'jwt') {
    return {
      kind, delivery, renewBeforeMs, secretEnv: a.secretEnv ?? 'SIM_JWT_SECRET', ttlMs: a.ttl ?? 15 * 60_000,
      ...(a.issuer ? { issuer: a.issuer } : {}), ...(a.audience ? { audience: a.audience } : {}), claims: a.claims ?? {},
    };
  }
  if (kind === 'login') {
    if (!a.login) { at(['auth'], 'auth.kind login needs a "login" block: { url, body, tokenPath }'); return undefined; }
    // A login happens before any flow: only {{user}} means something there.
    for (const [key, v] of [['url', a.login.url], ['body', a.login.body]] as const) {
      for (const name of collectTemplateNames(v)) {
        if (name !== 'user') at(['auth', 'login', key], `template "{{${name}}}" names nothing here; a login body or URL may only use {{user}}`);
      }
      if (typeof v === 'string') { const c = compileTemplate(v); if (Array.isArray(c)) for (const m of c) at(['auth', 'login', key], m); }
    }
    return {
      kind, delivery, renewBeforeMs, url: a.login.url, method: a.login.method ?? 'POST', body: a.login.body ?? { user_id: '{{user}}' },
      tokenPath: a.login.tokenPath ?? 'access_token', expiresInPath: a.login.expiresInPath ?? 'expires_in',
    };
  }
  if (!a.tokensFile) { at(['auth'], 'auth.kind static needs "tokensFile": a YAML/JSON mapping of user id to token'); return undefined; }
  let tokens: Record<string, string> = {};
  try {
    const parsed: unknown = parseYamlValue(readFileSync(resolve(baseDir, a.tokensFile), 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
      at(['auth', 'tokensFile'], `${a.tokensFile} must be a mapping of user id to token string`);
    } else {
      tokens = parsed as Record<string, string>;
      if (Object.keys(tokens).length === 0) at(['auth', 'tokensFile'], `${a.tokensFile} holds no tokens; expected a mapping of user id to token`);
    }
  } catch {
    at(['auth', 'tokensFile'], `cannot read tokens file ${a.tokensFile} (relative to the scenario's folder)`);
  }
  return { kind, delivery, file: a.tokensFile, tokens };
}

function report(at: At, p: PathProblem): void {
  at(p.path, p.message, p.atKey);
}

/** Splits `cohorts.chatters.stages[1].users` or `thresholds["run.total"]` into parts; undefined when malformed. */
function parseSetPath(text: string): Array<string | number> | undefined {
  const parts: Array<string | number> = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '[') {
      const m = /^\[(\d+)\]|^\["((?:[^"\\]|\\.)*)"\]/.exec(text.slice(i));
      if (!m) return undefined;
      if (m[1] !== undefined) parts.push(Number(m[1]));
      else {
        try { parts.push(JSON.parse(`"${m[2]}"`) as string); } catch { return undefined; }
      }
      i += m[0].length;
    } else {
      if (parts.length > 0) {
        if (text[i] !== '.') return undefined;
        i++;
      }
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
  }
  if (!parts.length) return undefined;
  // Metric names hold dots: `thresholds.run.total` names the metric "run.total".
  if (parts[0] === 'thresholds' && parts.length > 2) {
    const end = parts.findIndex((p, k) => k > 0 && typeof p === 'number');
    const stop = end === -1 ? parts.length : end;
    return ['thresholds', parts.slice(1, stop).join('.'), ...parts.slice(stop)];
  }
  return parts;
}

function applySet(doc: Document, spec: string, file: string, problems: InputProblem[], created: Array<{ prefix: string; source: string }>): void {
  const eq = spec.indexOf('=');
  const pathText = eq > 0 ? spec.slice(0, eq).trim() : '';
  const parts = parseSetPath(pathText);
  if (!parts) {
    problems.push({ file: '--set', message: `"${spec}" is not path=value (e.g. cohorts.chatters.users=20 or thresholds["run.total"]=["p(95) < 2s"])` });
    return;
  }
  let value: unknown;
  try {
    value = parseYamlValue(spec.slice(eq + 1));
  } catch {
    problems.push({ file: '--set', message: `"${spec}": the value is not valid YAML` });
    return;
  }
  // An index may replace an item or append one, never leave holes.
  for (let k = 0; k < parts.length - 1; k++) {
    const p = parts[k + 1];
    if (typeof p !== 'number') continue;
    const parent = doc.getIn(parts.slice(0, k + 1), true) as { items?: unknown[] } | undefined;
    if (parent?.items && p > parent.items.length) {
      problems.push({ file: '--set', path: pathText, message: `index ${p} is past the end of a list of ${parent.items.length}` });
      return;
    }
  }
  // The first part of the path that did not exist is where the flag's own value starts.
  let k = 1;
  while (k < parts.length && doc.hasIn(parts.slice(0, k))) k++;
  try {
    doc.setIn(parts, doc.createNode(value));
    created.push({ prefix: formatPath(parts.slice(0, k)), source: "--set" });
  } catch {
    problems.push({ file: '--set', path: pathText, message: `cannot set ${pathText} in ${file}: a parent is not a mapping or list` });
  }
}

function fail(file: string, unsorted: readonly InputProblem[]): never {
  const problems = [...unsorted].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new SimError('INPUT', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the scenario`, { problems, hint: 'fix the lines above; `simulate validate <file>` checks a scenario without running it' });
}
