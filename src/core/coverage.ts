import { computeClosedPlan } from './closed-model.js';
import { createArrivalCursor } from './open-model.js';
import type { FlowStep, OpenModel, Scenario } from './scenario-types.js';
import { computeSegmentCount, type Segment } from './segment.js';
import type { CounterSummary, TrendSummary } from './summary.js';

/**
 * Minimums below which a run's isolation verdict is `untested`: a run that
 * checked nothing cannot say nobody saw another user's data. 0 turns one off.
 */
export interface CoverageFloor {
  readonly framesChecked: number;
  readonly restAnswersChecked: number;
  readonly runsCompleted: number;
  readonly usersWithRun: number;
  readonly probesAnswered: number;
}

/** The keys of {@link CoverageFloor}, as the scenario's `coverage:` block names them. */
const COVERAGE_FLOOR_KEYS = [
  'framesChecked',
  'restAnswersChecked',
  'runsCompleted',
  'usersWithRun',
  'probesAnswered',
] as const;

/** Attempts and successes of one kind of operation (connect, create_thread, send_message...). */
export interface OperationCoverage {
  readonly attempted: number;
  readonly succeeded: number;
}

/** What the run exercised, as summary.json's `coverage` gives it. */
export interface Coverage {
  /** WebSocket frames received, and of them checked by the isolation oracle. */
  readonly framesReceived: number;
  readonly framesChecked: number;
  /** REST answers checked by the isolation oracle. */
  readonly restAnswersChecked: number;
  readonly runsStarted: number;
  readonly runsCompleted: number;
  /** Users that completed at least one agent run. */
  readonly usersWithRun: number;
  readonly probesSent: number;
  /** Probes the target answered (any HTTP status, any upgrade answer), as opposed to lost to the network. */
  readonly probesAnswered: number;
  readonly operations: Readonly<Record<string, OperationCoverage>>;
  /** The floors the verdict was judged against. */
  readonly floor: CoverageFloor;
}

/** Why a run could not test what it was for. */
export interface CoverageGaps {
  /** Why isolation is untested, one line each (e.g. "0 frames received"). */
  readonly isolation: readonly string[];
  /** Operations that were tried and never once succeeded, one line each. */
  readonly operations: readonly string[];
}

type Metrics = Readonly<Record<string, TrendSummary | CounterSummary>>;

/** Reads coverage from a summary's counters (a run's, or several generators' merged). */
export function computeCoverage(metrics: Metrics, floor: CoverageFloor): Coverage {
  const value = (name: string): number => {
    const m = metrics[name];
    return m && m.type === 'counter' ? m.value : 0;
  };
  const ops: Record<string, OperationCoverage> = {};
  const attempted = metrics.operations;
  const succeeded = metrics['operations.succeeded'];
  if (attempted?.type === 'counter') {
    for (const [tag, n] of Object.entries(attempted.byTag)) {
      if (!tag.startsWith('op:') || n === 0) continue;
      const ok = succeeded?.type === 'counter' ? (succeeded.byTag[tag] ?? 0) : 0;
      ops[tag.slice(3)] = { attempted: n, succeeded: ok };
    }
  }
  return {
    framesReceived: value('ws.frames_received'),
    framesChecked: value('isolation.frames_checked'),
    restAnswersChecked: value('isolation.rest_checked'),
    runsStarted: value('runs.started'),
    runsCompleted: value('runs.completed'),
    usersWithRun: value('users.with_run'),
    probesSent: value('probes.sent'),
    probesAnswered: value('probes.answered'),
    operations: ops,
    floor,
  };
}

const FLOOR_TEXT: Readonly<Record<keyof CoverageFloor, (c: Coverage) => string>> = {
  framesChecked: (c) => (c.framesReceived === 0 ? '0 frames received' : `${c.framesChecked} frames checked`),
  restAnswersChecked: (c) => `${c.restAnswersChecked} REST answers checked`,
  runsCompleted: (c) => `${c.runsCompleted} agent runs completed${c.runsStarted ? ` of ${c.runsStarted} started` : ''}`,
  usersWithRun: (c) => `${c.usersWithRun} user${c.usersWithRun === 1 ? '' : 's'} completed an agent run`,
  probesAnswered: (c) => `${c.probesAnswered} probes answered${c.probesSent ? ` of ${c.probesSent} sent` : ''}`,
};

/** What falls below the floor (the root gap first), and which kinds of operation never succeeded. */
export function computeCoverageGaps(c: Coverage): CoverageGaps {
  const isolation: string[] = [];
  for (const key of COVERAGE_FLOOR_KEYS) {
    const min = c.floor[key];
    if (min > 0 && c[key] < min) isolation.push(`${FLOOR_TEXT[key](c)}${min > 1 ? `, below the floor of ${min}` : ''}`);
  }
  const operations: string[] = [];
  for (const [op, o] of Object.entries(c.operations)) {
    if (o.attempted > 0 && o.succeeded === 0) operations.push(`no ${op} ever succeeded (${o.attempted} attempted)`);
  }
  return { isolation, operations };
}

/** The floors of several generators' runs, for their merge: each the largest any of them had. */
export function mergeCoverageFloors(floors: readonly CoverageFloor[]): CoverageFloor {
  const out = { framesChecked: 0, restAnswersChecked: 0, runsCompleted: 0, usersWithRun: 0, probesAnswered: 0 };
  for (const f of floors) for (const k of COVERAGE_FLOOR_KEYS) out[k] = Math.max(out[k], f[k] ?? 0);
  return out;
}

const REST_STEPS: ReadonlySet<FlowStep['kind']> = new Set([
  'createThread',
  'listThreads',
  'getThread',
  'updateThread',
  'deleteThread',
  'listMessages',
  'postMessage',
]);

/** Arrivals of an open cohort, counted up to `atMost` (only whether a segment gets two matters). */
function countArrivals(model: OpenModel, atMost: number): number {
  const cursor = createArrivalCursor(model);
  let n = 0;
  while (n < atMost && cursor.next() !== undefined) n++;
  return n;
}

function flowHas(steps: readonly FlowStep[], test: (s: FlowStep) => boolean): boolean {
  return steps.some((s) => test(s) || (s.kind === 'repeat' && flowHas(s.steps, test)));
}

/**
 * The floors a scenario gets unless its `coverage:` block says otherwise:
 * at least one frame checked when users connect, one REST answer checked
 * when they call REST, one agent run completed when they send messages, two
 * users with a completed run when this segment has two or more senders (a
 * leak needs someone to leak from), and one probe answered when probes run.
 */
export function computeDefaultCoverageFloor(sc: Scenario, segment: Segment): CoverageFloor {
  let connects = false;
  let rest = false;
  let senders = 0;
  for (const c of sc.cohorts) {
    if (flowHas(c.flow, (s) => s.kind === 'connect' || s.kind === 'reconnect')) connects = true;
    if (flowHas(c.flow, (s) => REST_STEPS.has(s.kind))) rest = true;
    if (!flowHas(c.flow, (s) => s.kind === 'sendMessage')) continue;
    senders += computeSegmentCount(
      segment,
      c.model.kind === 'closed' ? computeClosedPlan(c.model).maxUsers : countArrivals(c.model, 2 * segment.modulus),
    );
  }
  const probes = sc.probes.crossUserReadPerSec > 0 || sc.probes.forgedTokensPerSec > 0 || sc.probes.adapterPerSec > 0;
  return {
    framesChecked: connects ? 1 : 0,
    restAnswersChecked: rest ? 1 : 0,
    runsCompleted: senders > 0 ? 1 : 0,
    usersWithRun: Math.min(2, senders),
    probesAnswered: probes ? 1 : 0,
  };
}
