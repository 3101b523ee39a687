import type { OpenModel } from './scenario-types.js';

/** Yields the intended start of every arrival, in ms after the cohort start. */
export interface ArrivalCursor {
  /** The next arrival time, or undefined when the stages are over. */
  next(): number | undefined;
}

/** Total length of the open model's stages, ms. */
export function computeOpenDurationMs(model: OpenModel): number {
  return model.stages.reduce((n, s) => n + s.durationMs, 0);
}

/**
 * Arrival times of an open model (as k6's ramping-arrival-rate): the rate
 * moves linearly from the previous stage's rate to this stage's, and arrival
 * `j` (from 0) is due when the integral of the rate reaches `j`. Times are
 * exact, not drawn, so two runs of a scenario offer the same load.
 */
export function createArrivalCursor(model: OpenModel): ArrivalCursor {
  let stageIndex = 0;
  let stageStartMs = 0;
  let fromPerMs = model.startRatePerSec / 1000;
  let baseCount = 0; // arrivals due before the current stage (the integral at its start)
  let j = 0;
  return {
    next() {
      while (stageIndex < model.stages.length) {
        const stage = model.stages[stageIndex]!;
        const d = stage.durationMs;
        const toPerMs = stage.ratePerSec / 1000;
        const stageCount = (d * (fromPerMs + toPerMs)) / 2;
        const need = j - baseCount;
        // The tolerance keeps float error from adding an arrival at the very end.
        if (d > 0 && need < stageCount - EPSILON) {
          const t = solveRamp(fromPerMs, toPerMs, d, need);
          if (t < d - EPSILON) {
            j++;
            return stageStartMs + t;
          }
        }
        stageIndex++;
        stageStartMs += d;
        baseCount += stageCount;
        fromPerMs = toPerMs;
      }
      return undefined;
    },
  };
}

const EPSILON = 1e-9;

/** Solves q0·t + (q1−q0)·t²/(2d) = c for t in [0, d], in a form stable when q1 ≈ q0. */
function solveRamp(q0: number, q1: number, d: number, c: number): number {
  if (c <= 0) return 0;
  const a = (q1 - q0) / (2 * d);
  const disc = q0 * q0 + 4 * a * c;
  if (disc < 0) return d;
  const denom = q0 + Math.sqrt(disc);
  return denom > 0 ? (2 * c) / denom : d;
}

/** Every arrival time of the model; for tests and for planning (bounded by the stages). */
export function computeArrivalTimes(model: OpenModel): number[] {
  const out: number[] = [];
  const cur = createArrivalCursor(model);
  for (let t = cur.next(); t !== undefined; t = cur.next()) out.push(t);
  return out;
}
