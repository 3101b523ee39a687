// The scenario file's shape as TypeScript types, for scenarios written as objects in a
// test (`compileScenario({...})`). The zod schemas in scenario-schema.ts and
// flow-parser.ts stay the judges: these types only help an editor complete keys,
// so values are typed as written in YAML (durations and rates as text).
// test/api/library.test.ts checks the keys here against those schemas.
import type { TransportKind } from '../core/adapter.js';
import type { Delivery } from '../core/scenario-types.js';
import type { AgentPresetName } from '../target/agent-presets.js';
import type { FaultSpec } from '../target/fault-spec.js';
import type { Dialect } from '../target/wire-dialect.js';

/** A duration as written in a scenario: `500ms`, `30s`, `2m`, `1h30m`. */
export type DurationText = string;

/** A rate as written in a scenario: `5/s`, `300/m`. */
export type RateText = string;

/** What a `sendMessage` or `stopAgent` step waits for: `none`, a role such as `terminal`, or a run event name. */
export type AwaitText = string;

/** A flow step without parameters, written as its bare name. */
export type BareStepDefinition =
  | 'connect'
  | 'disconnect'
  | 'reconnect'
  | 'createThread'
  | 'listThreads'
  | 'getThread'
  | 'updateThread'
  | 'deleteThread'
  | 'listMessages'
  | 'stopAgent';

/** A flow step with parameters: a mapping with exactly one step name. Text fields take `{{user}}`-style templates. */
export type ParamStepDefinition =
  | { readonly connect: { readonly connections?: number } }
  | { readonly disconnect: Readonly<Record<string, never>> }
  | { readonly reconnect: Readonly<Record<string, never>> }
  | { readonly createThread: { readonly title?: string; readonly metadata?: Readonly<Record<string, unknown>> } }
  | { readonly listThreads: { readonly limit?: number; readonly offset?: number } }
  | { readonly getThread: { readonly thread?: string } }
  | {
      readonly updateThread: {
        readonly thread?: string;
        readonly title?: string;
        readonly metadata?: Readonly<Record<string, unknown>>;
      };
    }
  | { readonly deleteThread: { readonly thread?: string } }
  | { readonly listMessages: { readonly thread?: string; readonly limit?: number } }
  | { readonly postMessage: { readonly thread?: string; readonly content: string } }
  | {
      readonly sendMessage: {
        readonly thread?: string;
        readonly content: string;
        readonly await?: AwaitText;
        readonly timeout?: DurationText;
        readonly connection?: number;
      };
    }
  | { readonly stopAgent: { readonly await?: AwaitText; readonly timeout?: DurationText } }
  | {
      readonly think:
        DurationText | { readonly min: DurationText; readonly max: DurationText } | { readonly duration: DurationText };
    }
  | { readonly idle: DurationText | { readonly duration: DurationText } }
  | {
      readonly repeat: {
        readonly times?: number;
        readonly duration?: DurationText;
        readonly steps: readonly FlowStepDefinition[];
      };
    };

/** One step of a cohort's flow, as in YAML. */
export type FlowStepDefinition = BareStepDefinition | ParamStepDefinition;

/** One stage: `users` for a closed cohort, `rate` for an open one. */
export interface StageDefinition {
  readonly duration: DurationText;
  readonly users?: number;
  readonly rate?: RateText;
}

/** One cohort under `cohorts`: `users` + `duration`, or `stages`; `model: open` takes rates and `maxUsers`. */
export interface CohortDefinition {
  readonly model?: 'closed' | 'open';
  readonly stages?: readonly StageDefinition[];
  readonly users?: number;
  readonly startUsers?: number;
  readonly duration?: DurationText;
  readonly rate?: RateText;
  readonly startRate?: RateText;
  readonly maxUsers?: number;
  readonly startAfter?: DurationText;
  readonly gracefulStop?: DurationText;
  readonly gracefulRampDown?: DurationText;
  readonly connectionsPerUser?: number;
  readonly flow: readonly FlowStepDefinition[];
}

/** `target`: omit `url` to run against the embedded reference target. */
export interface TargetDefinition {
  readonly url?: string;
  readonly wsUrl?: string;
  /** An adapter: a built-in name (`crosstalk`, `langgraph`) or a file path, relative to the scenario's folder. */
  readonly api?: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  readonly transport?: TransportKind;
  readonly embedded?: {
    readonly agent?: AgentPresetName;
    readonly seed?: number;
    readonly rateLimit?: RateText;
    readonly heartbeat?: DurationText;
    /** `misroute=0.005,drop=0.01` or `{ misroute: 0.005 }`. */
    readonly faults?: string | FaultSpec;
    readonly dialect?: Dialect;
    readonly noise?: boolean;
  };
  readonly connectTimeout?: DurationText;
  readonly requestTimeout?: DurationText;
}

/** `auth`: how simulated users get their tokens. */
export interface AuthDefinition {
  readonly kind?: 'jwt' | 'login' | 'static';
  /** The environment variable holding the JWT secret (`SIM_JWT_SECRET` by default). */
  readonly secretEnv?: string;
  readonly delivery?: Delivery;
  readonly ttl?: DurationText;
  readonly renewBefore?: DurationText;
  readonly issuer?: string;
  readonly audience?: string;
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly login?: {
    readonly url: string;
    readonly method?: 'POST' | 'PUT';
    readonly body?: Readonly<Record<string, unknown>>;
    readonly tokenPath?: string;
    readonly expiresInPath?: string;
  };
  readonly tokensFile?: string;
}

/** A probe: on at its default rate, off, or at a rate. */
export type ProbeDefinition = boolean | { readonly rate: RateText };

/** A threshold in its long form. */
export interface ThresholdLongDefinition {
  readonly threshold: string;
  readonly abortOnFail?: boolean;
  readonly delay?: DurationText;
}

/** One value under `thresholds`: `"p(95) < 2s"`, a long form, or a list of them. */
export type ThresholdDefinition = string | ThresholdLongDefinition | readonly (string | ThresholdLongDefinition)[];

/** A long `outputs.publish` entry: where to remote-write, with credentials read from the environment. */
export interface PublishDefinition {
  readonly kind: 'prometheus-rw';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly bearerTokenEnv?: string;
  readonly basicAuthEnv?: string;
}

/** `outputs:`: a run's figures published while it goes on (README "Watching a run live"). */
export interface OutputsDefinition {
  readonly interval?: DurationText;
  readonly flushTimeout?: DurationText;
  readonly labels?: Readonly<Record<string, string | number | boolean>>;
  /** `KIND=URL` (e.g. `prometheus-rw=http://127.0.0.1:9090/api/v1/write`) or the long form. */
  readonly publish?: readonly (string | PublishDefinition)[];
  readonly metricsPort?: number;
  readonly metricsHost?: string;
}

/** A whole scenario as written in YAML (design.md "Scenario file"). */
export interface ScenarioDefinition {
  readonly name: string;
  readonly description?: string;
  readonly seed?: number;
  readonly target?: TargetDefinition;
  readonly auth?: AuthDefinition;
  readonly users?: { readonly prefix?: string; readonly ids?: readonly string[]; readonly file?: string };
  readonly cohorts: Readonly<Record<string, CohortDefinition>>;
  readonly probes?: {
    readonly crossUserRead?: ProbeDefinition;
    readonly forgedTokens?: ProbeDefinition;
    readonly adapter?: ProbeDefinition;
  };
  /** Metric (with an optional `{tag:value}` scope) → expressions. */
  readonly thresholds?: Readonly<Record<string, ThresholdDefinition>>;
  /** Coverage floors over the defaults. */
  readonly outputs?: OutputsDefinition;
  readonly coverage?: {
    readonly framesChecked?: number;
    readonly restAnswersChecked?: number;
    readonly runsCompleted?: number;
    readonly usersWithRun?: number;
    readonly probesAnswered?: number;
  };
}
