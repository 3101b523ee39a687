// The lifecycle grammar as data: protocol.md's default, what makes a grammar invalid, and its compiled tables.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileLifecycleGrammar,
  computeLifecycleProblems,
  DEFAULT_LIFECYCLE,
  DEFAULT_LIFECYCLE_GRAMMAR,
  isKnownFrameType,
  ROLE,
  type LifecycleSpec,
} from '../../src/core/lifecycle-grammar.js';
import { EVENT } from '../../src/core/metric-names.js';

const spec = (over: Partial<LifecycleSpec>): LifecycleSpec => ({ ...DEFAULT_LIFECYCLE, ...over });
const problems = (s: LifecycleSpec): Array<[string, string]> =>
  computeLifecycleProblems(s).map((p) => [p.path.join('.'), p.message]);

describe('lifecycle grammar', () => {
  test("protocol.md's grammar: started opens, thinking is free, tools pair by tool_name, three ways to end", () => {
    assert.deepEqual(problems(DEFAULT_LIFECYCLE), []);
    const g = DEFAULT_LIFECYCLE_GRAMMAR;
    assert.equal(g.roleOf[EVENT.agent_started], ROLE.start);
    assert.equal(g.roleOf[EVENT.agent_thinking], ROLE.body);
    assert.equal(g.roleOf[EVENT.tool_executing], ROLE.open);
    assert.equal(g.roleOf[EVENT.tool_completed], ROLE.close);
    assert.equal(g.pairOf[EVENT.tool_completed], 0);
    assert.deepEqual(
      [g.roleOf[EVENT.agent_completed], g.roleOf[EVENT.agent_error], g.roleOf[EVENT.agent_stopped]],
      [ROLE.completed, ROLE.failed, ROLE.stopped],
    );
    assert.equal(g.requiredMask, (1 << EVENT.agent_started) | (1 << EVENT.agent_thinking));
    assert.deepEqual([...g.nonRun].sort(), ['connection_established', 'error', 'heartbeat', 'pong', 'system_notice']);
  });

  test("known frame types: run events with a role and the server's own frames", () => {
    const g = DEFAULT_LIFECYCLE_GRAMMAR;
    assert.equal(isKnownFrameType(g, 'tool_completed', EVENT.tool_completed), true);
    assert.equal(isKnownFrameType(g, 'heartbeat', -1), true);
    assert.equal(isKnownFrameType(g, 'agent_dreaming', -1), false);
    const noTools = compileLifecycleGrammar(spec({ pairs: [] }));
    assert.equal(isKnownFrameType(noTools, 'tool_completed', EVENT.tool_completed), false);
  });

  test('an event in two roles, or twice in one, is a problem where it comes second', () => {
    assert.deepEqual(problems(spec({ body: ['agent_thinking', 'agent_started'] })), [
      ['body.1', 'agent_started is already in lifecycle.start[0]: an event has one role in a run'],
    ]);
    assert.deepEqual(
      problems(spec({ end: { ...DEFAULT_LIFECYCLE.end, failed: ['agent_error', 'agent_error'] } })).map(([p]) => p),
      ['end.failed.1'],
    );
    const [p] = computeLifecycleProblems(spec({ pairs: [{ open: 'agent_thinking', close: 'tool_completed' }] }));
    assert.deepEqual(
      [p?.path, p?.also],
      [
        ['pairs', 0, 'open'],
        ['body', 0],
      ],
    );
  });

  test('no event that completes a run, a pair that closes itself, a required event with no role or that ends the run', () => {
    assert.deepEqual(problems(spec({ end: { ...DEFAULT_LIFECYCLE.end, completed: [] } })), [
      [
        'end.completed',
        'no event completes a run: list at least one under lifecycle.end.completed (e.g. agent_completed)',
      ],
    ]);
    assert.match(
      problems(spec({ pairs: [{ open: 'tool_executing', close: 'tool_executing' }] }))[0]![1],
      /cannot close itself/,
    );
    assert.deepEqual(problems(spec({ body: [] })), [
      [
        'required.1',
        'agent_thinking is required but has no role in the lifecycle: it is in none of start, body, pairs',
      ],
    ]);
    assert.match(
      problems(spec({ required: ['agent_completed'] }))[0]![1],
      /ends a run \(lifecycle\.end\.completed\[0\]\)/,
    );
  });

  test('a run event with a role cannot also belong to no run', () => {
    assert.deepEqual(problems(spec({ nonRun: ['heartbeat', 'agent_thinking'] })), [
      ['nonRun.1', 'agent_thinking is a run event in lifecycle.body[0]; it cannot also belong to no run'],
    ]);
  });

  test('compiling a grammar built in code with problems throws, naming them', () => {
    assert.throws(
      () => compileLifecycleGrammar(spec({ body: ['agent_started'] })),
      /invalid lifecycle grammar: lifecycle\.body\[0\]: agent_started is already in/,
    );
  });
});
