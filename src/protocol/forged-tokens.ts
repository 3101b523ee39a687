import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/**
 * Forged credentials a backend must refuse: the JWT attacks of RFC 8725 and
 * the OWASP JWT cheat sheet that apply to HS256 access tokens. Each one that
 * a backend accepts is reported as an `auth_bypass` naming it.
 */
export const FORGERY_KINDS = [
  /** No credential at all. */
  'missing',
  /** `alg: none` with an empty signature, in the spellings libraries have let through. */
  'alg_none',
  'alg_None',
  'alg_NONE',
  'alg_nOnE',
  /** A token signed with the real secret, its signature removed. */
  'signature_stripped',
  /** Signed with another key. */
  'bad_signature',
  /** A real token of this user with `sub` changed to another user, the original signature kept. */
  'tampered_sub',
  /** Expired an hour ago. */
  'expired',
  /** `nbf` an hour ahead. */
  'not_yet_valid',
  /** Issued (`iat`) an hour ahead. */
  'issued_in_future',
  /** Of another `type` (a refresh token). */
  'wrong_type',
  /** For another audience or issuer (only when the scenario sets `auth.audience` / `auth.issuer`). */
  'wrong_audience',
  'wrong_issuer',
] as const;
/** One of {@link FORGERY_KINDS}. */
export type ForgeryKind = (typeof FORGERY_KINDS)[number];

/** What a forgery needs to be made: the real secret for those that only change one thing of a valid token. */
export interface ForgeryContext {
  readonly secret: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** Another user's id, for `tampered_sub`. */
  readonly victim?: string | undefined;
}

/** True when `kind` can be made (and means something) in this run. */
export function canForge(kind: ForgeryKind, c: ForgeryContext): boolean {
  switch (kind) {
    case 'missing':
    case 'alg_none':
    case 'alg_None':
    case 'alg_NONE':
    case 'alg_nOnE':
    case 'bad_signature':
      return true;
    case 'tampered_sub':
      return c.secret !== undefined && c.victim !== undefined;
    case 'wrong_audience':
      return c.secret !== undefined && c.audience !== undefined;
    case 'wrong_issuer':
      return c.secret !== undefined && c.issuer !== undefined;
    default:
      return c.secret !== undefined;
  }
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Makes a credential of `kind` for `sub` that must be refused; undefined for `missing`. */
export async function mintForgedToken(kind: ForgeryKind, sub: string, c: ForgeryContext): Promise<string | undefined> {
  if (kind === 'missing') return undefined;
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub,
    type: 'access',
    iat: now,
    exp: now + 600,
    ...(c.issuer ? { iss: c.issuer } : {}),
    ...(c.audience ? { aud: c.audience } : {}),
  };
  if (kind.startsWith('alg_')) return `${b64({ alg: kind.slice(4), typ: 'JWT' })}.${b64(claims)}.`;
  const sign = (payload: Record<string, unknown>, secret = c.secret): Promise<string> =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(secret ?? randomBytes(32).toString('base64url')));
  switch (kind) {
    case 'bad_signature':
      return sign(claims, randomBytes(32).toString('base64url'));
    case 'signature_stripped':
      return `${(await sign(claims)).split('.').slice(0, 2).join('.')}.`;
    case 'tampered_sub': {
      const [h, , s] = (await sign(claims)).split('.');
      return `${h}.${b64({ ...claims, sub: c.victim })}.${s}`;
    }
    case 'expired':
      return sign({ ...claims, iat: now - 7200, exp: now - 3600 });
    case 'not_yet_valid':
      return sign({ ...claims, nbf: now + 3600 });
    case 'issued_in_future':
      return sign({ ...claims, iat: now + 3600, exp: now + 7200 });
    case 'wrong_type':
      return sign({ ...claims, type: 'refresh' });
    case 'wrong_audience':
      return sign({ ...claims, aud: `${c.audience}-other` });
    case 'wrong_issuer':
      return sign({ ...claims, iss: `${c.issuer}-other` });
    default:
      return sign(claims, randomBytes(32).toString('base64url'));
  }
}
