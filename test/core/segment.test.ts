import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSegmentCount, ownsNumber, parseSegment } from '../../src/core/segment.js';

describe('parseSegment (--segment I/N, I counted from 0)', () => {
  test('0/2 and 1/2 are the two halves: together they own every user once', () => {
    const first = parseSegment('0/2');
    const second = parseSegment('1/2');
    assert.deepEqual(first, { residue: 0, modulus: 2 });
    assert.deepEqual(second, { residue: 1, modulus: 2 });
    if ('message' in first || 'message' in second) return;
    for (let n = 0; n < 10; n++)
      assert.equal(
        Number(ownsNumber(first, n)) + Number(ownsNumber(second, n)),
        1,
        `user ${n} belongs to exactly one half`,
      );
    assert.equal(computeSegmentCount(first, 15) + computeSegmentCount(second, 15), 15);
    assert.deepEqual(parseSegment(' 0 / 1 '), { residue: 0, modulus: 1 }, '0/1 is the whole scenario');
  });

  test('2/2 is refused with a message that says I runs from 0 to N-1 and shows the right pair', () => {
    const p = parseSegment('2/2');
    assert.ok('message' in p, 'refused');
    assert.match(p.message, /--segment 2\/2/);
    assert.match(p.message, /I counts from 0, so it runs from 0 to N-1 \(0 to 1 here\)/);
    assert.match(p.message, /--segment 0\/2 and 1\/2 split the users in two/);
  });

  test('larger N: the example lists the first and last segment', () => {
    const p = parseSegment('4/4');
    assert.ok('message' in p);
    assert.match(p.message, /0 to 3 here/);
    assert.match(p.message, /--segment 0\/4, 1\/4 \.\.\. 3\/4 split the users in 4/);
    const one = parseSegment('1/1');
    assert.ok('message' in one);
    assert.match(one.message, /0 to 0 here.*--segment 0\/1 is the whole scenario/);
  });

  test('N of 0 and text that is not I/N are refused, saying I counts from 0', () => {
    const zero = parseSegment('1/0');
    assert.ok('message' in zero);
    assert.match(zero.message, /--segment 1\/0: N must be at least 1/);
    for (const bad of ['x', '1', '-1/2', '1.5/2', '1/2/3', '']) {
      const p = parseSegment(bad);
      assert.ok('message' in p, `"${bad}" refused`);
      assert.match(
        p.message,
        /expected I\/N, share I of N counted from 0 \(--segment 0\/2 and 1\/2 split the users in two\)/,
      );
    }
  });
});
