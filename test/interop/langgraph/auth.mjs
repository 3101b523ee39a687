// Custom auth for the interop LangGraph server, in the shape LangGraph's docs
// recommend for private conversations: authenticate a bearer JWT, stamp the
// caller as `metadata.owner` on everything created, and answer every read with
// an owner filter. With LG_DROP_OWNER_FILTER=1 the owner is still stamped but
// the filter is dropped: the leaky backend crosstalk must catch.
//
// Tokens are crosstalk's (protocol.md): HS256 with the secret in
// SIM_JWT_SECRET, claims sub (the user id), type "access", exp.

import { Auth, HTTPException } from '@langchain/langgraph-sdk/auth';
import { jwtVerify } from 'jose';

const secret = process.env.SIM_JWT_SECRET;
if (!secret) throw new Error('SIM_JWT_SECRET must be set: it is the HS256 secret the JWTs are signed with');
const key = new TextEncoder().encode(secret);
const dropOwnerFilter = process.env.LG_DROP_OWNER_FILTER === '1';

// Never echo the token or the reason detail that could help forge one.
function unauthorized(message) {
  return new HTTPException(401, { message, headers: { 'www-authenticate': 'Bearer' } });
}

async function verify(request) {
  const header = request.headers.get('authorization');
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw unauthorized('Missing bearer token');
  let payload;
  try {
    ({ payload } = await jwtVerify(match[1], key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] }));
  } catch {
    throw unauthorized('Invalid or expired token');
  }
  // jose checks exp and nbf but takes any iat; a token issued ahead of now (beyond a minute of clock skew) is not one
  // this issuer made, as crosstalk's forgery catalogue (RFC 8725) expects a careful backend to judge.
  if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + 60)
    throw unauthorized('Invalid or expired token');
  if (payload.type !== 'access') throw unauthorized('Not an access token');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('Token has no subject');
  return { identity: payload.sub, permissions: [], is_authenticated: true };
}

/**
 * Stamps the owner on what a request creates. `value.metadata` is the object
 * the server persists for threads, runs and assistants (and the thread a run
 * creates); a client-supplied `owner` is overwritten on create and dropped
 * from updates (which merge metadata), so an owner never changes: nobody can
 * create or re-label a resource as someone else's, even on the leaky server.
 */
function stampOwner(resource, action, value, owner) {
  if (value == null || typeof value !== 'object') return;
  if (resource === 'store') {
    if (action === 'put' && value.value != null && typeof value.value === 'object')
      value.value = { ...value.value, owner };
    return;
  }
  if (action === 'create' || action === 'create_run') {
    value.metadata = { ...(value.metadata ?? {}), owner };
  } else if (
    action === 'update' &&
    value.metadata != null &&
    typeof value.metadata === 'object' &&
    'owner' in value.metadata
  ) {
    const { owner: _ignored, ...rest } = value.metadata;
    value.metadata = rest;
  }
}

/** The auth object langgraph.json's `auth.path` points at. */
export const auth = new Auth().authenticate(verify).on('*', ({ resource, action, value, user }) => {
  stampOwner(resource, action, value, user.identity);
  // LangGraph's docs let Studio developers see everything. Only reachable
  // when the server runs with studio auth on (start-server --studio-auth):
  // then any request carrying `x-auth-scheme: langsmith` is that developer.
  if (user.kind === 'StudioUser') return undefined;
  if (dropOwnerFilter) return undefined;
  return { owner: user.identity };
});
