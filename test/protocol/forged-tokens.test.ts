// The forged-token catalogue (RFC 8725, OWASP JWT cheat sheet): each forgery is what its name says, and the
// reference target's verifier refuses every one, while the real token of the same user passes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { canForge, FORGERY_KINDS, mintForgedToken, type ForgeryContext } from '../../src/protocol/forged-tokens.js';
import { createTokenVerifier } from '../../src/target/token-verifier.js';

const secret = randomBytes(32).toString('base64url');
const c: ForgeryContext = { secret, issuer: 'https://id.example', audience: 'chat-api', victim: 'u-victim' };

describe('forged tokens', () => {
  test('every kind can be made with the secret, issuer and audience; without a secret only those that need none', () => {
    assert.deepEqual(
      FORGERY_KINDS.filter((k) => !canForge(k, c)),
      [],
    );
    assert.deepEqual(
      FORGERY_KINDS.filter((k) => canForge(k, { secret: undefined })),
      ['missing', 'alg_none', 'alg_None', 'alg_NONE', 'alg_nOnE', 'bad_signature'],
    );
  });

  test('each forgery is the attack its name says', async () => {
    const t = async (k: (typeof FORGERY_KINDS)[number]): Promise<string> =>
      (await mintForgedToken(k, 'u-attacker', c))!;
    assert.equal(await mintForgedToken('missing', 'u-attacker', c), undefined);
    for (const spelling of ['none', 'None', 'NONE', 'nOnE'] as const) {
      const tok = await t(`alg_${spelling}`);
      assert.equal(decodeProtectedHeader(tok).alg, spelling);
      assert.ok(tok.endsWith('.'), 'an empty signature');
    }
    assert.ok((await t('signature_stripped')).endsWith('.'));
    assert.equal(decodeJwt(await t('tampered_sub')).sub, 'u-victim');
    assert.ok((decodeJwt(await t('expired')).exp ?? 0) < Date.now() / 1000);
    assert.ok((decodeJwt(await t('not_yet_valid')).nbf ?? 0) > Date.now() / 1000);
    assert.ok((decodeJwt(await t('issued_in_future')).iat ?? 0) > Date.now() / 1000 + 60);
    assert.equal(decodeJwt(await t('wrong_type')).type, 'refresh');
    assert.notEqual(decodeJwt(await t('wrong_audience')).aud, 'chat-api');
    assert.notEqual(decodeJwt(await t('wrong_issuer')).iss, 'https://id.example');
  });

  test('the reference target refuses the whole catalogue and accepts the real token', async () => {
    const verifier = createTokenVerifier(secret, { issuer: c.issuer!, audience: c.audience! });
    for (const kind of FORGERY_KINDS) {
      const r = await verifier.verify(await mintForgedToken(kind, 'u-attacker', c));
      assert.equal(typeof r, 'string', `${kind} was accepted`);
    }
    const now = Math.floor(Date.now() / 1000);
    const real = await new SignJWT({ type: 'access', iss: c.issuer, aud: c.audience })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-attacker')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(secret));
    assert.deepEqual(typeof (await verifier.verify(real)), 'object');
  });
});
