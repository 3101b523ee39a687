/** Parsing of the human units used in scenarios: durations, rates, sizes, percentages. */

/**
 * Milliseconds per duration unit: Go's (and so k6's) `us`/`µs`, `ms`, `s`,
 * `m`, `h`, plus `min`, which people write as often as `m`.
 */
export const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};
/** The unit alternatives for a regular expression, longest first so `min` and `ms` win over `m`. */
export const DURATION_UNIT_PATTERN = 'min|ms|us|µs|h|m|s';

const DURATION_RE = new RegExp(`^\\s*(\\d+(?:\\.\\d+)?)\\s*(${DURATION_UNIT_PATTERN})\\s*$`);
const DURATION_PART_RE = new RegExp(`(\\d+(?:\\.\\d+)?)(${DURATION_UNIT_PATTERN})`, 'g');
const COMPOUND_RE = new RegExp(`^(\\d+(?:\\.\\d+)?(${DURATION_UNIT_PATTERN}))+$`);

/**
 * Parses `500ms`, `30s`, `2m`, `2min`, `1h`, or compound `1h30m`, `1m30s`,
 * into milliseconds. Returns undefined when the text is not a duration or is
 * longer than a timer can wait ({@link MAX_DURATION_MS}). Bare numbers are
 * refused so that `timeout: 30` is never silently 30 ms.
 */
export function parseDurationMs(text: string): number | undefined {
  const ms = measureDurationMs(text);
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** True when `text` is a well-formed duration that is longer than {@link MAX_DURATION_MS}. */
export function isDurationTooLong(text: string): boolean {
  const ms = measureDurationMs(text);
  return ms !== undefined && ms > MAX_DURATION_MS;
}

/** The longest duration a timer can wait (about 24.8 days); longer ones are refused. */
const MAX_DURATION_MS = 2 ** 31 - 1;

/** A duration's milliseconds whatever its size (Infinity when it overflows); undefined when not a duration. */
function measureDurationMs(text: string): number | undefined {
  const single = DURATION_RE.exec(text);
  if (single) return Number(single[1]) * DURATION_UNIT_MS[single[2]!]!;
  const compact = text.replace(/\s+/g, '');
  if (!COMPOUND_RE.test(compact)) return undefined;
  let total = 0;
  for (const m of compact.matchAll(DURATION_PART_RE)) total += Number(m[1]) * DURATION_UNIT_MS[m[2]!]!;
  return total;
}

const RATE_RE = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d*)\s*(ms|s|m|h|sec|second|min|minute|hour)\s*$/;
const RATE_UNIT_SEC: Record<string, number> = {
  ms: 0.001,
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
};

/** Parses `5/s`, `300/m`, `10/2s` into events per second; undefined when not a rate. */
export function parseRatePerSec(text: string): number | undefined {
  const m = RATE_RE.exec(text);
  if (!m) return undefined;
  const per = (m[2] ? Number(m[2]) : 1) * RATE_UNIT_SEC[m[3]!]!;
  const r = per > 0 ? Number(m[1]) / per : undefined;
  return r !== undefined && Number.isFinite(r) && r <= 1e6 ? r : undefined;
}

/** Parses `10%` or `0.1` into a fraction (0.1); undefined when not a percentage. */
export function parseFraction(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) return undefined;
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i;
const SIZE_UNIT: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1e6,
  mib: 1024 * 1024,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** Parses `64KiB`, `1MiB`, `2048` into bytes; undefined when not a size. */
export function parseSizeBytes(text: string): number | undefined {
  const m = SIZE_RE.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNIT[(m[2] ?? 'b').toLowerCase()]!);
}

/** Formats milliseconds for people: `850µs`, `12.3ms`, `4.20s`, `2m05s`. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  // Each branch rounds first and moves to the next unit when rounding reaches it.
  if (Math.round(ms * 1000) < 1000) return `${Math.round(ms * 1000)}µs`;
  if (ms < 9.995) return `${ms.toFixed(2)}ms`;
  if (ms < 99.95) return `${ms.toFixed(1)}ms`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (Math.round(ms / 10) < 6000) return `${(ms / 1000).toFixed(2)}s`;
  const totalS = Math.round(ms / 1000);
  return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
}
