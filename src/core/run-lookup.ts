// Finding a user's run by message id or run id, among its open runs and the
// ended ones it keeps, and how long ended runs stay findable. A user mostly
// has one run open, so a frame finds its run by comparing ids along short
// lists, newest first; RunTracker switches to tables only while many runs
// are open at once (INDEXED_FROM). Module functions over the tracker's own
// lists and tables, called from its per-frame correlate.
import type { RunRecord } from './run-record.js';

// Late frames of a run that timed out (or failed, or was stopped) come within seconds: the last
// few such runs, and none older than KEPT_US, are enough. Kept by age as well as by count, so
// 1000 users that each run now and then do not hold 16 old runs apiece.
const ENDED_KEPT = 16;
// A run that completed has sent all it meant to; what comes after is a duplicate or a stray,
// and comes at once. Keeping only the last two means a user looping fast runs does not hold a
// run for longer than the nursery keeps objects, which would promote every one of them.
const COMPLETED_KEPT = 2;
const KEPT_US = 30_000_000;
/** Beyond this many runs open at once, a user's runs are found through tables, not by comparing along the lists. */
export const INDEXED_FROM = 8;

/**
 * The run that sent message `id`: through `byMessage` when the tracker keeps
 * tables, else the newest match along the open, then the kept completed,
 * then the kept ended runs.
 */
export function findRunByMessage(
  byMessage: ReadonlyMap<string, RunRecord> | undefined,
  open: readonly RunRecord[],
  completed: readonly RunRecord[],
  ended: readonly RunRecord[],
  id: string,
): RunRecord | undefined {
  if (byMessage) return byMessage.get(id);
  for (let i = open.length - 1; i >= 0; i--) if (open[i]!.messageId === id) return open[i];
  for (let i = completed.length - 1; i >= 0; i--) if (completed[i]!.messageId === id) return completed[i];
  for (let i = ended.length - 1; i >= 0; i--) if (ended[i]!.messageId === id) return ended[i];
  return undefined;
}

/** The newest run that announced run id `id` (as a table that maps each id to its last claimant would). */
export function findRunByRun(
  byRun: ReadonlyMap<string, RunRecord> | undefined,
  open: readonly RunRecord[],
  completed: readonly RunRecord[],
  ended: readonly RunRecord[],
  id: string,
): RunRecord | undefined {
  if (byRun) return byRun.get(id);
  let found: RunRecord | undefined;
  for (let i = 0; i < open.length; i++)
    if (open[i]!.runId === id && (!found || found.sentAtUs <= open[i]!.sentAtUs)) found = open[i];
  if (found) return found;
  for (let i = completed.length - 1; i >= 0; i--) if (completed[i]!.runId === id) return completed[i];
  for (let i = ended.length - 1; i >= 0; i--) if (ended[i]!.runId === id) return ended[i];
  return undefined;
}

/**
 * Keeps a run that just ended findable for a while, so that late frames of a
 * run are recognised as this user's own (and a duplicate after the end is
 * caught): completed runs in `completed`, others in `ended`, each the last
 * few and none older than KEPT_US; a run that falls out leaves the tables
 * too. Queues in end order, so forgetting never walks a map.
 */
export function keepEndedRun(
  completed: RunRecord[],
  ended: RunRecord[],
  rec: RunRecord,
  nowUs: number,
  byMessage: Map<string, RunRecord> | undefined,
  byRun: Map<string, RunRecord> | undefined,
): void {
  const q = rec.outcome === 'completed' ? completed : ended;
  const limit = rec.outcome === 'completed' ? COMPLETED_KEPT : ENDED_KEPT;
  q.push(rec);
  while (q.length > limit || nowUs - q[0]!.endedAtUs > KEPT_US) {
    const old = q.shift()!;
    if (!byMessage) continue;
    if (byMessage.get(old.messageId) === old) byMessage.delete(old.messageId);
    if (old.runId !== undefined && byRun!.get(old.runId) === old) byRun!.delete(old.runId);
  }
}
