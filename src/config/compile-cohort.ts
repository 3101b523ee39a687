// One cohort of a scenario: its flow, and its closed or open model with the
// stages scaled to a peak when `users` or `rate` is given beside them.
import type { Cohort } from '../core/scenario-types.js';
import { computeScaledRates, computeScaledUsers } from '../core/stage-scaling.js';
import { parseFlow, type PathParts, type PathProblem } from './flow-parser.js';
import { cohortSchema, KNOWN_KEYS } from './scenario-schema.js';
import { parseWith, type At } from './zod-problems.js';

/** Compiles cohort `name`; undefined when it is too broken to run (its problems reported through `at`). */
export function compileCohort(name: string, rawCohort: unknown, at: At): Cohort | undefined {
  const base: PathParts = ['cohorts', name];
  if (!/^[A-Za-z0-9_-]+$/.test(name)) at(base, `cohort name "${name}" must be letters, digits, "-" or "_"`, true);
  const flowIn = rawCohort && typeof rawCohort === 'object' ? (rawCohort as { flow?: unknown }).flow : undefined;
  const cpu =
    rawCohort && typeof rawCohort === 'object'
      ? (rawCohort as { connectionsPerUser?: unknown }).connectionsPerUser
      : undefined;
  const connectionsPerUser = typeof cpu === 'number' && Number.isInteger(cpu) && cpu > 0 ? cpu : 1;
  const { steps, problems } = Array.isArray(flowIn)
    ? parseFlow(flowIn, [...base, 'flow'], { connectionsPerUser })
    : { steps: [], problems: [] };
  for (const p of problems) report(at, p);
  const c = parseWith(cohortSchema, rawCohort, base, at, KNOWN_KEYS);
  if (!c) return undefined;
  const model = c.model ?? 'closed';
  const gracefulStopMs = c.gracefulStop ?? 30_000;
  const common = { name, startAfterMs: c.startAfter ?? 0, gracefulStopMs, connectionsPerUser, flow: steps };
  if (model === 'closed') {
    for (const k of ['rate', 'startRate', 'maxUsers'] as const)
      if (c[k] !== undefined)
        at(
          [...base, k],
          `"${k}" belongs to open cohorts; this cohort is closed (set model: open, or use users/stages)`,
          true,
        );
    if (c.stages && c.duration !== undefined)
      at(
        base,
        'give "stages", or "users" with "duration", not both ("users" alone next to "stages" scales them to that peak)',
      );
    let stages: Array<{ durationMs: number; users: number }> = [];
    let startUsers = c.startUsers ?? (c.stages ? 0 : (c.users ?? 0));
    if (c.stages) {
      c.stages.forEach((s, i) => {
        if (s.rate !== undefined)
          at([...base, 'stages', i, 'rate'], '"rate" belongs to open cohorts; closed stages take "users"', true);
        if (s.users === undefined)
          at([...base, 'stages', i], 'a closed stage needs "users", e.g. { duration: 30s, users: 10 }');
        else stages.push({ durationMs: s.duration, users: s.users });
      });
      if (stages.length && stages.every((s) => s.users === 0) && startUsers === 0)
        at([...base, 'stages'], 'every stage has 0 users: nobody would run');
      else if (c.users !== undefined && stages.length)
        ({ startUsers, stages } = computeScaledUsers(startUsers, stages, c.users) ?? { startUsers, stages });
    } else if (c.users !== undefined && c.duration !== undefined) {
      stages = [{ durationMs: c.duration, users: c.users }];
    } else {
      at(base, 'a closed cohort needs "stages", or "users" and "duration"');
    }
    return {
      ...common,
      model: { kind: 'closed', startUsers, stages, gracefulRampDownMs: c.gracefulRampDown ?? gracefulStopMs },
    };
  }
  for (const k of ['users', 'startUsers', 'gracefulRampDown'] as const)
    if (c[k] !== undefined)
      at([...base, k], `"${k}" belongs to closed cohorts; this cohort is open (use rate/stages and maxUsers)`, true);
  if (c.stages && c.duration !== undefined)
    at(
      base,
      'give "stages", or "rate" with "duration", not both ("rate" alone next to "stages" scales them to that peak)',
    );
  let stages: Array<{ durationMs: number; ratePerSec: number }> = [];
  if (c.stages) {
    c.stages.forEach((s, i) => {
      if (s.users !== undefined)
        at([...base, 'stages', i, 'users'], '"users" belongs to closed cohorts; open stages take "rate"', true);
      if (s.rate === undefined)
        at([...base, 'stages', i], 'an open stage needs "rate", e.g. { duration: 30s, rate: 5/s }');
      else stages.push({ durationMs: s.duration, ratePerSec: s.rate });
    });
  } else if (c.rate !== undefined && c.duration !== undefined) {
    stages = [{ durationMs: c.duration, ratePerSec: c.rate }];
  } else {
    at(base, 'an open cohort needs "stages", or "rate" and "duration"');
  }
  let startRatePerSec = c.startRate ?? stages[0]?.ratePerSec ?? 0;
  if (stages.length && stages.every((s) => s.ratePerSec === 0) && !c.startRate)
    at([...base, 'stages'], 'every stage has rate 0: nobody would arrive');
  else if (c.stages && c.rate !== undefined && stages.length)
    ({ startRatePerSec, stages } = computeScaledRates(startRatePerSec, stages, c.rate) ?? { startRatePerSec, stages });
  return { ...common, model: { kind: 'open', startRatePerSec, stages, maxUsers: c.maxUsers ?? 100 } };
}

function report(at: At, p: PathProblem): void {
  at(p.path, p.message, p.atKey);
}
