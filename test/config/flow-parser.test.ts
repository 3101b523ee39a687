import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, parseFlow, type PathProblem } from '../../src/config/flow-parser.js';
import { durationMs, int, oneOf, plainObject, ratePerSec, text, url } from '../../src/config/field-schemas.js';
import { formatPath } from '../../src/config/yaml-locator.js';
import type { FlowStep } from '../../src/core/scenario-types.js';

const BASE = ['cohorts', 'c', 'flow'] as const;

function steps(raw: unknown[], connectionsPerUser = 1): FlowStep[] {
  const r = parseFlow(raw, BASE, { connectionsPerUser });
  assert.deepEqual(r.problems, [], JSON.stringify(r.problems));
  return r.steps;
}

function problems(raw: unknown[], connectionsPerUser = 1): Array<PathProblem & { where: string }> {
  const r = parseFlow(raw, BASE, { connectionsPerUser });
  assert.ok(r.problems.length > 0, 'expected problems');
  return r.problems.map((p) => ({ ...p, where: formatPath(p.path) }));
}

describe('parseFlow', () => {
  test('bare names and one-key mappings', () => {
    assert.deepEqual(steps(['connect', { connect: { connections: 2 } }, 'listThreads', 'reconnect', 'disconnect'], 2), [
      { kind: 'connect' },
      { kind: 'connect', connections: 2 },
      { kind: 'listThreads' },
      { kind: 'reconnect' },
      { kind: 'disconnect' },
    ]);
  });

  test('sendMessage defaults: current thread, await agent_completed, 60 s timeout, connection 0', () => {
    assert.deepEqual(steps(['createThread', { sendMessage: { content: 'hi' } }])[1], {
      kind: 'sendMessage',
      thread: '{{thread}}',
      content: 'hi',
      await: 'agent_completed',
      timeoutMs: 60_000,
      connection: 0,
    });
    assert.deepEqual(
      steps([{ sendMessage: { thread: 'T-1', content: 'hi', await: 'none', timeout: '5s', connection: 1 } }], 2)[0],
      {
        kind: 'sendMessage',
        thread: 'T-1',
        content: 'hi',
        await: 'none',
        timeoutMs: 5000,
        connection: 1,
      },
    );
  });

  test('stopAgent defaults to awaiting agent_stopped within 10 s', () => {
    assert.deepEqual(steps(['stopAgent'])[0], { kind: 'stopAgent', await: 'agent_stopped', timeoutMs: 10_000 });
  });

  test('think and idle shorthands', () => {
    assert.deepEqual(
      steps([{ think: '2s' }, { think: { duration: '500ms' } }, { think: { min: '0s', max: '1s' } }, { idle: '65s' }]),
      [
        { kind: 'think', range: { minMs: 2000, maxMs: 2000 } },
        { kind: 'think', range: { minMs: 500, maxMs: 500 } },
        { kind: 'think', range: { minMs: 0, maxMs: 1000 } },
        { kind: 'idle', durationMs: 65_000 },
      ],
    );
  });

  test('repeat nests its steps; a createThread before it makes {{thread}} available inside', () => {
    const [, rep] = steps([
      'createThread',
      { repeat: { times: 2, steps: [{ postMessage: { content: 'in {{thread}}' } }, { think: '1s' }] } },
    ]);
    assert.deepEqual(rep, {
      kind: 'repeat',
      times: 2,
      steps: [
        { kind: 'postMessage', thread: '{{thread}}', content: 'in {{thread}}' },
        { kind: 'think', range: { minMs: 1000, maxMs: 1000 } },
      ],
    });
  });

  test('a createThread inside a repeat counts for the steps after it', () => {
    const s = steps([{ repeat: { duration: '1m', steps: ['createThread', 'getThread', 'deleteThread'] } }]);
    assert.equal(s[0]?.kind, 'repeat');
  });

  test('unknown steps, with "did you mean", at the step or at its key', () => {
    const p = problems(['conect', { sendMesage: { content: 'x' } }, 'teleport']);
    assert.deepEqual(
      p.map((x) => [x.where, x.atKey ?? false]),
      [
        ['cohorts.c.flow[0]', false],
        ['cohorts.c.flow[1].sendMesage', true],
        ['cohorts.c.flow[2]', false],
      ],
    );
    assert.match(p[0]!.message, /unknown step "conect" \(did you mean "connect"\?\)/);
    assert.match(p[1]!.message, /did you mean "sendMessage"/);
    assert.doesNotMatch(p[2]!.message, /did you mean/);
  });

  test('a step written as something else than a name or a one-key mapping', () => {
    const p = problems([{ connect: {}, disconnect: {} }, 42, ['connect']]);
    assert.equal(p.length, 3);
    assert.ok(p.every((x) => /expected a step/.test(x.message)));
  });

  test('steps that need parameters say so with an example', () => {
    const p = problems(['createThread', 'sendMessage', 'think', { idle: null }, 'repeat']);
    assert.deepEqual(
      p.map((x) => x.where),
      ['cohorts.c.flow[1]', 'cohorts.c.flow[2]', 'cohorts.c.flow[3].idle', 'cohorts.c.flow[4]'],
    );
    assert.match(p[0]!.message, /step "sendMessage" needs parameters, e\.g\. "sendMessage: \{ content: Hello \}"/);
  });

  test('parameter problems are located at the parameter', () => {
    const p = problems([
      'createThread',
      { sendMessage: { content: '', timeout: 30 } },
      { listThreads: { limit: 500 } },
      { connect: { connections: 0 } },
    ]);
    assert.deepEqual(
      p.map((x) => x.where).sort(),
      [
        'cohorts.c.flow[1].sendMessage.content',
        'cohorts.c.flow[1].sendMessage.timeout',
        'cohorts.c.flow[2].listThreads.limit',
        'cohorts.c.flow[3].connect.connections',
      ].sort(),
    );
    assert.match(
      p.find((x) => x.where.endsWith('.timeout'))!.message,
      /expected a duration such as 500ms, 30s, 2m \(or 2min\) or 1h30m, got 30/,
    );
    assert.match(p.find((x) => x.where.endsWith('.limit'))!.message, /from 1 to 100, got 500/);
  });

  test('parameters that are not a mapping', () => {
    const p = problems(['createThread', { sendMessage: 'hello' }]);
    assert.equal(p[0]!.where, 'cohorts.c.flow[1].sendMessage');
    assert.match(p[0]!.message, /expected parameters for sendMessage as a mapping/);
  });

  test('updateThread needs a title or metadata', () => {
    const p = problems(['createThread', 'updateThread']);
    assert.match(p[0]!.message, /updateThread needs "title" or "metadata"/);
  });

  test('templates are checked in every string, metadata included', () => {
    const p = problems([{ createThread: { title: 'ok {{user}}', metadata: { owner: '{{owner}}' } } }]);
    assert.equal(p.length, 1);
    assert.equal(p[0]!.where, 'cohorts.c.flow[0].createThread.metadata');
    assert.match(p[0]!.message, /"\{\{owner\}\}" names nothing/);
  });

  test('{{thread}} and current-thread steps need a createThread before them', () => {
    const p = problems([
      'listMessages',
      { sendMessage: { content: 'about {{thread}}', thread: 'T-fixed' } },
      'createThread',
      'deleteThread',
    ]);
    assert.equal(p.length, 2);
    assert.match(p[0]!.message, /listMessages acts on the current thread/);
    assert.equal(p[1]!.where, 'cohorts.c.flow[1].sendMessage.content');
    assert.match(p[1]!.message, /\{\{thread\}\} is used before any createThread step/);
  });

  test('a fixed thread id needs no createThread', () => {
    assert.deepEqual(steps([{ getThread: { thread: 'T-42' } }]), [{ kind: 'getThread', thread: 'T-42' }]);
  });

  test('sendMessage on a connection the cohort does not open', () => {
    const p = problems(['createThread', { sendMessage: { content: 'x', connection: 1 } }], 1);
    assert.equal(p[0]!.where, 'cohorts.c.flow[1].sendMessage.connection');
    assert.match(p[0]!.message, /connection 1 does not exist: the flow opens at most 1 connection\(s\) per user/);
    assert.equal(steps(['createThread', { sendMessage: { content: 'x', connection: 1 } }], 2).length, 2);
  });

  test('problems inside repeat carry the nested path', () => {
    const p = problems([{ repeat: { times: 2, steps: ['connect', { think: { min: '2s', max: '1s' } }] } }]);
    assert.equal(p[0]!.where, 'cohorts.c.flow[0].repeat.steps[1].think');
    assert.match(p[0]!.message, /min \(2000ms\) is above max \(1000ms\)/);
  });

  test('repeat needs exactly one of times or duration', () => {
    assert.match(problems([{ repeat: { steps: ['connect'] } }])[0]!.message, /exactly one of "times" or "duration"/);
    assert.match(
      problems([{ repeat: { times: 1, duration: '1s', steps: ['connect'] } }])[0]!.message,
      /exactly one of "times" or "duration"/,
    );
    assert.equal(problems([{ repeat: { times: 1, steps: [] } }])[0]!.where, 'cohorts.c.flow[0].repeat.steps');
  });
});

describe('didYouMean', () => {
  test('suggests the closest word within a distance that grows with length', () => {
    assert.equal(didYouMean('conect', ['connect', 'disconnect']), ' (did you mean "connect"?)');
    assert.equal(didYouMean('SENDMESSAGE', ['sendMessage']), ' (did you mean "sendMessage"?)');
    assert.equal(didYouMean('xyz', ['connect', 'idle']), '');
  });
});

describe('formatPath', () => {
  test('dots for names, brackets for indexes, quoted brackets for other keys', () => {
    assert.equal(formatPath(['cohorts', 'chatters', 'stages', 1, 'duration']), 'cohorts.chatters.stages[1].duration');
    assert.equal(formatPath(['thresholds', 'run.totl', 0]), 'thresholds["run.totl"][0]');
    assert.equal(formatPath(['thresholds', 'run.total{cohort:x}']), 'thresholds["run.total{cohort:x}"]');
    assert.equal(formatPath([]), '');
  });
});

describe('field schemas', () => {
  test('durationMs refuses bare numbers and zero unless allowed, and honours min', () => {
    assert.equal(durationMs().parse('1m30s'), 90_000);
    assert.equal(durationMs().safeParse(30).success, false);
    assert.equal(durationMs().safeParse('0s').success, false);
    assert.equal(durationMs({ allowZero: true }).parse('0s'), 0);
    const r = durationMs({ min: 1000 }).safeParse('500ms');
    assert.equal(r.success, false);
    assert.match(r.error?.issues[0]?.message ?? '', /expected at least 1000ms, got "500ms"/);
  });

  test('durationMs takes 2min, 1h and 90min, and says "too long" only of a duration that is', () => {
    assert.equal(durationMs().parse('2min'), 120_000);
    assert.equal(durationMs().parse('1h'), 3_600_000);
    assert.equal(durationMs().parse('1h30m'), 5_400_000);
    assert.equal(durationMs().parse('90min'), 5_400_000);
    const message = (v: unknown): string => durationMs().safeParse(v).error?.issues[0]?.message ?? '';
    for (const v of ['2mins', '2 minutes', '5x', 'soon']) {
      assert.match(message(v), /^expected a duration such as 500ms, 30s, 2m \(or 2min\) or 1h30m, got "/, v);
      assert.doesNotMatch(message(v), /too long/, v);
    }
    assert.match(
      message('600h'),
      /^too long: expected a duration of at most 24 days \(the longest a timer can wait\), got "600h"$/,
    );
    assert.match(message('1000000h 5m'), /too long/);
  });

  test('ratePerSec refuses zero unless allowed', () => {
    assert.equal(ratePerSec().parse('300/m'), 5);
    assert.equal(ratePerSec().safeParse('0/s').success, false);
    assert.equal(ratePerSec({ allowZero: true }).parse('0/s'), 0);
    assert.equal(ratePerSec().safeParse(5).success, false);
  });

  test('int, text, oneOf, plainObject and url say what they expected', () => {
    assert.equal(int(1, 64).parse(64), 64);
    assert.match(
      int(1, 64).safeParse(1.5).error?.issues[0]?.message ?? '',
      /expected a whole number from 1 to 64, got 1\.5/,
    );
    assert.match(int(0).safeParse('3').error?.issues[0]?.message ?? '', /of at least 0, got "3"/);
    assert.equal(text().safeParse('').success, false);
    assert.equal(oneOf(['a', 'b'] as const).parse('b'), 'b');
    assert.match(
      oneOf(['a', 'b'] as const).safeParse('c').error?.issues[0]?.message ?? '',
      /expected one of a, b, got "c"/,
    );
    assert.equal(plainObject().safeParse([1]).success, false);
    assert.equal(url(['http', 'https']).parse('https://h.example/api//'), 'https://h.example/api');
    assert.equal(url(['ws', 'wss']).safeParse('http://h').success, false);
    assert.equal(url(['http', 'https']).safeParse('not a url').success, false);
  });
});
