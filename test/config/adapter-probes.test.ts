// An adapter's own probes (`probes:`) and well-known bypass headers (`auth.bypassHeaders`): what the built-in
// langgraph adapter declares, and mistakes in them as exit 3 naming the adapter file, line and YAML path.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdapter, loadAdapterFile } from '../../src/config/load-adapter.js';
import { SimError, type InputProblem } from '../../src/core/sim-error.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';
import { ROOT } from '../helpers/cli.js';

/** An adapter extending crosstalk with `extra` (YAML, top level) appended. */
function problemsOf(extra: string): Array<[number | undefined, string | undefined, string]> {
  const file = join(makeTempDir(), 'adapter.yaml');
  writeFileSync(file, `adapter: probing\nextends: crosstalk\n${extra}`);
  try {
    loadAdapterFile(file);
  } catch (err) {
    assert.ok(err instanceof SimError, String(err));
    return err.problems.map((p: InputProblem) => [p.line, p.path, p.message]);
  }
  assert.fail('the adapter compiled without problems');
}

describe('adapter probes and bypass headers', () => {
  after(removeTempDirs);

  test('the langgraph adapter declares a thread-stream and a run-join probe, and the studio bypass header', () => {
    const a = loadAdapter('langgraph', ROOT, {
      values: { assistant_id: 'echo' },
      at: () => assert.fail('no parameter problem expected'),
    });
    assert.deepEqual(a.auth.bypassHeaders, [{ 'x-auth-scheme': 'langsmith' }]);
    assert.deepEqual(
      a.probes.map((p) => [p.name, p.on, p.ws ? 'ws' : 'request', p.accepted, p.listenMs]),
      [
        ['threadStream', 'thread', 'ws', 'upgrade', 1000],
        ['runStream', 'run', 'request', undefined, 2000],
      ],
    );
    assert.equal(a.probes[0]!.ws!.path, '/threads/{{thread}}/stream/events');
    assert.equal(a.probes[1]!.request!.path, '/runs/{{run}}/stream');
    // Its messages frames are [chunk, metadata] tuples, one frame each, read into by the owner paths.
    assert.deepEqual([a.events.arrays, a.events.fieldRoots, a.events.fields.userId], ['frame', ['1', ''], 'owner']);
    // The crosstalk adapter has none of either.
    const c = loadAdapter('crosstalk', ROOT);
    assert.deepEqual([c.probes, c.auth.bypassHeaders], [[], []]);
  });

  test('a probe is a request or a ws, with an "accepted" that fits it and the other user\'s id in it', () => {
    const problems = problemsOf(`probes:
  both:
    on: thread
    request: { method: GET, path: "/a/{{thread}}" }
    ws: { path: "/b/{{thread}}" }
  upgradeOnRequest:
    on: thread
    request: { method: GET, path: "/a/{{thread}}" }
    accepted: upgrade
  statusOnWs:
    on: run
    ws: { path: "/b/{{run}}", send: [{ hello: "{{nope}}" }] }
    accepted: status
  noId:
    on: run
    request: { method: GET, path: "/runs/{{thread}}/stream" }
    listen: 1m
`);
    const messages = problems.map(([line, path, message]) => `${line} ${path}: ${message}`);
    assert.deepEqual(messages, [
      '5 probes.both: expected exactly one of "request" (an HTTP request) or "ws" (a WebSocket to open)',
      '11 probes.upgradeOnRequest.accepted: "upgrade" means the WebSocket upgrade was accepted: it needs "ws"; a request probe takes "status"',
      '15 probes.statusOnWs.accepted: "status" means the request was answered with success: it needs "request"; a ws probe takes "upgrade"',
      messages[3]!,
      "17 probes.noId: a probe on another user's run needs {{run}} in its path or body",
      "19 probes.noId.listen: expected at most 30s (the run's end waits for probes in flight), got 60000ms",
    ]);
    assert.match(messages[3]!, /^14 probes\.statusOnWs\.ws\.send\[0\]\.hello: template "\{\{nope\}\}" names nothing/);
  });

  test('a bypass is a set of headers; an empty one is refused', () => {
    const problems = problemsOf('auth:\n  bypassHeaders: [{ x-dev-mode: "1" }, {}]\n');
    assert.deepEqual(
      problems.map(([line, path, message]) => `${line} ${path}: ${message}`),
      ['4 auth.bypassHeaders[1]: expected the headers of one bypass, e.g. { x-auth-scheme: langsmith }'],
    );
  });
});
