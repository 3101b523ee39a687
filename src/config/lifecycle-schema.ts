import { z } from 'zod';
import {
  computeLifecycleProblems,
  DEFAULT_LIFECYCLE,
  END_OUTCOMES,
  formatLifecyclePath,
  type LifecycleSpec,
} from '../core/lifecycle-grammar.js';
import { computeCanonicalEvent, EVENT_ROLES, RUN_EVENTS } from '../core/metric-names.js';
import { text } from './field-schemas.js';
import type { PathParts } from './flow-parser.js';

/** A run event: a role (started, thinking, tool_start, tool_end, content, completed, failed, stopped) or its canonical name; read as the canonical name. */
export const runEventName = () =>
  z.any().transform((v, ctx) => {
    const e = typeof v === 'string' ? computeCanonicalEvent(v) : undefined;
    if (e === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a role (${Object.keys(EVENT_ROLES).join(', ')}) or a canonical event (${RUN_EVENTS.join(', ')}), got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return e;
  });
const events = () => z.array(runEventName());

/** `target.profile.lifecycle`: a run's grammar; every key left out keeps protocol.md's default. */
export const lifecycleSchema = z.strictObject({
  start: events().optional(),
  body: events().optional(),
  pairs: z.array(z.strictObject({ open: runEventName(), close: runEventName(), key: text().optional() })).optional(),
  end: z
    .strictObject({ completed: events().optional(), failed: events().optional(), stopped: events().optional() })
    .optional(),
  required: events().optional(),
  nonRun: z.array(text()).optional(),
});

/** The keys of `lifecycle` and its `pairs` and `end` entries, for "did you mean" hints. */
export const LIFECYCLE_KEYS: readonly string[] = [
  ...Object.keys(lifecycleSchema.shape),
  'open',
  'close',
  'key',
  'completed',
  'failed',
  'stopped',
];

/** What the profile says about a run's grammar, as the schema read it. */
export interface RawLifecycleProfile {
  readonly lifecycle?: z.infer<typeof lifecycleSchema> | undefined;
  readonly requiredEvents?: readonly (typeof RUN_EVENTS)[number][] | undefined;
  readonly ignoreTypes?: readonly string[] | undefined;
}

type At = (path: PathParts, message: string, atKey?: boolean) => void;

/**
 * Builds the scenario's grammar: `lifecycle` key by key over protocol.md's
 * default, `requiredEvents` as a shorthand for `lifecycle.required`, and
 * `ignoreTypes` added to `lifecycle.nonRun`. Problems (an event in two roles,
 * nothing that completes a run...) are reported at the YAML path that caused
 * them; a default involved in one is named as such.
 */
export function compileLifecycleSpec(
  p: RawLifecycleProfile | undefined,
  at: At,
  PROFILE: PathParts = ['events'],
): LifecycleSpec {
  const LIFECYCLE: PathParts = [...PROFILE, 'lifecycle'];
  const lc = p?.lifecycle;
  if (lc?.required !== undefined && p?.requiredEvents !== undefined)
    at(
      [...PROFILE, 'requiredEvents'],
      'give lifecycle.required or requiredEvents (its older shorthand), not both',
      true,
    );
  const requiredFromShorthand = lc?.required === undefined && p?.requiredEvents !== undefined;
  const nonRunBase = lc?.nonRun ?? DEFAULT_LIFECYCLE.nonRun;
  const spec: LifecycleSpec = {
    start: lc?.start ?? DEFAULT_LIFECYCLE.start,
    body: lc?.body ?? DEFAULT_LIFECYCLE.body,
    pairs: lc?.pairs ?? DEFAULT_LIFECYCLE.pairs,
    end: {
      completed: lc?.end?.completed ?? DEFAULT_LIFECYCLE.end.completed,
      failed: lc?.end?.failed ?? DEFAULT_LIFECYCLE.end.failed,
      stopped: lc?.end?.stopped ?? DEFAULT_LIFECYCLE.end.stopped,
    },
    required: lc?.required ?? p?.requiredEvents ?? DEFAULT_LIFECYCLE.required,
    nonRun: [...nonRunBase, ...(p?.ignoreTypes ?? [])],
  };
  /** Where a grammar path was written; undefined when it is a default. */
  const source = (rel: ReadonlyArray<string | number>): PathParts | undefined => {
    const [key, second] = rel;
    if (key === 'required')
      return lc?.required !== undefined
        ? [...LIFECYCLE, ...rel]
        : requiredFromShorthand
          ? [...PROFILE, 'requiredEvents', ...rel.slice(1)]
          : undefined;
    if (key === 'nonRun') {
      const i = typeof second === 'number' ? second : 0;
      if (i >= nonRunBase.length) return [...PROFILE, 'ignoreTypes', i - nonRunBase.length];
      return lc?.nonRun !== undefined ? [...LIFECYCLE, ...rel] : undefined;
    }
    if (key === 'end')
      return lc?.end?.[second as (typeof END_OUTCOMES)[number]] !== undefined ? [...LIFECYCLE, ...rel] : undefined;
    return lc?.[key as 'start' | 'body' | 'pairs'] !== undefined ? [...LIFECYCLE, ...rel] : undefined;
  };
  for (const problem of computeLifecycleProblems(spec)) {
    const here = source(problem.path);
    const there = problem.also ? source(problem.also) : undefined;
    if (here) at(here, problem.also && !there ? `${problem.message} (${defaultNote(problem.also)})` : problem.message);
    else if (there)
      at(
        there,
        `${problem.message.replace(/is already in [^\s:]+/, `is also in ${formatLifecyclePath(problem.path)}`)} (${defaultNote(problem.path)})`,
      );
    else at(lc ? LIFECYCLE : PROFILE, `${problem.message} (${defaultNote(problem.path)})`, lc === undefined);
  }
  return spec;
}

/** Says that a grammar key is protocol.md's default, and how to change it. */
function defaultNote(rel: ReadonlyArray<string | number>): string {
  const key = rel[0] === 'end' ? rel.slice(0, 2) : rel.slice(0, 1);
  return `${formatLifecyclePath(key)} is protocol.md's default; set it to change that`;
}
