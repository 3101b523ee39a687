import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNested } from '../../src/protocol/connection.js';

describe('decodeNested: double-encoded frames are read as what they encode', () => {
  const frame = { type: 'agent_thinking', payload: { user_id: 'u-2', thread_id: 'thr_1' } };

  test('a whole frame sent as a JSON string', () => {
    assert.deepEqual(decodeNested(JSON.stringify(frame)), frame);
  });

  test('a payload or data sent as a JSON string', () => {
    assert.deepEqual(decodeNested({ type: 'agent_thinking', payload: JSON.stringify(frame.payload) }), frame);
    assert.deepEqual(decodeNested({ type: 'agent_thinking', data: JSON.stringify(frame.payload) }), {
      type: 'agent_thinking',
      data: frame.payload,
    });
  });

  test('a usual frame is returned as it is (the same object); prose, lists and numbers are left alone', () => {
    assert.equal(decodeNested(frame), frame);
    const prose = { type: 'x', payload: 'hello {not json' };
    assert.equal(decodeNested(prose), prose);
    assert.equal(decodeNested('just text'), 'just text');
    assert.deepEqual(decodeNested([frame]), [frame]);
    assert.equal(decodeNested(7), 7);
  });

  test('bounded: a nested string over 1 MiB is not parsed', () => {
    const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    assert.equal(typeof decodeNested(big), 'string');
  });
});
