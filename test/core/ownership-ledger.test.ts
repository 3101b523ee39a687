import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMap } from '../../src/core/bounded-map.js';
import { formatMessageId, MAX_IDS, OwnershipLedger } from '../../src/core/ownership-ledger.js';
import { UserDirectory } from '../../src/core/user-directory.js';

const directory = new UserDirectory({ prefix: 'u', runTag: 't1' }, ['chatters'], [0]);

describe('BoundedMap', () => {
  test('keeps the first value of a key and forgets the oldest keys past its capacity', () => {
    const m = new BoundedMap<number>(3);
    assert.equal(m.add('a', 1), true);
    assert.equal(m.add('a', 9), false, 'a known key is not claimed twice');
    m.add('b', 2);
    m.add('c', 3);
    m.add('d', 4);
    assert.equal(m.size, 3);
    assert.equal(m.has('a'), false, 'the oldest key is forgotten first');
    assert.deepEqual(
      [...m.entries()],
      [
        ['b', 2],
        ['c', 3],
        ['d', 4],
      ],
    );
    m.add('e', 5);
    m.add('f', 6);
    m.add('g', 7);
    assert.deepEqual(
      [...m.entries()],
      [
        ['e', 5],
        ['f', 6],
        ['g', 7],
      ],
      'insertion order survives the ring wrapping around',
    );
    assert.equal(m.get('a'), undefined);
    const picked = new Set([0, 1, 2].map((i) => m.keyAt(i)));
    assert.deepEqual([...picked].sort(), ['e', 'f', 'g']);
    assert.deepEqual(
      [0, 1, 2, 3].map((k) => m.keyFromNewest(k)),
      ['g', 'f', 'e', undefined],
      'newest first, across the wrap',
    );
    const young = new BoundedMap<number>(5);
    young.add('x', 1);
    young.add('y', 2);
    assert.deepEqual(
      [0, 1, 2].map((k) => young.keyFromNewest(k)),
      ['y', 'x', undefined],
      'before the ring is full',
    );
  });

  test('a forgotten key can be claimed again, as new', () => {
    const m = new BoundedMap<number>(2);
    m.add('a', 1);
    m.add('b', 2);
    m.add('c', 3);
    assert.equal(m.add('a', 4), true);
    assert.equal(m.get('a'), 4);
    assert.deepEqual(
      [...m.entries()],
      [
        ['c', 3],
        ['a', 4],
      ],
    );
  });

  test('stays cheap per insert once full (a long run claims millions of ids)', () => {
    // Evicting through map.keys().next() rescans every deleted slot: this took seconds.
    const m = new BoundedMap<number>(20_000);
    const t0 = performance.now();
    for (let i = 0; i < 600_000; i++) m.add(`m-run-u-${i}`, i);
    const ms = performance.now() - t0;
    assert.equal(m.size, 20_000);
    assert.equal(m.get('m-run-u-599999'), 599_999);
    assert.equal(m.has('m-run-u-579999'), false);
    assert.ok(ms < 3000, `600k inserts took ${ms.toFixed(0)} ms`);
  });

  test('refuses a capacity that is not a positive whole number', () => {
    assert.throws(() => new BoundedMap(0), RangeError);
    assert.throws(() => new BoundedMap(1.5), RangeError);
  });
});

describe('OwnershipLedger', () => {
  test('the first claim of an id wins, for threads and runs', () => {
    const l = new OwnershipLedger(directory);
    assert.equal(l.claimThread('thr_1', 3), 3);
    assert.equal(l.claimThread('thr_1', 4), 3, 'a later claim is told the owner on record');
    assert.equal(l.claimRun('run_1', 5), 5);
    assert.equal(l.claimRun('run_1', 6), 5);
    assert.equal(l.threadOwner('thr_1'), 3);
    assert.equal(l.runOwner('run_1'), 5);
  });

  test("a message id names its sender, for any process of the run and for no other run's ids", () => {
    const l = new OwnershipLedger(directory);
    assert.equal(l.messageOwner(formatMessageId('t1', 7, 1)), 7);
    assert.equal(l.messageOwner(formatMessageId('t1', 0, 123456)), 0);
    assert.equal(l.messageOwner(formatMessageId('zz', 7, 1)), undefined, 'another run');
    for (const bad of [
      'm-t1-',
      'm-t1-7',
      'm-t1-7-',
      'm-t1--1',
      'm-t1-x-1',
      'm-t1-7-1a',
      'm-t1-7-1-2',
      'probe-t1-3',
      'm-t1-1234567890123456-1',
    ]) {
      assert.equal(l.messageOwner(bad), undefined, bad);
    }
  });

  test('remembers at most MAX_IDS of each sort, forgetting the oldest; export and import keep the newest', () => {
    const l = new OwnershipLedger(directory);
    const n = MAX_IDS + 500;
    for (let i = 0; i < n; i++) {
      l.claimThread(`thr_${i}`, i % 7);
      l.claimRun(`run_${i}`, i % 7);
    }
    assert.equal(l.threadOwner('thr_0'), undefined);
    assert.equal(l.runOwner('run_499'), undefined);
    assert.equal(l.runOwner('run_500'), 500 % 7);
    assert.equal(l.threadOwner(`thr_${n - 1}`), (n - 1) % 7);
    const e = l.export();
    assert.equal(e.threads.length, MAX_IDS);
    assert.deepEqual(e.runs[0], ['run_500', 500 % 7], 'exported oldest first');
    const copy = new OwnershipLedger(directory);
    copy.import(e);
    assert.equal(copy.threadOwner(`thr_${n - 1}`), (n - 1) % 7);
    assert.equal(copy.runOwner('run_499'), undefined);
  });

  test('shortened ids resolve by prefix, preferring the asking user', () => {
    const l = new OwnershipLedger(directory);
    l.claimThread('thr_4d0d40b3aa', 2);
    l.claimThread('thr_4d0d40b3bb', 5);
    assert.equal(l.ownerByPrefix('thread', 'thr_4d0d40b3', 5), 5);
    assert.equal(l.ownerByPrefix('thread', 'thr_4d0d40b3', 9), 2);
    assert.equal(l.ownerByPrefix('run', 'thr_4d0d', 2), undefined);
  });

  test('a probe picks only threads of other users', () => {
    const l = new OwnershipLedger(directory);
    for (let i = 0; i < 50; i++) l.claimThread(`thr_${i}`, i % 2);
    let seed = 1;
    const rand = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let k = 0; k < 100; k++) {
      const t = l.randomForeignThread(0, rand);
      assert.ok(t, "half the threads are another user's: eight tries find one (seeded)");
      assert.equal(t.owner, 1);
    }
    const only = new OwnershipLedger(directory);
    only.claimThread('thr_x', 0);
    assert.equal(only.randomForeignThread(0, rand), undefined);
  });

  test('a probe that joins a run by id picks one of the newest runs of another user (the likeliest to be live)', () => {
    const l = new OwnershipLedger(directory);
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    assert.equal(l.recentForeignRun(0, rand), undefined, 'no run yet');
    for (let i = 0; i < 30; i++) l.claimRun(`run_${i}`, i % 3);
    const picked = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const r = l.recentForeignRun(0, rand)!;
      assert.notEqual(r.owner, 0);
      assert.equal(l.runOwner(r.id), r.owner);
      picked.add(r.id);
    }
    // Of the 8 newest (run_22..run_29), those not the prober's own.
    assert.deepEqual([...picked].sort(), ['run_22', 'run_23', 'run_25', 'run_26', 'run_28', 'run_29']);
    const mine = new OwnershipLedger(directory);
    mine.claimRun('run_a', 0);
    assert.equal(mine.recentForeignRun(0, rand), undefined);
  });
});
