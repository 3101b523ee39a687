import type { Adapter, TransportKind } from './adapter.js';
import type { CoverageFloor } from './coverage.js';

/**
 * The validated scenario, as the config layer hands it inward: durations in
 * ms, rates per second, templates still as text. Everything is readonly.
 */
import type { LifecycleSpec } from './lifecycle-grammar.js';
import type { ParsedThreshold } from './thresholds.js';

/** A duration range in ms; `min === max` for a fixed one. */
export interface DurationRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** One step of a flow, after validation. */
export type FlowStep =
  | { readonly kind: 'connect'; readonly connections?: number }
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'reconnect' }
  | { readonly kind: 'createThread'; readonly title?: string; readonly metadata?: Readonly<Record<string, unknown>> }
  | { readonly kind: 'listThreads'; readonly limit?: number; readonly offset?: number }
  | { readonly kind: 'getThread'; readonly thread: string }
  | {
      readonly kind: 'updateThread';
      readonly thread: string;
      readonly title?: string;
      readonly metadata?: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'deleteThread'; readonly thread: string }
  | { readonly kind: 'listMessages'; readonly thread: string; readonly limit?: number }
  | { readonly kind: 'postMessage'; readonly thread: string; readonly content: string }
  | {
      readonly kind: 'sendMessage';
      readonly thread: string;
      readonly content: string;
      readonly await: string;
      readonly timeoutMs: number;
      readonly connection: number;
    }
  | { readonly kind: 'stopAgent'; readonly await: string; readonly timeoutMs: number }
  | { readonly kind: 'think'; readonly range: DurationRange }
  | { readonly kind: 'idle'; readonly durationMs: number }
  | {
      readonly kind: 'repeat';
      readonly times?: number;
      readonly durationMs?: number;
      readonly steps: readonly FlowStep[];
    };

/** The names of every step kind, as they are written in YAML. */
export const STEP_KINDS = [
  'connect',
  'disconnect',
  'reconnect',
  'createThread',
  'listThreads',
  'getThread',
  'updateThread',
  'deleteThread',
  'listMessages',
  'postMessage',
  'sendMessage',
  'stopAgent',
  'think',
  'idle',
  'repeat',
] as const;

/** A closed-model stage: ramp linearly to `users` over `durationMs`. */
export interface UserStage {
  readonly durationMs: number;
  readonly users: number;
}

/** An open-model stage: ramp linearly to `ratePerSec` over `durationMs`. */
export interface RateStage {
  readonly durationMs: number;
  readonly ratePerSec: number;
}

/** Closed model: a number of users, each looping its flow. */
export interface ClosedModel {
  readonly kind: 'closed';
  readonly startUsers: number;
  readonly stages: readonly UserStage[];
  readonly gracefulRampDownMs: number;
}

/** Open model: arrivals per second, each running its flow once. */
export interface OpenModel {
  readonly kind: 'open';
  readonly startRatePerSec: number;
  readonly stages: readonly RateStage[];
  readonly maxUsers: number;
}

/** One group of users with its own model and flow. */
export interface Cohort {
  readonly name: string;
  readonly model: ClosedModel | OpenModel;
  readonly startAfterMs: number;
  readonly gracefulStopMs: number;
  readonly connectionsPerUser: number;
  readonly flow: readonly FlowStep[];
}

/** Token deliveries of protocol.md. */
export type Delivery = 'subprotocol' | 'header' | 'query' | 'ticket';

/** How users get tokens. */
export type AuthConfig =
  | {
      readonly kind: 'jwt';
      readonly secretEnv: string;
      readonly delivery: Delivery;
      readonly ttlMs: number;
      readonly renewBeforeMs: number;
      readonly issuer?: string;
      readonly audience?: string;
      readonly claims: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: 'login';
      readonly delivery: Delivery;
      readonly renewBeforeMs: number;
      readonly url: string;
      readonly method: string;
      readonly body: Readonly<Record<string, unknown>>;
      readonly tokenPath: string;
      readonly expiresInPath: string;
    }
  | {
      readonly kind: 'static';
      readonly delivery: Delivery;
      readonly file: string;
      readonly tokens: Readonly<Record<string, string>>;
    };

/** Who the simulated users are. */
export interface UsersConfig {
  readonly prefix: string;
  /** Fixed ids (real staging accounts); undefined: generated ids unique per run. */
  readonly ids?: readonly string[];
}

/** Settings of the embedded reference target. */
export interface EmbeddedTargetConfig {
  readonly agent: 'instant' | 'fast' | 'realistic';
  readonly seed: number;
  readonly rateLimitPerSec: number;
  readonly heartbeatMs: number;
  /** `--faults` spec for the embedded target, e.g. `misroute=0.005`; '' for none. */
  readonly faults: string;
  /** Frame shape the embedded target writes. */
  readonly dialect: 'canonical' | 'data' | 'flat' | 'short-ids';
  /** How it serves runs (the scenario's transport). */
  readonly transport: TransportKind;
  /** Clean but hard to read (`serve --noise`): for measuring false alarms. */
  readonly noise: boolean;
}

/** protocol.md's own names of the fields a frame carries (the default profile's). */
export const PROTOCOL_FIELDS = {
  userId: 'user_id',
  threadId: 'thread_id',
  runId: 'run_id',
  messageId: 'message_id',
  seq: 'seq',
  timestamp: 'timestamp',
  code: 'code',
} as const;

/** How a backend's frames are read (protocol.md "Tolerance"): an adapter's `events`. */
export interface FrameProfile {
  /** Where fields are looked up, in order; '' is the frame's root. */
  readonly fieldRoots: readonly string[];
  /** Names of the type field, in order. */
  readonly typeFields: readonly string[];
  /** A backend's event name → the canonical name. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Dotted path of each owner field inside a root. */
  readonly fields: Readonly<{
    userId: string;
    threadId: string;
    runId: string;
    messageId: string;
    seq: string;
    timestamp: string;
    code: string;
  }>;
  readonly timestampUnit: 'auto' | 's' | 'ms' | 'iso';
  /**
   * What a JSON array received is: a batch of frames (the default), or one
   * frame, a tuple whose elements the field paths step into (LangGraph's
   * `messages` data is `[chunk, metadata]`, its owner at `1.owner`).
   */
  readonly arrays?: 'batch' | 'frame';
  /** The order rules of a run (`lifecycle`, with `requiredEvents` and `ignoreTypes` folded in). */
  readonly lifecycle: LifecycleSpec;
}

/** Where the target is. */
export interface TargetConfig {
  /** http(s) base; undefined: start the embedded target. */
  readonly url?: string;
  readonly wsUrl?: string;
  /** The backend's wire (`target.api`), its parameters applied. */
  readonly adapter: Adapter;
  /** The adapter's transport this scenario uses (`target.transport`, else the adapter's default). */
  readonly transport: TransportKind;
  readonly embedded: EmbeddedTargetConfig;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Active checks that try to break isolation on purpose; rates in probes per second, 0 is off. */
export interface ProbesConfig {
  readonly crossUserReadPerSec: number;
  readonly forgedTokensPerSec: number;
  /** The adapter's own cross-user probes (its `probes:`), taken in turn. */
  readonly adapterPerSec: number;
}

/** One `prometheus-rw` output: where, and which credentials (read from the environment, never the file). */
export interface RemoteWriteConfig {
  readonly url: string;
  /** Extra headers, e.g. a tenant's `X-Scope-OrgID`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Environment variable holding a bearer token. */
  readonly bearerTokenEnv?: string;
  /** Environment variable holding `user:password` for basic auth. */
  readonly basicAuthEnv?: string;
  /** Where it was given, for messages: `--publish` or `outputs.publish[0]`. */
  readonly source: string;
}

/** Live outputs (`outputs:`, `--publish`, `--metrics-port`): figures streamed while the run goes on. */
export interface OutputsConfig {
  /** How often figures are published (default 5 s). */
  readonly intervalMs: number;
  /** How long the end of a run waits for remote writes to be delivered (default 5 s). */
  readonly flushTimeoutMs: number;
  /** Labels added to every series. */
  readonly labels: Readonly<Record<string, string>>;
  readonly prometheusRw: readonly RemoteWriteConfig[];
  /** `/metrics` port; 0 picks a free one; absent: no endpoint. */
  readonly metricsPort?: number;
  /** Address the endpoint listens on (default every interface, as exporters do). */
  readonly metricsHost: string;
}

/** A whole validated scenario. */
export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly file: string;
  readonly sha256: string;
  readonly seed: number;
  readonly target: TargetConfig;
  readonly auth: AuthConfig;
  readonly users: UsersConfig;
  readonly cohorts: readonly Cohort[];
  readonly probes: ProbesConfig;
  /** Parsed once, as the file was loaded: `metricKey` is the metric as written, e.g. `run.total{cohort:chatters}`. */
  readonly thresholds: readonly ParsedThreshold[];
  /** The scenario's own coverage floors (`coverage:`), over the defaults. */
  readonly coverage: Partial<CoverageFloor>;
  /** Live outputs; absent when there are none. */
  readonly outputs?: OutputsConfig;
}
