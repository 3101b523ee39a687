import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/** Ways a token can be wrong, each of which a backend must refuse. */
export type ForgeryKind = 'missing' | 'bad_signature' | 'expired' | 'wrong_type';

/**
 * Makes a credential that must be refused: signed with a random secret,
 * expired an hour ago, or of type `refresh` (the last two need the real
 * secret, to prove that only the claim is wrong). `missing` is undefined.
 */
export async function mintForgedToken(kind: ForgeryKind, sub: string, secret: string | undefined): Promise<string | undefined> {
  if (kind === 'missing') return undefined;
  const now = Math.floor(Date.now() / 1000);
  const key = new TextEncoder().encode(kind === 'bad_signature' || !secret ? randomBytes(32).toString('base64url') : secret);
  const jwt = new SignJWT({ type: kind === 'wrong_type' ? 'refresh' : 'access' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(sub);
  if (kind === 'expired') return jwt.setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(key);
  return jwt.setIssuedAt(now).setExpirationTime(now + 600).sign(key);
}
