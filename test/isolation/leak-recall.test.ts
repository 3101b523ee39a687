// Recall of the isolation oracle for every form a leak takes (issue 16): for each leak-form fault of the reference
// target, on each transport where the form exists, every frame or answer the target leaked (it counts and tags
// them) is one violation in violations.jsonl, and nothing else is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixScenario, runMatrix } from './matrix-helpers.js';

/** Leak forms and the transports they exist on. */
const FORMS: ReadonlyArray<readonly [string, ReadonlyArray<'ws' | 'sse' | 'socketio'>, number]> = [
  ['case', ['ws', 'sse', 'socketio'], 0.05],
  ['double', ['ws', 'sse', 'socketio'], 0.05],
  ['binary', ['ws', 'socketio'], 0.05],
  ['nonobject', ['ws', 'sse', 'socketio'], 0.05],
  ['reference', ['ws', 'sse', 'socketio'], 0.05],
  // Error answers come from the cross-user probes (404s): probes on.
  ['rest_error', ['ws', 'sse', 'socketio'], 0.5],
  ['late', ['ws', 'sse', 'socketio'], 0.05],
  // One welcome frame per connection, and only once another user is connected: struck often.
  ['handshake', ['ws', 'socketio'], 0.5],
];

describe('recall: every planted leak is found, in whatever form, over each transport', () => {
  for (const [fault, transports, p] of FORMS) {
    for (const transport of transports) {
      test(`${fault} over ${transport}: violations == what the target leaked`, async () => {
        const probes = fault === 'rest_error';
        const r = await runMatrix(
          matrixScenario({
            faults: `${fault}=${p}`,
            light: true,
            ...(probes ? { probesPerSec: 50 } : { noProbes: true }),
          }),
          ['--set', `target.transport=${transport}`, '--workers', '1'],
        );
        const leaked = r.summary.target.leaked;
        assert.ok(leaked && leaked.total > 0, `the target leaked something: ${JSON.stringify(r.summary.target)}`);
        assert.equal(r.code, 2, r.stderr);
        const lines = r.violations.filter((v) => v.class === 'isolation');
        const found = r.summary.isolation.violations;
        assert.equal(lines.length, found, 'one line per violation');
        // Exact on every transport: the target counts a frame only when it reaches an open transport (over
        // Socket.IO, not once the client's close frame is in), and the client reads everything until its close.
        assert.equal(
          found,
          leaked.total,
          `violations ${JSON.stringify(r.summary.isolation)} vs leaked ${JSON.stringify(leaked)}`,
        );
      });
    }
  }
});
