// Forged credentials from the whole catalogue, on every way in: against a target whose auth lets bad tokens in
// (the auth_bypass fault), every forgery on REST, on each connection delivery and on the SSE run stream is one
// auth_bypass naming it; against a sound target, none is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FORGERY_KINDS } from '../../src/protocol/forged-tokens.js';
import { runMatrix } from './matrix-helpers.js';

const scenario = (transport: string, faults: string): string => `name: forgeries
target:
  transport: ${transport}
  embedded: { agent: fast, seed: 3${faults ? `, faults: "${faults}"` : ''} }
auth: { kind: jwt, issuer: "https://id.example", audience: chat-api }
probes: { forgedTokens: { rate: 300/s } }
cohorts:
  users:
    users: 2
    duration: 4s
    flow: [connect, createThread, { idle: 4s }]
thresholds:
  isolation.violations: ["count == 0"]
`;

/** The probe names of the auth_bypass lines of a run. */
function bypassed(violations: ReadonlyArray<Record<string, unknown>>): Set<string> {
  const names = new Set<string>();
  for (const v of violations)
    for (const k of (v.kinds as Array<{ kind: string; value: string }>) ?? [])
      if (k.kind === 'auth_bypass') names.add(k.value);
  return names;
}

describe('forged credentials: the catalogue on every way in', () => {
  for (const [transport, ways] of [
    ['ws', ['REST', 'WS subprotocol', 'WS header', 'WS query']],
    ['sse', ['REST', 'stream']],
    ['socketio', ['REST', 'WS subprotocol', 'WS header', 'WS query']],
  ] as const) {
    test(`${transport}: a target that lets bad tokens in is caught for each forgery on each way in`, async () => {
      // One worker: its ledger knows both users' threads, so a tampered token can ask for the other's.
      const r = await runMatrix(scenario(transport, 'auth_bypass=1'), ['--workers', '1']);
      assert.equal(r.code, 2, r.stderr);
      const names = bypassed(r.violations);
      // A run stream with no token at all starts as nobody, in a thread that is not nobody's: a sound refusal even here.
      const missing = ways
        .flatMap((w) =>
          FORGERY_KINDS.filter((k) => !(w === 'stream' && k === 'missing')).map((k) => `forgedTokens ${w} ${k}`),
        )
        .filter((n) => !names.has(n));
      assert.deepEqual(missing, [], `caught: ${[...names].sort().join(', ')}`);
    });
  }

  test('a sound target refuses the whole catalogue everywhere: no auth_bypass, probes answered', async () => {
    const r = await runMatrix(scenario('ws', ''));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary.isolation.violations, 0, JSON.stringify(r.violations.slice(0, 2)));
    assert.ok(
      (r.summary.metrics['probes.answered']?.value ?? 0) > 100,
      JSON.stringify(r.summary.metrics['probes.answered']),
    );
  });
});
