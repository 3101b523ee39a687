import type { OpenResult } from './connection.js';

/**
 * The open a connection is waiting on: the resolve of the promise `open()`
 * returned and the connect timeout, settled exactly once by whichever comes
 * first (ready, refused, reset, timed out); later outcomes are ignored. The
 * timeout calls `onTimeout(arg)`, a function shared by every session with the
 * session as `arg`, so no closure is made per open.
 */
export class PendingOpen<A> {
  private settle: ((r: OpenResult) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onTimeout: (arg: A) => void,
    private readonly arg: A,
  ) {}

  /** True from {@link begin} until the open is settled. */
  get waiting(): boolean {
    return this.settle !== undefined;
  }

  /** Starts waiting: `resolve` gets the outcome; the timeout fires after `timeoutMs` unless settled first. */
  begin(resolve: (r: OpenResult) => void, timeoutMs: number): void {
    // A reopen before the last open settled must not be timed out by the last one's timer.
    if (this.timer) clearTimeout(this.timer);
    this.settle = resolve;
    this.timer = setTimeout(this.onTimeout, timeoutMs, this.arg);
  }

  /** Settles the open with `r` and stops the timeout; does nothing once settled. */
  finish(r: OpenResult): void {
    const settle = this.settle;
    if (!settle) return;
    this.settle = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    settle(r);
  }
}
