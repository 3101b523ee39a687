import { z } from 'zod';
import { LABEL_NAME_RE, RESERVED_LABELS } from '../core/prom-naming.js';
import type { OutputsConfig, RemoteWriteConfig } from '../core/scenario-types.js';
import { durationMs, int, oneOf, text, url } from './field-schemas.js';
import type { PathParts } from './flow-parser.js';
import { formatPath } from './yaml-locator.js';
import { parseWith, type At } from './zod-problems.js';

/** Kinds of `--publish KIND=URL` (and of `outputs.publish` entries). */
const PUBLISH_KINDS = ['prometheus-rw'] as const;

const DEFAULT_INTERVAL_MS = 5000;
const DEFAULT_FLUSH_TIMEOUT_MS = 5000;

/** The long form of an `outputs.publish` entry. */
export const publishLongSchema = z.strictObject({
  kind: oneOf(PUBLISH_KINDS),
  url: url(['http', 'https']),
  headers: z.record(z.string(), z.string()).optional(),
  bearerTokenEnv: text().optional(),
  basicAuthEnv: text().optional(),
});

/** `outputs:`. */
export const outputsSchema = z.strictObject({
  interval: durationMs({ min: 1000 }).optional(),
  flushTimeout: durationMs({ allowZero: true }).optional(),
  labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  publish: z.array(z.unknown()).optional(),
  metricsPort: int(0, 65535).optional(),
  metricsHost: text().optional(),
});

/** Keys of `outputs:` and its entries, for "did you mean". */
export const OUTPUTS_KEYS: readonly string[] = [
  ...Object.keys(outputsSchema.shape),
  ...Object.keys(publishLongSchema.shape),
];

/**
 * Reads `outputs:` (with what `--publish` and `--metrics-port` put there):
 * undefined when nothing is published. Every problem goes to `at` with its
 * YAML path.
 */
export function compileOutputs(value: unknown, at: At, knownKeys: readonly string[]): OutputsConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = parseWith(outputsSchema, value, ['outputs'], at, knownKeys);
  // Labels and entries are checked even when another key is wrong, so that every problem is reported at once.
  const obj = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  const rawLabels =
    raw?.labels ??
    (obj.labels && typeof obj.labels === 'object' && !Array.isArray(obj.labels)
      ? (obj.labels as Record<string, unknown>)
      : {});
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawLabels)) {
    if (!LABEL_NAME_RE.test(k) || k.startsWith('__'))
      at(
        ['outputs', 'labels', k],
        `"${k}" is not a Prometheus label name: letters, digits and "_", not starting with a digit or "__"`,
        true,
      );
    else if (RESERVED_LABELS.includes(k))
      at(
        ['outputs', 'labels', k],
        `"${k}" is a label crosstalk sets itself (${RESERVED_LABELS.join(', ')}); pick another name`,
        true,
      );
    else labels[k] = String(v);
  }
  const prometheusRw: RemoteWriteConfig[] = [];
  (raw?.publish ?? (Array.isArray(obj.publish) ? obj.publish : [])).forEach((entry, i) => {
    const path: PathParts = ['outputs', 'publish', i];
    const rw = compilePublishEntry(entry, path, at, knownKeys);
    if (rw) prometheusRw.push(rw);
  });
  if (!raw) return undefined;
  if (prometheusRw.length === 0 && raw.metricsPort === undefined) return undefined;
  return {
    intervalMs: raw.interval ?? DEFAULT_INTERVAL_MS,
    flushTimeoutMs: raw.flushTimeout ?? DEFAULT_FLUSH_TIMEOUT_MS,
    labels,
    prometheusRw,
    ...(raw.metricsPort !== undefined ? { metricsPort: raw.metricsPort } : {}),
    metricsHost: raw.metricsHost ?? '0.0.0.0',
  };
}

/** `prometheus-rw=URL`, or `{ kind, url, headers, bearerTokenEnv, basicAuthEnv }`. */
function compilePublishEntry(
  entry: unknown,
  path: PathParts,
  at: At,
  knownKeys: readonly string[],
): RemoteWriteConfig | undefined {
  const where = formatPath(path);
  let long: z.infer<typeof publishLongSchema> | undefined;
  if (typeof entry === 'string') {
    const eq = entry.indexOf('=');
    const kind = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (!(PUBLISH_KINDS as readonly string[]).includes(kind)) {
      at(
        path,
        `expected KIND=URL with KIND one of ${PUBLISH_KINDS.join(', ')}, e.g. prometheus-rw=http://127.0.0.1:9090/api/v1/write; got ${JSON.stringify(entry)}`,
      );
      return undefined;
    }
    // A problem with the URL of `KIND=URL` is the entry's (or the flag's) own: there is no `url` key to point at.
    long = parseWith(
      publishLongSchema,
      { kind, url: entry.slice(eq + 1).trim() },
      path,
      (_p, message) => at(path, message),
      knownKeys,
    );
  } else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    long = parseWith(publishLongSchema, entry, path, at, knownKeys);
  } else {
    at(
      path,
      `expected "prometheus-rw=URL" or a mapping { kind: prometheus-rw, url: ... }, got ${JSON.stringify(entry)}`,
    );
  }
  if (!long) return undefined;
  const u = new URL(long.url);
  if (u.username || u.password) {
    at(
      [...path, ...(typeof entry === 'string' ? [] : ['url'])],
      'credentials do not belong in the URL (it is shown in logs and summaries); put "user:password" in an environment variable and name it in basicAuthEnv, or a token in bearerTokenEnv',
    );
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(long.headers ?? {})) {
    if (k.toLowerCase() === 'authorization')
      at(
        [...path, 'headers', k],
        'credentials do not belong in the scenario file; name an environment variable in bearerTokenEnv or basicAuthEnv instead',
        true,
      );
    else if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k))
      at([...path, 'headers', k], `"${k}" is not an HTTP header name`, true);
    else headers[k] = v;
  }
  if (long.bearerTokenEnv && long.basicAuthEnv) at(path, 'give bearerTokenEnv or basicAuthEnv, not both');
  return {
    url: long.url,
    headers,
    source: where,
    ...(long.bearerTokenEnv ? { bearerTokenEnv: long.bearerTokenEnv } : {}),
    ...(long.basicAuthEnv ? { basicAuthEnv: long.basicAuthEnv } : {}),
  };
}
