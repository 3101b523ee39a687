import { z } from 'zod';
import { AGENT_PRESET_NAMES } from '../target/agent-presets.js';
import { bool, durationMs, int, oneOf, plainObject, ratePerSec, text, url } from './field-schemas.js';
import { DIALECTS } from '../target/wire-dialect.js';
import { parseFaultSpec, FAULT_NAMES } from '../target/fault-spec.js';
import { TRANSPORTS } from '../core/adapter.js';
import { OUTPUTS_KEYS } from './outputs-schema.js';

/** Faults as `misroute=0.005,drop=0.01` or a mapping of name to probability. */
const faultsField = z.unknown().transform((v, ctx) => {
  let spec: string | undefined;
  if (typeof v === 'string') spec = v;
  else if (v && typeof v === 'object' && !Array.isArray(v))
    spec = Object.entries(v)
      .map(([k, p]) => `${k}=${String(p)}`)
      .join(',');
  const parsed =
    spec === undefined
      ? ['expected a spec such as "misroute=0.005,drop=0.01" or a mapping { misroute: 0.005 }']
      : parseFaultSpec(spec);
  if (Array.isArray(parsed)) {
    ctx.addIssue({ code: 'custom', message: `${parsed.join('; ')} (faults: ${FAULT_NAMES.join(', ')})` });
    return z.NEVER;
  }
  return spec!;
});

/** A probe: true (default rate), false, or { rate: 5/s }. */
const probeField = z.union([bool(), z.strictObject({ rate: ratePerSec() })]);

/** `target`. */
export const targetSchema = z.strictObject({
  url: url(['http', 'https']).optional(),
  wsUrl: url(['ws', 'wss']).optional(),
  /** Moved into adapters; kept only to say where it went. */
  wsPath: z.unknown().optional(),
  profile: z.unknown().optional(),
  api: text().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  transport: oneOf(TRANSPORTS).optional(),
  embedded: z
    .strictObject({
      agent: oneOf(AGENT_PRESET_NAMES).optional(),
      seed: int(0).optional(),
      rateLimit: ratePerSec().optional(),
      heartbeat: durationMs().optional(),
      faults: faultsField.optional(),
      dialect: oneOf(DIALECTS).optional(),
      noise: bool().optional(),
    })
    .optional(),
  connectTimeout: durationMs().optional(),
  requestTimeout: durationMs().optional(),
});

const deliverySchema = oneOf(['subprotocol', 'header', 'query', 'ticket'] as const);

/** `auth`. */
export const authSchema = z.strictObject({
  kind: oneOf(['jwt', 'login', 'static'] as const).optional(),
  secretEnv: text().optional(),
  delivery: deliverySchema.optional(),
  ttl: durationMs({ min: 1000 }).optional(),
  renewBefore: durationMs({ allowZero: true }).optional(),
  issuer: text().optional(),
  audience: text().optional(),
  claims: plainObject().optional(),
  login: z
    .strictObject({
      url: text(),
      method: oneOf(['POST', 'PUT'] as const).optional(),
      body: plainObject().optional(),
      tokenPath: text().optional(),
      expiresInPath: text().optional(),
    })
    .optional(),
  tokensFile: text().optional(),
});

/** `users`. */
export const usersSchema = z.strictObject({
  prefix: text().optional(),
  ids: z.array(text()).min(1).optional(),
  file: text().optional(),
});

/** One entry of `stages` (users for closed cohorts, rate for open ones). */
export const stageSchema = z.strictObject({
  duration: durationMs(),
  users: int(0).optional(),
  rate: ratePerSec({ allowZero: true }).optional(),
});

/** One cohort under `cohorts`. */
export const cohortSchema = z.strictObject({
  model: oneOf(['closed', 'open'] as const).optional(),
  stages: z.array(stageSchema).min(1).optional(),
  users: int(1).optional(),
  startUsers: int(0).optional(),
  duration: durationMs().optional(),
  rate: ratePerSec().optional(),
  startRate: ratePerSec({ allowZero: true }).optional(),
  maxUsers: int(1).optional(),
  startAfter: durationMs({ allowZero: true }).optional(),
  gracefulStop: durationMs({ allowZero: true }).optional(),
  gracefulRampDown: durationMs({ allowZero: true }).optional(),
  connectionsPerUser: int(1, 64).optional(),
  flow: z.array(z.unknown()).min(1),
});

/** The long form of a threshold. */
export const thresholdLongSchema = z.strictObject({
  threshold: text(),
  abortOnFail: bool().optional(),
  delay: durationMs({ allowZero: true }).optional(),
});

const thresholdEntry = z.union([z.string(), thresholdLongSchema]);

/** The whole file, before model-specific checks. */
export const scenarioSchema = z.strictObject({
  name: text(),
  description: z.string().optional(),
  seed: int(0).optional(),
  target: targetSchema.optional(),
  auth: authSchema.optional(),
  users: usersSchema.optional(),
  cohorts: z.record(z.string(), z.unknown()),
  probes: z
    .strictObject({
      crossUserRead: probeField.optional(),
      forgedTokens: probeField.optional(),
      adapter: probeField.optional(),
    })
    .optional(),
  thresholds: z.record(z.string(), z.unknown()).optional(),
  coverage: z
    .strictObject({
      framesChecked: int(0).optional(),
      restAnswersChecked: int(0).optional(),
      runsCompleted: int(0).optional(),
      usersWithRun: int(0).optional(),
      probesAnswered: int(0).optional(),
    })
    .optional(),
  /** Checked by outputs-schema.ts, which reports each entry on its own. */
  outputs: z.unknown().optional(),
});

/** One value under `thresholds`: an expression, a long form, or a list of them. */
export const thresholdValueSchema = z.union([thresholdEntry, z.array(thresholdEntry).min(1)]);

/** The parsed (not yet checked across fields) scenario. */
export type RawScenario = z.infer<typeof scenarioSchema>;

/** Every key any scenario object may hold, for "did you mean" hints. */
export const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(scenarioSchema.shape),
  ...Object.keys(targetSchema.shape),
  ...Object.keys(authSchema.shape),
  ...Object.keys(usersSchema.shape),
  ...Object.keys(cohortSchema.shape),
  ...Object.keys(stageSchema.shape),
  'agent',
  'seed',
  'rateLimit',
  'heartbeat',
  'userId',
  'threadId',
  'runId',
  'messageId',
  'timestamp',
  'code',
  'method',
  'body',
  'tokenPath',
  'expiresInPath',
  'threshold',
  'abortOnFail',
  'delay',
  'title',
  'metadata',
  'limit',
  'offset',
  'thread',
  'content',
  'await',
  'timeout',
  'connection',
  'connections',
  'min',
  'max',
  'times',
  'steps',
  'faults',
  'dialect',
  'probes',
  'crossUserRead',
  'forgedTokens',
  'adapter',
  'rate',
  'requiredEvents',
  'ignoreTypes',
  'coverage',
  'framesChecked',
  'restAnswersChecked',
  'runsCompleted',
  'usersWithRun',
  'probesAnswered',
  'noise',
  'api',
  'params',
  'transport',
  ...OUTPUTS_KEYS,
];
