// The lifecycle oracle against protocol.md's grammar and against grammars a scenario gives,
// with frames built here: with and without seq, keyed and keyless tool pairs, partial tabs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileLifecycleGrammar,
  DEFAULT_LIFECYCLE,
  DEFAULT_LIFECYCLE_GRAMMAR,
  type LifecycleGrammar,
  type LifecycleSpec,
} from '../../src/core/lifecycle-grammar.js';
import { LifecycleOracle } from '../../src/core/lifecycle-oracle.js';
import { computeRunEventIndex } from '../../src/core/metric-names.js';
import type { Violation } from '../../src/core/violation.js';

const rx = { userId: 'u-1', userIndex: 1, cohort: 'chatters' };

/** One frame: its type, and optionally a seq and a pair key (tool name or call id). */
type F = readonly [type: string, seq?: number, key?: string];

/** Short names for frames of protocol.md. */
const S: F = ['agent_started'];
const T: F = ['agent_thinking'];
const D: F = ['agent_completed'];
const E = (key?: string): F => ['tool_executing', undefined, key];
const C = (key?: string): F => ['tool_completed', undefined, key];

/** `frames` with seq 0, 1, 2... in the order given. */
const numbered = (frames: readonly F[]): F[] => frames.map(([type, , key], i) => [type, i, key]);

/** Plays frames of one run on one connection, finalizes it, and returns [kind, value] of each violation. */
function play(
  frames: readonly F[],
  opts: { grammar?: LifecycleGrammar; partial?: boolean } = {},
): Array<[string, string | undefined]> {
  const violations: Violation[] = [];
  const oracle = new LifecycleOracle(opts.grammar ?? DEFAULT_LIFECYCLE_GRAMMAR, (v) => violations.push(v));
  const st = LifecycleOracle.createState(opts.partial ?? false);
  for (const [type, seq, pairKey] of frames)
    oracle.observe(
      st,
      { type, event: computeRunEventIndex(type), seq, pairKey },
      rx,
      'm-1',
      JSON.stringify({ type }),
      1000,
    );
  oracle.finalize(st, rx, 'm-1', 2000);
  return violations.map((v) => [v.kind, v.kinds[0]?.value]);
}

/** A grammar: protocol.md's with some keys replaced. */
const grammar = (over: Partial<LifecycleSpec>): LifecycleGrammar =>
  compileLifecycleGrammar({ ...DEFAULT_LIFECYCLE, ...over });

const REACT: F[] = [S, T, E('search_documents'), C('search_documents'), T, E('fetch_url'), C('fetch_url'), T, D];

describe("protocol.md's grammar: thinking and tool pairs interleave (ReAct)", () => {
  test('think → tool → think → tool → answer: no violation without seq', () => {
    assert.deepEqual(play(REACT), []);
  });

  test('the same with seq, and with tool frames that carry no key', () => {
    assert.deepEqual(play(numbered(REACT)), []);
    assert.deepEqual(play(numbered([S, T, E(), C(), T, E(), C(), D])), []);
  });

  test('several thoughts in a row, a run with no tool, and parallel calls closed in another order', () => {
    assert.deepEqual(play([S, T, T, T, D]), []);
    assert.deepEqual(play(numbered([S, T, E('a'), E('b'), C('b'), T, C('a'), T, D])), []);
  });

  test('a tool_completed whose tool_executing never came is missing_event, with or without seq', () => {
    assert.deepEqual(play([S, T, C('fetch_url'), T, D]), [['missing_event', 'tool_executing (fetch_url)']]);
    assert.deepEqual(play(numbered([S, T, C('fetch_url'), T, D])), [['missing_event', 'tool_executing (fetch_url)']]);
  });

  test('a tool_completed before its own tool_executing is out_of_order, once', () => {
    assert.deepEqual(play([S, T, C('x'), E('x'), T, D]), [
      ['out_of_order', 'tool_executing (x) after its tool_completed'],
    ]);
    // Reordered in flight: seq says so, and the grammar does not blame the same frame again.
    assert.deepEqual(
      play([
        ['agent_started', 0],
        ['agent_thinking', 1],
        ['tool_completed', 3, 'x'],
        ['tool_executing', 2, 'x'],
        ['agent_thinking', 4],
        ['agent_completed', 5],
      ]),
      [['out_of_order', 'seq 2 after 3']],
    );
  });

  test('a tool_completed for another tool than the one executing: both ends are missing', () => {
    assert.deepEqual(play([S, T, E('a'), C('b'), T, D]), [['missing_event', 'tool_executing (b), tool_completed (a)']]);
  });

  test('two started, with and without seq, are duplicate_event', () => {
    assert.deepEqual(play([S, S, T, D]), [['duplicate_event', 'agent_started']]);
    assert.deepEqual(play(numbered([S, T, S, D])), [['duplicate_event', 'agent_started']]);
    assert.deepEqual(
      play([
        ['agent_started', 0],
        ['agent_started', 0],
        ['agent_thinking', 1],
        ['agent_completed', 2],
      ]),
      [['duplicate_event', 'seq 0']],
    );
  });

  test('started after another event is out_of_order', () => {
    assert.deepEqual(play([T, S, D]), [['out_of_order', 'agent_started after agent_thinking']]);
  });

  test('thinking after completed is event_after_end', () => {
    assert.deepEqual(play([S, T, D, T]), [['event_after_end', 'agent_thinking']]);
    assert.deepEqual(play(numbered([S, T, D, T])), [['event_after_end', 'agent_thinking']]);
  });

  test('a completed run with no thinking, or a tool left open, is missing_event', () => {
    assert.deepEqual(play([S, D]), [['missing_event', 'agent_thinking']]);
    assert.deepEqual(play(numbered([S, T, E('run_python'), D])), [['missing_event', 'tool_completed (run_python)']]);
    assert.deepEqual(play([S, T, E(), E('b'), C(), T, D]), [['missing_event', 'tool_completed (b)']]);
  });

  test('a seq gap in a completed run is missing_event', () => {
    assert.deepEqual(
      play([
        ['agent_started', 0],
        ['agent_thinking', 2],
        ['agent_completed', 3],
      ]),
      [['missing_event', '1 seq']],
    );
  });

  test('a failed or stopped run may end anywhere (a tool open, no thinking), but not with a closer that had no opener', () => {
    assert.deepEqual(play([S, T, E('a'), ['agent_error']]), []);
    assert.deepEqual(play([S, ['agent_stopped']]), []);
    assert.deepEqual(play([S, T, C('a'), ['agent_error']]), [['missing_event', 'tool_executing (a)']]);
  });

  test('a tab opened mid-run may see a closer without its opener', () => {
    assert.deepEqual(play([C('a'), T, D], { partial: true }), []);
  });

  test('an unknown type in a run is unknown_event; a server frame that names the run is fine', () => {
    assert.deepEqual(play([S, T, ['agent_dreaming'], D]), [['unknown_event', 'agent_dreaming']]);
    assert.deepEqual(play([S, T, ['heartbeat'], D]), []);
  });
});

describe("a grammar the scenario gives replaces protocol.md's", () => {
  test('a backend with no thinking events: none required, none missing', () => {
    const g = grammar({ body: [], required: ['agent_started'] });
    assert.deepEqual(play([S, E('a'), C('a'), E('b'), C('b'), D], { grammar: g }), []);
    assert.deepEqual(play(numbered([S, D]), { grammar: g }), []);
    // The default grammar would have flagged that run.
    assert.deepEqual(play([S, D]), [['missing_event', 'agent_thinking']]);
  });

  test('a backend with no start event: the first event may be any body event', () => {
    const g = grammar({ start: [], required: ['agent_thinking'] });
    assert.deepEqual(play([T, E(), C(), T, D], { grammar: g }), []);
    assert.deepEqual(
      play([S, T, D], { grammar: g }),
      [['unknown_event', 'agent_started']],
      'an event with no role is unknown',
    );
  });

  test('pairs matched by count when the pair has no key (the frame reader then reads none)', () => {
    const g = grammar({ pairs: [{ open: 'tool_executing', close: 'tool_completed' }] });
    assert.deepEqual(play([S, T, E(), E(), C(), T, C(), T, D], { grammar: g }), []);
    assert.deepEqual(play([S, T, E(), E(), C(), T, D], { grammar: g }), [['missing_event', 'tool_completed']]);
    assert.deepEqual(play([S, T, C(), D], { grammar: g }), [['missing_event', 'tool_executing']]);
  });

  test('a grammar with no pairs: a tool event is unknown', () => {
    assert.deepEqual(play([S, T, E(), D], { grammar: grammar({ pairs: [] }) }), [['unknown_event', 'tool_executing']]);
  });

  test('thinking as a required pair member: a required event may be any role but the end', () => {
    const g = grammar({ required: ['agent_started', 'tool_executing'] });
    assert.deepEqual(play([S, T, D], { grammar: g }), [['missing_event', 'tool_executing']]);
    assert.deepEqual(play([S, E(), C(), D], { grammar: g }), []);
  });

  test('backend frame types listed as belonging to no run are let through inside a run', () => {
    const g = grammar({ nonRun: [...DEFAULT_LIFECYCLE.nonRun, 'token_delta'] });
    assert.deepEqual(play([S, T, ['token_delta'], ['token_delta'], D], { grammar: g }), []);
    assert.deepEqual(play([S, T, ['token_delta'], D]), [['unknown_event', 'token_delta']]);
  });
});

describe('the per-connection state stays small', () => {
  test('a sequential agent keeps its open call inline: no list is made', () => {
    const oracle = new LifecycleOracle(DEFAULT_LIFECYCLE_GRAMMAR, () => assert.fail('no violation expected'));
    const st = LifecycleOracle.createState(false);
    for (const [type, seq, pairKey] of numbered(REACT)) {
      oracle.observe(st, { type, event: computeRunEventIndex(type), seq, pairKey }, rx, 'm', '', 0);
      assert.equal(st.openMore, undefined);
      assert.equal(st.orphans, undefined);
    }
    assert.equal(st.finalized, true, 'judged at its end: every seq arrived');
  });
});
