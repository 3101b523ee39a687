// target.profile.lifecycle: a scenario replaces protocol.md's run grammar key by key; requiredEvents and
// ignoreTypes feed it; a grammar that cannot work is exit 3 naming the YAML path.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileScenarioText } from '../../src/config/load-scenario.js';
import { DEFAULT_LIFECYCLE, type LifecycleSpec } from '../../src/core/lifecycle-grammar.js';
import { SimError, type InputProblem } from '../../src/core/sim-error.js';
import { removeTempDirs, runCli, writeScenario } from '../helpers/sim.js';

/** A scenario whose `target.profile` is `profile` (YAML lines, indented under it). */
const withProfile = (profile: string): string => `name: grammar
target:
  profile:
${profile.split('\n').map((l) => `    ${l}`).join('\n')}
cohorts:
  chatters:
    users: 1
    duration: 1s
    flow: [connect, createThread, { sendMessage: { content: "hi {{user}}" } }]
`;

const lifecycleOf = (profile: string): LifecycleSpec => compileScenarioText(withProfile(profile), 'inline.yaml').target.profile.lifecycle;

/** [line, path, message] of each problem of a scenario that must not compile. */
function problemsOf(profile: string): Array<[number | undefined, string | undefined, string]> {
  try {
    compileScenarioText(withProfile(profile), 'inline.yaml');
  } catch (err) {
    assert.ok(err instanceof SimError, String(err));
    assert.equal(err.code, 'INPUT');
    return err.problems.map((p: InputProblem) => [p.line, p.path, p.message]);
  }
  assert.fail('the scenario compiled without problems');
}

describe('target.profile.lifecycle', () => {
  after(removeTempDirs);

  test('absent: protocol.md\'s grammar', () => {
    assert.deepEqual(lifecycleOf('fieldRoots: [payload, data, ""]'), DEFAULT_LIFECYCLE);
  });

  test('each key given replaces the default for that key only', () => {
    const spec = lifecycleOf(`lifecycle:
  body: []
  pairs: [{ open: tool_executing, close: tool_completed, key: call_id }]
  end: { stopped: [] }
  required: [agent_started]`);
    assert.deepEqual(spec, {
      ...DEFAULT_LIFECYCLE, body: [], pairs: [{ open: 'tool_executing', close: 'tool_completed', key: 'call_id' }],
      end: { completed: ['agent_completed'], failed: ['agent_error'], stopped: [] }, required: ['agent_started'],
    });
  });

  test('requiredEvents is lifecycle.required; ignoreTypes adds to lifecycle.nonRun', () => {
    const spec = lifecycleOf('requiredEvents: [agent_started]\nignoreTypes: [token_delta, typing]');
    assert.deepEqual(spec.required, ['agent_started']);
    assert.deepEqual(spec.nonRun, [...DEFAULT_LIFECYCLE.nonRun, 'token_delta', 'typing']);
    assert.deepEqual(lifecycleOf('ignoreTypes: [typing]\nlifecycle: { nonRun: [ping_ack] }').nonRun, ['ping_ack', 'typing']);
  });

  test('an unknown event name, at its path, with the names that exist', () => {
    const [p, ...rest] = problemsOf('lifecycle:\n  body: [agent_thinking, agent_reasoning]');
    assert.deepEqual(rest, []);
    assert.equal(p![0], 5);
    assert.equal(p![1], 'target.profile.lifecycle.body[1]');
    assert.match(p![2], /expected one of agent_started, agent_thinking, .*got "agent_reasoning"/);
    assert.deepEqual(problemsOf('requiredEvents: [agent_thinkin]').map((x) => x[1]), ['target.profile.requiredEvents[0]']);
  });

  test('an unknown key says which keys exist', () => {
    const [p] = problemsOf('lifecycle:\n  terminal: [agent_completed]');
    assert.equal(p![1], 'target.profile.lifecycle.terminal');
    assert.match(p![2], /unknown key "terminal"/);
  });

  test('an event in two roles is blamed where the scenario put it, naming the default it clashes with', () => {
    const [a, ...more] = problemsOf('lifecycle:\n  body: [agent_thinking, agent_started]');
    assert.deepEqual(more, []);
    assert.deepEqual(a!.slice(0, 2), [5, 'target.profile.lifecycle.body[1]']);
    assert.match(a![2], /agent_started is already in lifecycle\.start\[0\]: an event has one role in a run \(lifecycle\.start is protocol\.md's default; set it to change that\)/);
    // agent_started, required by default, is left with no role too: both are said.
    const both = problemsOf('lifecycle:\n  start: [agent_thinking]');
    assert.deepEqual(both.map((x) => x[1]), ['target.profile.lifecycle', 'target.profile.lifecycle.start[0]']);
    assert.match(both[0]![2], /agent_started is required but has no role/);
    assert.equal(both[1]![0], 5);
    assert.match(both[1]![2], /agent_thinking is also in lifecycle\.body\[0\].*lifecycle\.body is protocol\.md's default/);
  });

  test('no event that completes a run', () => {
    const [p] = problemsOf('lifecycle:\n  end: { completed: [] }');
    assert.equal(p![1], 'target.profile.lifecycle.end.completed');
    assert.match(p![2], /no event completes a run/);
  });

  test('a required event left with no role by the scenario is blamed on the lifecycle, naming the default', () => {
    const [p] = problemsOf('lifecycle:\n  body: []');
    assert.equal(p![1], 'target.profile.lifecycle');
    assert.match(p![2], /agent_thinking is required but has no role .*lifecycle\.required is protocol\.md's default/);
    assert.deepEqual(problemsOf('requiredEvents: [agent_error]').map((x) => x[1]), ['target.profile.requiredEvents[0]']);
  });

  test('a type said to belong to no run that is a run event of the grammar', () => {
    assert.deepEqual(problemsOf('ignoreTypes: [heartbeat, tool_completed]').map((x) => x[1]), ['target.profile.ignoreTypes[1]']);
  });

  test('requiredEvents and lifecycle.required together', () => {
    const [p] = problemsOf('requiredEvents: [agent_started]\nlifecycle: { required: [agent_started] }');
    assert.equal(p![1], 'target.profile.requiredEvents');
    assert.match(p![2], /not both/);
  });

  test('through the CLI: exit 3, the file, line and YAML path, no stack trace', async () => {
    const f = writeScenario(withProfile('lifecycle:\n  pairs: [{ open: tool_executing, close: tool_executing }]'));
    const r = await runCli(['validate', f.file]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /target\.profile\.lifecycle\.pairs\[0\]\.close/);
    assert.match(r.stderr, /cannot close itself/);
    assert.match(r.stderr, new RegExp(`${f.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5`));
    assert.doesNotMatch(r.stderr, /^ {4}at /m);
  });
});
