import type { Logger } from 'pino';
import type { CompiledWire } from '../core/compiled-wire.js';
import type { Random } from '../core/random.js';
import type { ConnectionFactory } from '../protocol/connection.js';
import type { CanaryCodec } from '../core/canary.js';
import type { IsolationOracle } from '../core/isolation-oracle.js';
import type { LifecycleGrammar } from '../core/lifecycle-grammar.js';
import type { LifecycleOracle } from '../core/lifecycle-oracle.js';
import type { OwnershipLedger } from '../core/ownership-ledger.js';
import type { Scenario } from '../core/scenario-types.js';
import type { FrameReader } from '../protocol/frame-reader.js';
import type { RestClient } from '../protocol/rest-client.js';
import type { TokenProvider } from '../protocol/token-provider.js';

/** What every virtual user of one run shares. */
export interface RunContext {
  readonly scenario: Scenario;
  /** http(s) base of the target. */
  readonly baseUrl: string;
  /** Where persistent connections go (ws(s) URL, or the http(s) base for Socket.IO); '' when the transport has none. */
  readonly connectUrl: string;
  /** The adapter's routes and messages for the scenario's transport, compiled. */
  readonly wire: CompiledWire;
  /** Makes a tab's persistent connection (WebSocket or Socket.IO); undefined when the transport has none. */
  readonly connect: ConnectionFactory | undefined;
  readonly tokens: TokenProvider;
  readonly rest: RestClient;
  readonly reader: FrameReader;
  readonly rand: Random;
  readonly logger: Logger;
  /** Short random tag making ids unique per run. */
  readonly runTag: string;
  readonly maxPayloadBytes: number;
  /** Isolation and lifecycle checks (and canaries) on; off only to measure their cost. */
  readonly checks: boolean;
  readonly ledger: OwnershipLedger;
  readonly canaries: CanaryCodec;
  readonly isolation: IsolationOracle;
  readonly lifecycle: LifecycleOracle;
  /** The scenario's run grammar, compiled (what the oracle checks and what ends a run). */
  readonly lifecycleGrammar: LifecycleGrammar;
  /** Users (by global number) that completed an agent run, so each counts once in `users.with_run`. */
  readonly usersWithRun: Set<number>;
  /** Logs a failed operation, at most a few per kind so logs stay small under load. */
  noteError(cohort: string, kind: string, detail: string): void;
}

/** Builds the rate-limited error note of a {@link RunContext}. */
export function createErrorNoter(logger: Logger, perKind = 20): RunContext['noteError'] {
  const seen = new Map<string, number>();
  return (cohort, kind, detail) => {
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    if (n <= perKind) logger.warn({ cohort, kind, detail }, 'operation failed');
    else if (n === perKind + 1) logger.warn({ cohort, kind }, 'more failures of this kind are counted, not logged');
  };
}
