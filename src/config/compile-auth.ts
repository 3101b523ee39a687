// A scenario's `auth:` section: JWTs minted here, a login request per
// user, or static tokens from a file beside the scenario.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import type { AuthConfig } from '../core/scenario-types.js';
import { collectTemplateNames, compileTemplate } from '../core/templates.js';
import type { RawScenario } from './scenario-schema.js';
import type { At } from './zod-problems.js';

/** Compiles the auth section (files relative to `baseDir`); undefined when it cannot be used. */
export function compileAuth(raw: RawScenario, baseDir: string, at: At): AuthConfig | undefined {
  const a = raw.auth ?? {};
  const kind = a.kind ?? 'jwt';
  const delivery = a.delivery ?? 'subprotocol';
  const renewBeforeMs = a.renewBefore ?? 60_000;
  if (kind !== 'login' && a.login) at(['auth', 'login'], `"login" is only for auth.kind login (kind is ${kind})`, true);
  if (kind !== 'static' && a.tokensFile)
    at(['auth', 'tokensFile'], `"tokensFile" is only for auth.kind static (kind is ${kind})`, true);
  if (kind === 'jwt') {
    return {
      kind,
      delivery,
      renewBeforeMs,
      secretEnv: a.secretEnv ?? 'SIM_JWT_SECRET',
      ttlMs: a.ttl ?? 15 * 60_000,
      ...(a.issuer ? { issuer: a.issuer } : {}),
      ...(a.audience ? { audience: a.audience } : {}),
      claims: a.claims ?? {},
    };
  }
  if (kind === 'login') {
    if (!a.login) {
      at(['auth'], 'auth.kind login needs a "login" block: { url, body, tokenPath }');
      return undefined;
    }
    // A login happens before any flow: only {{user}} means something there.
    for (const [key, v] of [
      ['url', a.login.url],
      ['body', a.login.body],
    ] as const) {
      for (const name of collectTemplateNames(v)) {
        if (name !== 'user')
          at(
            ['auth', 'login', key],
            `template "{{${name}}}" names nothing here; a login body or URL may only use {{user}}`,
          );
      }
      if (typeof v === 'string') {
        const c = compileTemplate(v);
        if (Array.isArray(c)) for (const m of c) at(['auth', 'login', key], m);
      }
    }
    return {
      kind,
      delivery,
      renewBeforeMs,
      url: a.login.url,
      method: a.login.method ?? 'POST',
      body: a.login.body ?? { user_id: '{{user}}' },
      tokenPath: a.login.tokenPath ?? 'access_token',
      expiresInPath: a.login.expiresInPath ?? 'expires_in',
    };
  }
  if (!a.tokensFile) {
    at(['auth'], 'auth.kind static needs "tokensFile": a YAML/JSON mapping of user id to token');
    return undefined;
  }
  let tokens: Record<string, string> = {};
  try {
    const parsed: unknown = parseYamlValue(readFileSync(resolve(baseDir, a.tokensFile), 'utf8'));
    if (
      !parsed ||
      typeof parsed !== 'object' ||
      Array.isArray(parsed) ||
      !Object.values(parsed).every((v) => typeof v === 'string')
    ) {
      at(['auth', 'tokensFile'], `${a.tokensFile} must be a mapping of user id to token string`);
    } else {
      tokens = parsed as Record<string, string>;
      if (Object.keys(tokens).length === 0)
        at(['auth', 'tokensFile'], `${a.tokensFile} holds no tokens; expected a mapping of user id to token`);
    }
  } catch {
    at(['auth', 'tokensFile'], `cannot read tokens file ${a.tokensFile} (relative to the scenario's folder)`);
  }
  return { kind, delivery, file: a.tokensFile, tokens };
}
