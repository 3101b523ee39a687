import { decodeJwt, jwtVerify, errors as joseErrors } from 'jose';

/** Why a token was refused; never contains the token itself. */
export type TokenRejection = 'missing' | 'bad_signature' | 'expired' | 'wrong_type' | 'malformed';

/** The identity a valid token proves. */
export interface VerifiedToken {
  readonly userId: string;
  readonly expMs: number;
}

/** Verifies HS256 access tokens; results are cached per token until they expire. */
export interface TokenVerifier {
  verify(token: string | undefined): Promise<VerifiedToken | TokenRejection>;
}

const CACHE_LIMIT = 20_000;
/** How far in the future `iat` may be (clock skew between machines). */
const IAT_SKEW_MS = 60_000;

/**
 * Builds a verifier for one shared secret. Signatures are checked with jose
 * once per distinct token; later presentations of the same token hit a small
 * cache (checked again for expiry), so REST-heavy load does not measure HMAC.
 */
export function createTokenVerifier(
  secret: string,
  opts: { issuer?: string; audience?: string; now?: () => number } = {},
): TokenVerifier {
  const key = new TextEncoder().encode(secret);
  const now = opts.now ?? Date.now;
  const cache = new Map<string, VerifiedToken>();
  return {
    async verify(token) {
      if (!token) return 'missing';
      const hit = cache.get(token);
      if (hit) return hit.expMs > now() ? hit : 'expired';
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          requiredClaims: ['exp', 'sub'],
          ...(opts.issuer ? { issuer: opts.issuer } : {}),
          ...(opts.audience ? { audience: opts.audience } : {}),
          currentDate: new Date(now()),
        });
        if (payload.type !== 'access') return 'wrong_type';
        // jose checks iat only against a maximum age: a token issued in the future is a forgery or a broken clock.
        if (typeof payload.iat === 'number' && payload.iat * 1000 > now() + IAT_SKEW_MS) return 'malformed';
        if (typeof payload.sub !== 'string' || payload.sub === '') return 'malformed';
        const verified: VerifiedToken = {
          userId: payload.sub,
          expMs: typeof payload.exp === 'number' ? payload.exp * 1000 : Number.MAX_SAFE_INTEGER,
        };
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(token, verified);
        return verified;
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) return 'expired';
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
        return 'malformed';
      }
    },
  };
}

/**
 * The subject a token claims, unverified: what a server with broken auth
 * would believe (the `auth_bypass` fault). `anonymous` when none can be read.
 */
export function readUnverifiedSubject(token: string | undefined): string {
  if (!token) return 'anonymous';
  try {
    const sub = decodeJwt(token).sub;
    return typeof sub === 'string' && sub !== '' ? sub : 'anonymous';
  } catch {
    return 'anonymous';
  }
}
