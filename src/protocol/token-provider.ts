import { webcrypto } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import type { AuthConfig } from '../core/scenario-types.js';
import { renderDeep } from '../core/templates.js';
import { redactUrl } from '../core/redact.js';
import { formatNetworkError } from '../core/network-errors.js';
import type { Trend } from '../core/metric-registry.js';
import { loadUndici } from './rest-client.js';

/** Why a token could not be had; never contains a token or secret. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly kind: 'auth_rejected' | 'token_failed' | 'timeout' | 'connect_refused' | 'network',
  ) {
    super(message);
  }
}

/** Hands out a valid token per user, renewing it before it expires. */
export interface TokenProvider {
  token(userId: string): Promise<string>;
}

interface Cached {
  readonly token: string;
  /** Renew after this time (epoch ms). */
  readonly renewAtMs: number;
}

/** What a provider needs at run time. */
export interface TokenProviderDeps {
  /** The HS256 secret (jwt kind). */
  readonly secret?: string;
  /** Base URL login paths are resolved against. */
  readonly baseUrl: string;
  /** Records `http.login`. */
  readonly loginTrend?: Trend;
  readonly requestTimeoutMs: number;
  readonly now?: () => number;
}

/**
 * Builds the provider for `auth.kind`: `jwt` mints tokens with jose, `login`
 * posts to the backend's login endpoint, `static` reads the tokens file.
 * Tokens are cached per user and renewed `renewBefore` their expiry.
 */
export function createTokenProvider(auth: AuthConfig, deps: TokenProviderDeps): TokenProvider {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const pending = new Map<string, Promise<string>>();
  if (auth.kind === 'static') {
    return {
      token(userId) {
        const t = auth.tokens[userId];
        if (t === undefined)
          return Promise.reject(new TokenError(`no token for user ${userId} in ${auth.file}`, 'token_failed'));
        return Promise.resolve(t);
      },
    };
  }
  // The HMAC key is imported once: importing it for every token cost more than the signature.
  let hmacKey: Promise<webcrypto.CryptoKey> | undefined;
  const fetchToken = async (userId: string): Promise<Cached> => {
    if (auth.kind === 'jwt') {
      if (!deps.secret) throw new TokenError(`the JWT secret variable ${auth.secretEnv} is unset`, 'token_failed');
      hmacKey ??= webcrypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(deps.secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      const iat = Math.floor(now() / 1000);
      const exp = iat + Math.floor(auth.ttlMs / 1000);
      let jwt = new SignJWT({ ...auth.claims, type: 'access' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt(iat)
        .setExpirationTime(exp);
      if (auth.issuer) jwt = jwt.setIssuer(auth.issuer);
      if (auth.audience) jwt = jwt.setAudience(auth.audience);
      const token = await jwt.sign(await hmacKey);
      return { token, renewAtMs: exp * 1000 - auth.renewBeforeMs };
    }
    const url = new URL(auth.url, `${deps.baseUrl}/`).toString();
    const body = renderDeep(auth.body, { user: userId });
    // Loaded only for login tokens (jwt and static runs never need it), before the clock starts.
    const { request } = await loadUndici();
    const started = performance.now();
    let res;
    try {
      res = await request(url, {
        method: auth.method as 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: deps.requestTimeoutMs,
        bodyTimeout: deps.requestTimeoutMs,
      });
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      throw new TokenError(
        `login request to ${redactUrl(url)} failed: ${formatNetworkError(code || undefined)}`,
        code.includes('TIMEOUT') ? 'timeout' : code === 'ECONNREFUSED' ? 'connect_refused' : 'network',
      );
    }
    const text = await res.body.text();
    deps.loginTrend?.record((performance.now() - started) * 1000);
    if (res.statusCode >= 400)
      throw new TokenError(
        `login for ${userId} answered ${res.statusCode}`,
        res.statusCode === 401 || res.statusCode === 403 ? 'auth_rejected' : 'token_failed',
      );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TokenError(`login for ${userId} did not answer JSON`, 'token_failed');
    }
    const token = readPath(json, auth.tokenPath);
    if (typeof token !== 'string' || token === '')
      throw new TokenError(`login answer has no string at "${auth.tokenPath}"`, 'token_failed');
    const expiresIn = readPath(json, auth.expiresInPath);
    let expMs: number | undefined = typeof expiresIn === 'number' ? now() + expiresIn * 1000 : undefined;
    if (expMs === undefined) {
      try {
        const exp = decodeJwt(token).exp;
        if (typeof exp === 'number') expMs = exp * 1000;
      } catch {
        /* opaque token: never renewed */
      }
    }
    return { token, renewAtMs: expMs === undefined ? Number.MAX_SAFE_INTEGER : expMs - auth.renewBeforeMs };
  };
  return {
    token(userId) {
      const hit = cache.get(userId);
      if (hit && hit.renewAtMs > now()) return Promise.resolve(hit.token);
      let p = pending.get(userId);
      if (!p) {
        p = fetchToken(userId)
          .then((c) => {
            cache.set(userId, c);
            return c.token;
          })
          .finally(() => pending.delete(userId));
        pending.set(userId, p);
      }
      return p;
    },
  };
}

/** Reads a dotted path (`data.access_token`) from parsed JSON. */
function readPath(v: unknown, path: string): unknown {
  let cur = v;
  for (const p of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
