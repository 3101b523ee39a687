import { computeRunEventIndex, RUN_EVENTS, type RunEvent } from './metric-names.js';

/**
 * The order rules of an agent run, as data: protocol.md's by default, or a
 * backend's own from the scenario (`target.profile.lifecycle`). Each run
 * event plays one role; the lifecycle oracle and the run tracker read roles,
 * never event names, so a backend whose vocabulary maps onto the same roles
 * (started, thinking, tool start and end, completed, failed, stopped) is
 * checked by the same code.
 */

/** A call-like pair: `close` must follow its own `open`, matched by `key` when the frames carry it. */
export interface LifecyclePair {
  readonly open: RunEvent;
  readonly close: RunEvent;
  /** Field path naming the call in both frames (`tool_name`, a call id); absent: matched by count. */
  readonly key?: string;
}

/** The events that end a run, by how it ended. */
export interface LifecycleEnd {
  readonly completed: readonly RunEvent[];
  readonly failed: readonly RunEvent[];
  readonly stopped: readonly RunEvent[];
}

/** A run's grammar by event names, as a scenario writes it. */
export interface LifecycleSpec {
  /** Events that open a run: one of them, once, before any other. */
  readonly start: readonly RunEvent[];
  /** Events that may come any number of times, in any order, between start and end. */
  readonly body: readonly RunEvent[];
  /** Opener and closer events, free among the body events; a closer needs its opener. */
  readonly pairs: readonly LifecyclePair[];
  /** Events that end a run, exactly one, last. */
  readonly end: LifecycleEnd;
  /** Events a run that completes must have shown (each at least once). */
  readonly required: readonly RunEvent[];
  /** Frame types that belong to no run and are fine (server frames). */
  readonly nonRun: readonly string[];
}

/** protocol.md "Server to client": started once first; thinking and tool pairs interleaved; one terminal event. */
export const DEFAULT_LIFECYCLE: LifecycleSpec = {
  start: ['agent_started'],
  body: ['agent_thinking', 'content_delta'],
  pairs: [{ open: 'tool_executing', close: 'tool_completed', key: 'tool_name' }],
  end: { completed: ['agent_completed'], failed: ['agent_error'], stopped: ['agent_stopped'] },
  required: ['agent_started', 'agent_thinking'],
  nonRun: ['connection_established', 'pong', 'error', 'heartbeat', 'system_notice'],
};

/** What an event does in a run. */
export const ROLE = Object.freeze({
  none: 0,
  start: 1,
  body: 2,
  open: 3,
  close: 4,
  completed: 5,
  failed: 6,
  stopped: 7,
  ignored: 8,
});

/** The outcomes an end event can give, as listed under `end`. */
export const END_OUTCOMES = ['completed', 'failed', 'stopped'] as const;

/** A grammar compiled to tables indexed by an event's position in RUN_EVENTS, for the per-frame path. */
export interface LifecycleGrammar {
  readonly spec: LifecycleSpec;
  /** {@link ROLE} of each run event. */
  readonly roleOf: readonly number[];
  /** For pair events, the pair's index in `spec.pairs`; -1 otherwise. */
  readonly pairOf: readonly number[];
  /** Start events as bits (1 << position). */
  readonly startMask: number;
  /** End events as bits. */
  readonly endMask: number;
  /** Required events as bits. */
  readonly requiredMask: number;
  /** Frame types that belong to no run. */
  readonly nonRun: ReadonlySet<string>;
}

/** A problem of a grammar, at a path relative to the grammar (`['pairs', 0, 'close']`). */
export interface LifecycleProblem {
  readonly path: ReadonlyArray<string | number>;
  /** For an event in two roles: where it was first. */
  readonly also?: ReadonlyArray<string | number>;
  readonly message: string;
}

/** A grammar path as written under `target.profile`, e.g. `lifecycle.pairs[0].close`. */
export function formatLifecyclePath(path: ReadonlyArray<string | number>): string {
  return `lifecycle${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
}
const show = formatLifecyclePath;

/**
 * What is wrong with a grammar: an event in two roles (or twice in one), no
 * event that completes a run, a pair that closes itself, a required event
 * with no role or one that ends the run, a non-run type that is a run event
 * with a role. Event names are assumed canonical (the schema checks them).
 */
export function computeLifecycleProblems(spec: LifecycleSpec): LifecycleProblem[] {
  const problems: LifecycleProblem[] = [];
  const placed = new Map<string, ReadonlyArray<string | number>>();
  const place = (event: string, path: ReadonlyArray<string | number>): void => {
    const first = placed.get(event);
    if (first)
      problems.push({
        path,
        also: first,
        message: `${event} is already in ${show(first)}: an event has one role in a run`,
      });
    else placed.set(event, path);
  };
  spec.start.forEach((e, i) => place(e, ['start', i]));
  spec.body.forEach((e, i) => place(e, ['body', i]));
  spec.pairs.forEach((p, i) => {
    if (p.open === p.close)
      problems.push({ path: ['pairs', i, 'close'], message: `a pair needs two events; ${p.open} cannot close itself` });
    else {
      place(p.open, ['pairs', i, 'open']);
      place(p.close, ['pairs', i, 'close']);
    }
  });
  for (const outcome of END_OUTCOMES) spec.end[outcome].forEach((e, i) => place(e, ['end', outcome, i]));
  if (spec.end.completed.length === 0)
    problems.push({
      path: ['end', 'completed'],
      message: 'no event completes a run: list at least one under lifecycle.end.completed (e.g. agent_completed)',
    });
  spec.required.forEach((e, i) => {
    const where = placed.get(e);
    if (!where)
      problems.push({
        path: ['required', i],
        message: `${e} is required but has no role in the lifecycle: it is in none of start, body, pairs`,
      });
    else if (where[0] === 'end')
      problems.push({
        path: ['required', i],
        message: `${e} ends a run (${show(where)}); required lists what must come before the end`,
      });
  });
  spec.nonRun.forEach((t, i) => {
    const where = placed.get(t);
    if (where)
      problems.push({
        path: ['nonRun', i],
        also: where,
        message: `${t} is a run event in ${show(where)}; it cannot also belong to no run`,
      });
  });
  return problems;
}

/** The events with a role in the grammar, by role, for messages. */
function eventsOf(spec: LifecycleSpec): Array<[RunEvent, number, number]> {
  const out: Array<[RunEvent, number, number]> = [];
  for (const e of spec.start) out.push([e, ROLE.start, -1]);
  for (const e of spec.body) out.push([e, ROLE.body, -1]);
  spec.pairs.forEach((p, i) => {
    out.push([p.open, ROLE.open, i], [p.close, ROLE.close, i]);
  });
  for (const e of spec.end.completed) out.push([e, ROLE.completed, -1]);
  for (const e of spec.end.failed) out.push([e, ROLE.failed, -1]);
  for (const e of spec.end.stopped) out.push([e, ROLE.stopped, -1]);
  return out;
}

/**
 * Compiles a grammar to per-event tables. Throws when the grammar has
 * problems ({@link computeLifecycleProblems}); the scenario loader reports
 * them by YAML path first, so this only fires for a grammar built in code.
 */
export function compileLifecycleGrammar(spec: LifecycleSpec): LifecycleGrammar {
  const problems = computeLifecycleProblems(spec);
  if (problems.length)
    throw new Error(`invalid lifecycle grammar: ${problems.map((p) => `${show(p.path)}: ${p.message}`).join('; ')}`);
  const roleOf: number[] = RUN_EVENTS.map(() => ROLE.none);
  const pairOf: number[] = RUN_EVENTS.map(() => -1);
  let startMask = 0;
  let endMask = 0;
  for (const [e, role, pair] of eventsOf(spec)) {
    const i = computeRunEventIndex(e);
    if (i < 0) throw new Error(`invalid lifecycle grammar: ${e} is not a run event (${RUN_EVENTS.join(', ')})`);
    roleOf[i] = role;
    pairOf[i] = pair;
    if (role === ROLE.start) startMask |= 1 << i;
    if (role >= ROLE.completed && role <= ROLE.stopped) endMask |= 1 << i;
  }
  const nonRun = new Set(spec.nonRun);
  // A run event listed as belonging to no run is let through wherever it comes.
  for (const t of nonRun) {
    const i = computeRunEventIndex(t);
    if (i >= 0) roleOf[i] = ROLE.ignored;
  }
  let requiredMask = 0;
  for (const e of spec.required) requiredMask |= 1 << computeRunEventIndex(e);
  return { spec, roleOf, pairOf, startMask, endMask, requiredMask, nonRun };
}

/** protocol.md's grammar, compiled. */
export const DEFAULT_LIFECYCLE_GRAMMAR: LifecycleGrammar = compileLifecycleGrammar(DEFAULT_LIFECYCLE);

/** True for a frame type the grammar knows: a run event with a role, or a type that belongs to no run. */
export function isKnownFrameType(g: LifecycleGrammar, type: string, event: number): boolean {
  return event >= 0 ? g.roleOf[event] !== ROLE.none : g.nonRun.has(type);
}

/** The key field path of each run event that opens or closes a keyed pair (by position in RUN_EVENTS), for the frame reader. */
export function computePairKeyFields(spec: LifecycleSpec): Array<string | undefined> {
  const keys: Array<string | undefined> = RUN_EVENTS.map(() => undefined);
  for (const p of spec.pairs) {
    if (p.key === undefined) continue;
    const o = computeRunEventIndex(p.open);
    const c = computeRunEventIndex(p.close);
    if (o >= 0) keys[o] = p.key;
    if (c >= 0) keys[c] = p.key;
  }
  return keys;
}
