import { z } from 'zod';
import { computeCanonicalEvent, EVENT_ROLES, RUN_EVENTS } from '../core/metric-names.js';
import { STEP_KINDS, type FlowStep } from '../core/scenario-types.js';
import { compileTemplate, collectTemplateNames } from '../core/templates.js';
import { editDistance } from '../core/thresholds.js';
import { anyText, durationMs, int, plainObject, REQUIRED, text } from './field-schemas.js';

/** A path into the YAML document, e.g. ['cohorts', 'chatters', 'flow', 2, 'sendMessage']. */
export type PathParts = ReadonlyArray<string | number>;

/** A problem found while reading a flow, located by path. */
export interface PathProblem {
  readonly path: PathParts;
  readonly message: string;
  /** Point at the key itself rather than its value (unknown keys). */
  readonly atKey?: boolean;
}

/** What a step awaits: `none`, a canonical run event or a role name (read as its canonical event). */
const awaitEvent = z.any().transform((v, ctx) => {
  if (v === 'none') return v as string;
  const e = typeof v === 'string' ? computeCanonicalEvent(v) : undefined;
  if (e !== undefined) return e;
  ctx.addIssue({
    code: 'custom',
    message: `expected "none", a role (${Object.keys(EVENT_ROLES).join(', ')}) or one of ${RUN_EVENTS.join(', ')}, got ${JSON.stringify(v)}`,
  });
  return z.NEVER;
});
const threadRef = text().optional();

const STEP_SCHEMAS = {
  connect: z.strictObject({ connections: int(1, 64).optional() }),
  disconnect: z.strictObject({}),
  reconnect: z.strictObject({}),
  createThread: z.strictObject({ title: anyText().optional(), metadata: plainObject().optional() }),
  listThreads: z.strictObject({ limit: int(1, 100).optional(), offset: int(0).optional() }),
  getThread: z.strictObject({ thread: threadRef }),
  updateThread: z.strictObject({ thread: threadRef, title: anyText().optional(), metadata: plainObject().optional() }),
  deleteThread: z.strictObject({ thread: threadRef }),
  listMessages: z.strictObject({ thread: threadRef, limit: int(1, 100).optional() }),
  postMessage: z.strictObject({ thread: threadRef, content: text() }),
  sendMessage: z.strictObject({
    thread: threadRef,
    content: text(),
    await: awaitEvent.optional(),
    timeout: durationMs().optional(),
    connection: int(0, 63).optional(),
  }),
  stopAgent: z.strictObject({ await: awaitEvent.optional(), timeout: durationMs().optional() }),
  think: z.strictObject({ min: durationMs({ allowZero: true }), max: durationMs({ allowZero: true }) }),
  idle: z.strictObject({ duration: durationMs() }),
  repeat: z.strictObject({
    times: int(1).optional(),
    duration: durationMs().optional(),
    steps: z.array(z.unknown()).min(1),
  }),
} as const;

/** Steps that need parameters and cannot be written as a bare name. */
const NEEDS_PARAMS = new Set(['postMessage', 'sendMessage', 'think', 'idle', 'repeat']);
const DEFAULT_RUN_TIMEOUT_MS = 60_000;

/** What flow parsing needs to know about the cohort around it. */
export interface FlowContext {
  readonly connectionsPerUser: number;
}

/**
 * Reads a flow: each step is a bare name (`connect`) or a one-key mapping
 * (`sendMessage: {...}`, `think: 2s`, `idle: 65s`). Checks step names (with a
 * "did you mean"), parameters, templates, and that `{{thread}}` is only used
 * after a `createThread` step.
 */
export function parseFlow(
  raw: readonly unknown[],
  base: PathParts,
  ctx: FlowContext,
): { steps: FlowStep[]; problems: PathProblem[] } {
  const problems: PathProblem[] = [];
  // A later `connect: { connections: N }` may open more tabs than the cohort's default.
  ctx = { connectionsPerUser: Math.max(ctx.connectionsPerUser, maxConnections(raw)) };
  const state = { haveThread: false };
  const steps = parseSteps(raw, base, ctx, problems, state);
  return { steps, problems };
}

function parseSteps(
  raw: readonly unknown[],
  base: PathParts,
  ctx: FlowContext,
  problems: PathProblem[],
  state: { haveThread: boolean },
): FlowStep[] {
  const steps: FlowStep[] = [];
  raw.forEach((item, i) => {
    const step = parseStep(item, [...base, i], ctx, problems, state);
    if (step) steps.push(step);
  });
  return steps;
}

function parseStep(
  item: unknown,
  path: PathParts,
  ctx: FlowContext,
  problems: PathProblem[],
  state: { haveThread: boolean },
): FlowStep | undefined {
  let name: string;
  let params: unknown;
  if (typeof item === 'string') {
    name = item;
    params = undefined;
  } else if (item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1) {
    name = Object.keys(item)[0]!;
    params = (item as Record<string, unknown>)[name];
  } else {
    problems.push({
      path,
      message: `expected a step: a name such as "connect", or a mapping with one step name such as "sendMessage: { content: ... }"`,
    });
    return undefined;
  }
  if (!(STEP_KINDS as readonly string[]).includes(name)) {
    problems.push({
      path: typeof item === 'string' ? path : [...path, name],
      atKey: typeof item !== 'string',
      message: `unknown step "${name}"${didYouMean(name, STEP_KINDS)}; expected one of ${STEP_KINDS.join(', ')}`,
    });
    return undefined;
  }
  const kind = name as (typeof STEP_KINDS)[number];
  const ppath = typeof item === 'string' ? path : [...path, name];
  if (params === undefined || params === null) {
    if (NEEDS_PARAMS.has(kind)) {
      problems.push({ path: ppath, message: `step "${kind}" needs parameters, e.g. ${example(kind)}` });
      return undefined;
    }
    params = {};
  }
  // Shorthands: `think: 2s`, `idle: 65s`.
  if ((kind === 'think' || kind === 'idle') && typeof params === 'string')
    params = kind === 'think' ? { min: params, max: params } : { duration: params };
  if (
    kind === 'think' &&
    params &&
    typeof params === 'object' &&
    'duration' in params &&
    Object.keys(params).length === 1
  ) {
    const d = params.duration;
    params = { min: d, max: d };
  }
  const schema = STEP_SCHEMAS[kind] as z.ZodType;
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    if (params && typeof params === 'object')
      checkTemplates(params as Record<string, unknown>, ppath, problems, { haveThread: true }, '');
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          problems.push({
            path: [...ppath, ...issue.path.map(toPart), key],
            atKey: true,
            message: `unknown key "${key}" for step ${kind}${didYouMean(key, Object.keys((STEP_SCHEMAS[kind] as z.ZodObject).shape))}`,
          });
      } else {
        const ipath = [...ppath, ...issue.path.map(toPart)];
        const message =
          issue.message === REQUIRED
            ? `"${String(ipath[ipath.length - 1])}" is required for step ${kind}`
            : issue.code === 'invalid_type' && issue.path.length === 0
              ? `expected parameters for ${kind} as a mapping, e.g. ${example(kind)}`
              : issue.message;
        problems.push({ path: ipath, message });
      }
    }
    return undefined;
  }
  const p = parsed.data as Record<string, unknown>;
  const before = problems.length;
  checkTemplates(p, ppath, problems, state, kind);
  if (problems.length > before) return undefined;
  const thread = (p.thread as string | undefined) ?? '{{thread}}';
  switch (kind) {
    case 'connect':
      return { kind, ...(p.connections !== undefined ? { connections: p.connections as number } : {}) };
    case 'disconnect':
    case 'reconnect':
      return { kind };
    case 'createThread':
      state.haveThread = true;
      return {
        kind,
        ...(p.title !== undefined ? { title: p.title as string } : {}),
        ...(p.metadata !== undefined ? { metadata: p.metadata as Record<string, unknown> } : {}),
      };
    case 'listThreads':
      return {
        kind,
        ...(p.limit !== undefined ? { limit: p.limit as number } : {}),
        ...(p.offset !== undefined ? { offset: p.offset as number } : {}),
      };
    case 'getThread':
    case 'deleteThread':
      return { kind, thread };
    case 'updateThread':
      if (p.title === undefined && p.metadata === undefined) {
        problems.push({ path: ppath, message: 'updateThread needs "title" or "metadata"' });
        return undefined;
      }
      return {
        kind,
        thread,
        ...(p.title !== undefined ? { title: p.title as string } : {}),
        ...(p.metadata !== undefined ? { metadata: p.metadata as Record<string, unknown> } : {}),
      };
    case 'listMessages':
      return { kind, thread, ...(p.limit !== undefined ? { limit: p.limit as number } : {}) };
    case 'postMessage':
      return { kind, thread, content: p.content as string };
    case 'sendMessage': {
      const connection = (p.connection as number | undefined) ?? 0;
      if (connection >= ctx.connectionsPerUser) {
        problems.push({
          path: [...ppath, 'connection'],
          message: `connection ${connection} does not exist: the flow opens at most ${ctx.connectionsPerUser} connection(s) per user (numbered from 0)`,
        });
        return undefined;
      }
      return {
        kind,
        thread,
        content: p.content as string,
        await: (p.await as string | undefined) ?? 'agent_completed',
        timeoutMs: (p.timeout as number | undefined) ?? DEFAULT_RUN_TIMEOUT_MS,
        connection,
      };
    }
    case 'stopAgent':
      return {
        kind,
        await: (p.await as string | undefined) ?? 'agent_stopped',
        timeoutMs: (p.timeout as number | undefined) ?? 10_000,
      };
    case 'think': {
      const min = p.min as number,
        max = p.max as number;
      if (min > max) {
        problems.push({ path: ppath, message: `think: min (${min}ms) is above max (${max}ms)` });
        return undefined;
      }
      return { kind, range: { minMs: min, maxMs: max } };
    }
    case 'idle':
      return { kind, durationMs: p.duration as number };
    case 'repeat': {
      if ((p.times === undefined) === (p.duration === undefined)) {
        problems.push({ path: ppath, message: 'repeat needs exactly one of "times" or "duration"' });
        return undefined;
      }
      const inner = parseSteps(p.steps as unknown[], [...ppath, 'steps'], ctx, problems, state);
      return {
        kind,
        ...(p.times !== undefined ? { times: p.times as number } : {}),
        ...(p.duration !== undefined ? { durationMs: p.duration as number } : {}),
        steps: inner,
      };
    }
    default:
      return undefined;
  }
}

function checkTemplates(
  p: Record<string, unknown>,
  path: PathParts,
  problems: PathProblem[],
  state: { haveThread: boolean },
  kind: string,
): void {
  for (const [key, value] of Object.entries(p)) {
    if (key === 'steps') continue;
    for (const s of strings(value)) {
      const c = compileTemplate(s);
      if (Array.isArray(c)) for (const m of c) problems.push({ path: [...path, key], message: m });
    }
    if (!state.haveThread && collectTemplateNames(value).has('thread')) {
      problems.push({
        path: [...path, key],
        message: '{{thread}} is used before any createThread step: nothing is there to name',
      });
    }
  }
  const usesCurrentThread =
    ['getThread', 'updateThread', 'deleteThread', 'listMessages', 'postMessage', 'sendMessage'].includes(kind) &&
    p.thread === undefined;
  if (usesCurrentThread && !state.haveThread) {
    problems.push({
      path,
      message: `${kind} acts on the current thread, but no createThread step comes before it (add one, or give "thread")`,
    });
  }
}

function maxConnections(raw: readonly unknown[]): number {
  let max = 0;
  for (const item of raw) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) continue;
    const o = item as Record<string, unknown>;
    const n = (o.connect as { connections?: unknown } | null)?.connections;
    if (typeof n === 'number' && Number.isInteger(n)) max = Math.max(max, n);
    const steps = (o.repeat as { steps?: unknown } | null)?.steps;
    if (Array.isArray(steps)) max = Math.max(max, maxConnections(steps));
  }
  return max;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

function toPart(p: PropertyKey): string | number {
  return typeof p === 'number' ? p : String(p);
}

function example(kind: string): string {
  switch (kind) {
    case 'sendMessage':
      return '"sendMessage: { content: Hello }"';
    case 'postMessage':
      return '"postMessage: { content: Hello }"';
    case 'think':
      return '"think: 2s" or "think: { min: 1s, max: 3s }"';
    case 'idle':
      return '"idle: 30s"';
    case 'repeat':
      return '"repeat: { times: 3, steps: [...] }"';
    default:
      return `"${kind}: {}"`;
  }
}

/** ` (did you mean "x"?)` when a candidate is close to `word`, else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  let best = '';
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}
