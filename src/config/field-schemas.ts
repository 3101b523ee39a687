import { z } from 'zod';
import { isDurationTooLong, parseDurationMs, parseRatePerSec } from '../core/units.js';

const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v)));

/** The message of a missing required value; the loader names the key. */
export const REQUIRED = 'is required';

/** Reports a missing value as required; true when it was missing. */
function missing(v: unknown, ctx: z.RefinementCtx): boolean {
  if (v !== undefined) return false;
  ctx.addIssue({ code: 'custom', message: REQUIRED });
  return true;
}

/** Examples of durations for messages; every unit of units.ts is accepted. */
const DURATION_EXAMPLES = '500ms, 30s, 2m (or 2min) or 1h30m';

/** A duration written as `500ms`, `30s`, `2m`, `2min`, `1h` or `1h30m`, read as ms; `min` bounds it below. */
export function durationMs(opts: { min?: number; allowZero?: boolean } = {}) {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
    if (ms === undefined) {
      const message =
        typeof v === 'string' && isDurationTooLong(v)
          ? `too long: expected a duration of at most 24 days (the longest a timer can wait), got ${show(v)}`
          : `expected a duration such as ${DURATION_EXAMPLES}, got ${show(v)}`;
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    if (ms === 0 && !opts.allowZero) {
      ctx.addIssue({ code: 'custom', message: `expected a duration above zero, got ${show(v)}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && ms < opts.min) {
      ctx.addIssue({ code: 'custom', message: `expected at least ${opts.min}ms, got ${show(v)}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A rate written as `5/s` or `300/m`, read as events per second. */
export function ratePerSec(opts: { allowZero?: boolean } = {}) {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    const r = typeof v === 'string' ? parseRatePerSec(v) : undefined;
    if (r === undefined || (r === 0 && !opts.allowZero)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a rate such as 5/s or 300/m${opts.allowZero ? '' : ' (above zero)'}, got ${show(v)}`,
      });
      return z.NEVER;
    }
    return r;
  });
}

/** A whole number within bounds, with a message that says so. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, got ${show(v)}`,
      });
      return z.NEVER;
    }
    return v;
  });
}

/** A non-empty string. */
export function text() {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    if (typeof v !== 'string' || v === '') {
      ctx.addIssue({ code: 'custom', message: `expected a non-empty string, got ${show(v)}${quoteHint(v)}` });
      return z.NEVER;
    }
    return v;
  });
}

/** A string, possibly empty (titles). */
export function anyText() {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    if (typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected text, got ${show(v)}${quoteHint(v)}` });
      return z.NEVER;
    }
    return v;
  });
}

/** `title: {{user}}` unquoted is a YAML mapping, not text: say how to write it. */
function quoteHint(v: unknown): string {
  return typeof v === 'object' && v !== null ? '; a value starting with {{ must be quoted, e.g. title: "{{user}}"' : '';
}

/** A boolean. */
export function bool() {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    if (typeof v !== 'boolean') {
      ctx.addIssue({ code: 'custom', message: `expected true or false, got ${show(v)}` });
      return z.NEVER;
    }
    return v;
  });
}

/** A URL whose scheme is one of `schemes`. */
export function url(schemes: readonly string[]) {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    let ok = false;
    if (typeof v === 'string') {
      try {
        ok = schemes.includes(new URL(v).protocol.replace(':', ''));
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a ${schemes.join(' or ')} URL such as ${schemes[0]}://127.0.0.1:8080, got ${show(v)}`,
      });
      return z.NEVER;
    }
    return (v as string).replace(/\/+$/, '');
  });
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(values: readonly T[]) {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got ${show(v)}` });
      return z.NEVER;
    }
    return v as T;
  });
}

/** A mapping of strings to anything (metadata, claims, bodies). */
export function plainObject() {
  return z.any().transform((v, ctx) => {
    if (missing(v, ctx)) return z.NEVER;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping, got ${show(v)}` });
      return z.NEVER;
    }
    return v as Record<string, unknown>;
  });
}
