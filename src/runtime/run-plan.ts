// What a run derives from its scenario before any user starts: how many
// worker threads, where each cohort starts in a fixed id list, where
// persistent connections go, and the run tag the generators of one segmented
// run share without talking.
import { createHash } from 'node:crypto';
import { computeClosedPlan } from '../core/closed-model.js';
import type { Scenario } from '../core/scenario-types.js';

/**
 * The run tag (user ids, canaries) every generator of one segmented run
 * derives alike without talking: from the scenario and the agreed start time
 * exactly as written (`--start-at`).
 */
export function computeSegmentRunTag(scenarioSha256: string, startAt: string | undefined): string {
  return createHash('sha256')
    .update(`${scenarioSha256}|${startAt ?? ''}`)
    .digest('hex')
    .slice(0, 6);
}

/** One worker per core (`cores`, read by the caller), capped by the most users the scenario runs at once. */
export function computeDefaultWorkers(sc: Scenario, cores: number): number {
  let users = 0;
  for (const c of sc.cohorts)
    users += c.model.kind === 'closed' ? computeClosedPlan(c.model).maxUsers : c.model.maxUsers;
  return Math.max(1, Math.min(cores, users));
}

/** Where each cohort starts in a fixed id list (cohorts take consecutive entries). */
export function computeFixedIdOffsets(sc: Scenario): number[] {
  let offset = 0;
  return sc.cohorts.map((c) => {
    const o = offset;
    offset += c.model.kind === 'closed' ? computeClosedPlan(c.model).maxUsers : c.model.maxUsers;
    return o;
  });
}

/** Where persistent connections go: the ws(s) URL of a WebSocket transport (`target.wsUrl` wins), the base URL for Socket.IO, none for SSE. */
export function computeConnectUrl(sc: Scenario, baseUrl: string): string {
  const t = sc.target.adapter.transports[sc.target.transport];
  if (t?.path === undefined) return '';
  if (sc.target.transport === 'ws') return sc.target.wsUrl ?? `${baseUrl.replace(/^http/, 'ws')}${t.path}`;
  return baseUrl;
}
