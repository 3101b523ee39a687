// An adapter's events.lifecycle replaces the crosstalk adapter's run grammar key by key (roles or canonical names);
// a grammar that cannot work is exit 3 naming the adapter file, line and YAML path.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileScenarioText } from '../../src/config/load-scenario.js';
import { DEFAULT_LIFECYCLE, type LifecycleSpec } from '../../src/core/lifecycle-grammar.js';
import { SimError, type InputProblem } from '../../src/core/sim-error.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';
import { runCli } from '../helpers/cli.js';

/** An adapter extending crosstalk whose `events` are `events` (YAML lines); its `lifecycle:` key is on line 4. */
function writeAdapter(events: string): { dir: string; adapter: string; scenario: string } {
  const dir = makeTempDir();
  const adapter = join(dir, 'adapter.yaml');
  writeFileSync(
    adapter,
    `adapter: grammar\nextends: crosstalk\nevents:\n${events
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}\n`,
  );
  const scenario = join(dir, 'scenario.yaml');
  writeFileSync(
    scenario,
    `name: grammar
target: { api: ./adapter.yaml }
cohorts:
  chatters:
    users: 1
    duration: 1s
    flow: [connect, createThread, { sendMessage: { content: "hi {{user}}" } }]
`,
  );
  return { dir, adapter, scenario };
}

const compile = (events: string): ReturnType<typeof compileScenarioText> => {
  const f = writeAdapter(events);
  return compileScenarioText(
    `name: grammar\ntarget: { api: ${f.adapter} }\ncohorts:\n  c:\n    users: 1\n    duration: 1s\n    flow: [connect]\n`,
    join(f.dir, 'inline.yaml'),
  );
};
const lifecycleOf = (events: string): LifecycleSpec => compile(events).target.adapter.events.lifecycle;

/** [line, path, message] of each problem of an adapter that must not compile. */
function problemsOf(events: string): Array<[number | undefined, string | undefined, string]> {
  try {
    compile(events);
  } catch (err) {
    assert.ok(err instanceof SimError, String(err));
    assert.equal(err.code, 'INPUT');
    return err.problems.map((p: InputProblem) => [p.line, p.path, p.message]);
  }
  assert.fail('the adapter compiled without problems');
}

describe('adapter events.lifecycle', () => {
  after(removeTempDirs);

  test("the crosstalk adapter is protocol.md's grammar", () => {
    assert.deepEqual(lifecycleOf('fieldRoots: [payload, data, ""]'), DEFAULT_LIFECYCLE);
  });

  test('each key given replaces that key only; roles and canonical names both work', () => {
    const spec = lifecycleOf(`lifecycle:
  body: [content]
  pairs: [{ open: tool_start, close: tool_completed, key: call_id }]
  end: { stopped: [] }
  required: [started]`);
    assert.deepEqual(spec, {
      ...DEFAULT_LIFECYCLE,
      body: ['content_delta'],
      pairs: [{ open: 'tool_executing', close: 'tool_completed', key: 'call_id' }],
      end: { completed: ['agent_completed'], failed: ['agent_error'], stopped: [] },
      required: ['agent_started'],
    });
  });

  test('ownerless replaces the frame types that belong to no run', () => {
    assert.deepEqual(lifecycleOf('ownerless: [heartbeat, typing]').nonRun, ['heartbeat', 'typing']);
  });

  test('an unknown event name, at its adapter path and line, with the names that exist', () => {
    const [p, ...rest] = problemsOf('lifecycle:\n  body: [agent_thinking, agent_reasoning]');
    assert.deepEqual(rest, []);
    assert.equal(p![0], 5);
    assert.equal(p![1], 'events.lifecycle.body[1]');
    assert.match(
      p![2],
      /expected a role \(started, thinking, .*\) or a canonical event \(agent_started, .*got "agent_reasoning"/,
    );
  });

  test('an unknown key says which keys exist', () => {
    const [p] = problemsOf('lifecycle:\n  terminal: [agent_completed]');
    assert.equal(p![1], 'events.lifecycle.terminal');
    assert.match(p![2], /unknown key "terminal"/);
  });

  test('an event in two roles is blamed where the adapter put it', () => {
    const [a, ...more] = problemsOf('lifecycle:\n  body: [agent_thinking, agent_started]');
    assert.deepEqual(more, []);
    assert.deepEqual(a!.slice(0, 2), [5, 'events.lifecycle.body[1]']);
    assert.match(a![2], /agent_started is already in lifecycle\.start\[0\]: an event has one role in a run/);
  });

  test('no event that completes a run', () => {
    const [p] = problemsOf('lifecycle:\n  end: { completed: [] }');
    assert.equal(p![1], 'events.lifecycle.end.completed');
    assert.match(p![2], /no event completes a run/);
  });

  test('a type said to belong to no run that is a run event of the grammar', () => {
    assert.deepEqual(
      problemsOf('ownerless: [heartbeat, tool_completed]').map((x) => x[1]),
      ['events.lifecycle.nonRun[1]'],
    );
  });

  test('through the CLI: exit 3, the adapter file, line and YAML path, no stack trace', async () => {
    const f = writeAdapter('lifecycle:\n  pairs: [{ open: tool_executing, close: tool_executing }]');
    for (const file of [f.scenario, f.adapter]) {
      const r = await runCli(['validate', file]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /events\.lifecycle\.pairs\[0\]\.close/);
      assert.match(r.stderr, /cannot close itself/);
      assert.match(r.stderr, new RegExp(`${f.adapter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5`));
      assert.doesNotMatch(r.stderr, /^ {4}at /m);
    }
  });
});
