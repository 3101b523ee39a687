// violations.jsonl: every violation counted, lines kept per class up to a cap, reasons settled late added to their
// frame's line, and the first lines by time whoever found them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { createRegistrySource } from '../../src/core/metric-source.js';
import type { Violation } from '../../src/core/violation.js';
import {
  createViolationCollector,
  formatViolationLine,
  MAX_ISOLATION_LINES,
  MAX_LIFECYCLE_LINES,
  parseViolationLine,
  selectViolationLines,
} from '../../src/output/violation-log.js';

function leak(id: string, atMs: number, kinds: string[]): Violation {
  return {
    id,
    class: 'isolation',
    kind: kinds[0]!,
    kinds: kinds.map((k) => ({ kind: k, field: 'f', value: `v-${k}`, owner: 'u-2' })),
    atMs,
    cohort: 'chatters',
    receiver: { user: 'u-1' },
    owner: 'u-2',
    channel: 'ws',
    frame: '{}',
  };
}
function lifecycle(atMs: number): Violation {
  return {
    class: 'lifecycle',
    kind: 'out_of_order',
    kinds: [{ kind: 'out_of_order', field: 'event', value: 'seq 3 after 4' }],
    atMs,
    cohort: 'chatters',
    receiver: { user: 'u-1' },
    channel: 'ws',
  };
}

describe('violation collector', () => {
  test('a leaked frame counts once in isolation.violations and once under each kind it shows', () => {
    const r = new MetricRegistry();
    const c = createViolationCollector(r, () => []);
    c.sink(leak('a', 1, ['foreign_user_id', 'foreign_run', 'foreign_run']));
    c.sink(leak('b', 2, ['foreign_canary']));
    const src = createRegistrySource(r, () => 1);
    assert.equal(src.counter('isolation.violations', {}), 2);
    assert.equal(src.counter('isolation.violations', { kind: 'foreign_run' }), 1, 'a frame counts once per kind');
    assert.equal(src.counter('isolation.violations', { kind: 'foreign_canary' }), 1);
    assert.equal(src.counter('isolation.violations', { cohort: 'chatters' }), 2);
  });

  test('lifecycle lines never crowd out isolation lines: each class has its own cap', () => {
    const r = new MetricRegistry();
    const c = createViolationCollector(r, () => []);
    for (let i = 0; i < MAX_LIFECYCLE_LINES + 50; i++) c.sink(lifecycle(i));
    c.sink(leak('late', 1e9, ['foreign_thread']));
    assert.equal(c.cut(), 50);
    assert.equal(
      c.kept.filter((v) => v.class === 'isolation').length,
      1,
      'the leak after 10,000 lifecycle lines is kept',
    );
    assert.equal(
      createRegistrySource(r, () => 1).counter('lifecycle.violations', {}),
      MAX_LIFECYCLE_LINES + 50,
      'every one counted',
    );
  });

  test('an amendment adds reasons to the kept line and counts only kinds the frame did not show', () => {
    const r = new MetricRegistry();
    const c = createViolationCollector(r, () => ['s3cret'], [leak('w0.1', 5, ['foreign_user_id'])]);
    c.amend(
      'w0.1',
      'chatters',
      [{ kind: 'foreign_run', field: 'run_id', value: 'run-s3cret', owner: 'u-2' }],
      ['foreign_run'],
    );
    assert.deepEqual(
      c.kept[0]!.kinds.map((k) => [k.kind, k.value]),
      [
        ['foreign_user_id', 'v-foreign_user_id'],
        ['foreign_run', 'run-[redacted]'],
      ],
    );
    const src = createRegistrySource(r, () => 1);
    assert.equal(src.counter('isolation.violations', {}), 0, 'a seeded line was counted where it was found');
    assert.equal(src.counter('isolation.violations', { kind: 'foreign_run' }), 1);
  });

  test('lines are chosen by time across every source, then capped per class', () => {
    const worker0 = Array.from({ length: MAX_ISOLATION_LINES }, (_, i) =>
      leak(`w0.${i}`, 1000 + i, ['foreign_canary']),
    );
    const worker1 = [leak('w1.1', 10, ['foreign_thread']), leak('w1.2', 20, ['foreign_run'])];
    const { lines, cut } = selectViolationLines([...worker0, ...worker1, lifecycle(5)]);
    assert.deepEqual(
      lines.slice(0, 3).map((v) => v.id ?? v.class),
      ['lifecycle', 'w1.1', 'w1.2'],
      'the earliest first, whoever found them',
    );
    assert.equal(lines.filter((v) => v.class === 'isolation').length, MAX_ISOLATION_LINES);
    assert.equal(cut, 2, 'the two latest leaks of worker 0 are left out');
  });

  test('a line reads back as it was written; an older line (field and value, no kinds) becomes one reason', () => {
    const v = leak('x', Date.UTC(2026, 0, 1), ['foreign_thread', 'foreign_canary']);
    assert.deepEqual(parseViolationLine(formatViolationLine(v)), v);
    const old = parseViolationLine(
      '{"time":"2026-01-01T00:00:00.000Z","class":"isolation","kind":"foreign_thread","owner":"u-2","field":"thread_id","value":"thr-1","channel":"ws","cohort":"c","receiver":{"user":"u-1"}}',
    );
    assert.deepEqual(old?.kinds, [{ kind: 'foreign_thread', field: 'thread_id', value: 'thr-1', owner: 'u-2' }]);
    assert.equal(parseViolationLine('{cut'), undefined);
  });
});
