import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OpenResult } from '../../src/protocol/connection.js';
import { PendingOpen } from '../../src/protocol/pending-open.js';

const READY: OpenResult = { ok: true, connectUs: 5, connectionId: 'c1' };
const RESET: OpenResult = { ok: false, kind: 'connect_reset', detail: 'closed before the upgrade' };

/** A pending open whose timeout settles it as a connect_timeout, as the sessions' do; counts the timeouts. */
function pending(): { open: PendingOpen<{ timeouts: number }>; session: { timeouts: number } } {
  const session = { timeouts: 0 };
  const open: PendingOpen<{ timeouts: number }> = new PendingOpen((s) => {
    s.timeouts++;
    open.finish({ ok: false, kind: 'connect_timeout', detail: 'no upgrade in time' });
  }, session);
  return { open, session };
}

describe('PendingOpen: an open is settled once, by whatever comes first', () => {
  test('the first outcome wins; later ones and the timeout are ignored', async () => {
    const { open, session } = pending();
    const results: OpenResult[] = [];
    assert.equal(open.waiting, false);
    open.begin((r) => results.push(r), 30);
    assert.equal(open.waiting, true);
    open.finish(READY);
    open.finish(RESET);
    assert.equal(open.waiting, false);
    await sleep(60);
    assert.deepEqual(results, [READY]);
    assert.equal(session.timeouts, 0, 'the timer was stopped');
  });

  test('with no outcome in time, the timeout gets the session and settles it', async () => {
    const { open, session } = pending();
    const results: OpenResult[] = [];
    open.begin((r) => results.push(r), 10);
    await sleep(50);
    assert.equal(session.timeouts, 1);
    assert.deepEqual(
      results.map((r) => (r.ok ? 'ok' : r.kind)),
      ['connect_timeout'],
    );
    assert.equal(open.waiting, false);
  });

  test("a reopen is not timed out by the earlier open's timer", async () => {
    const { open, session } = pending();
    const results: OpenResult[] = [];
    open.begin((r) => results.push(r), 20);
    open.begin((r) => results.push(r), 500);
    await sleep(60);
    assert.equal(session.timeouts, 0);
    assert.equal(open.waiting, true);
    open.finish(READY);
    assert.deepEqual(results, [READY]);
  });
});
