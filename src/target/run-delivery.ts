import type { AgentRun, RunEventType } from './agent-runner.js';
import type { ConnectionHub } from './connection-hub.js';
import type { FaultInjector, RecentMessages } from './fault-injector.js';
import { formatFrame, type Dialect } from './wire-dialect.js';

interface Pending {
  readonly run: AgentRun;
  readonly type: RunEventType;
  readonly payload: Record<string, unknown>;
}

const TERMINAL: ReadonlySet<string> = new Set(['agent_completed', 'agent_error', 'agent_stopped']);

/**
 * Routes each run event to its owner's connections. With no faults this is
 * exactly `hub.sendToUser(owner)`; with faults it is where events get
 * misrouted, broadcast, rewritten, spliced, dropped, duplicated, reordered,
 * delayed, or their connection cut, each with its probability.
 */
export class RunDelivery {
  private readonly held = new Map<string, Pending>();
  private readonly delayed = new Map<string, Pending[]>();

  constructor(
    private readonly hub: ConnectionHub,
    private readonly faults: FaultInjector,
    private readonly recent: RecentMessages,
    private readonly dialect: Dialect,
  ) {}

  /** Delivers one run event (the runner's sink). */
  readonly deliver = (run: AgentRun, type: RunEventType, payload: Record<string, unknown>): void => {
    if (!this.faults.enabled) {
      this.hub.sendToUser(run.userId, formatFrame(this.dialect, type, payload));
      return;
    }
    const ev: Pending = { run, type, payload };
    const queue = this.delayed.get(run.id);
    if (queue) { queue.push(ev); return; }
    if (this.faults.roll('delay')) {
      // A latency spike: this event and the rest of its run arrive late, in order.
      this.delayed.set(run.id, [ev]);
      setTimeout(() => {
        const q = this.delayed.get(run.id) ?? [];
        this.delayed.delete(run.id);
        for (const e of q) this.order(e);
      }, this.faults.int(1000, 3000)).unref();
      return;
    }
    this.order(ev);
  };

  private order(ev: Pending): void {
    const held = this.held.get(ev.run.id);
    if (held) {
      this.held.delete(ev.run.id);
      this.route(ev);
      this.route(held);
      return;
    }
    if (!TERMINAL.has(ev.type) && this.faults.roll('reorder')) {
      this.held.set(ev.run.id, ev);
      return;
    }
    this.route(ev);
  }

  private route(ev: Pending): void {
    const owner = ev.run.userId;
    let payload = ev.payload;
    if (typeof payload.reasoning === 'string' && this.faults.roll('content')) {
      const other = this.recent.fromOtherThan(owner);
      if (other !== undefined) payload = { ...payload, reasoning: `${payload.reasoning} Also relevant: ${JSON.stringify(other)}` };
    }
    if (this.faults.roll('drop')) return;
    if (this.faults.roll('misroute')) {
      const other = this.hub.randomUserOtherThan(owner, () => Math.random());
      if (other !== undefined) { this.hub.sendToUser(other, formatFrame(this.dialect, ev.type, payload)); return; }
    }
    if (this.faults.roll('rewrite')) {
      const other = this.hub.randomUserOtherThan(owner, () => Math.random());
      if (other !== undefined) { this.hub.sendToUser(other, formatFrame(this.dialect, ev.type, { ...payload, user_id: other })); return; }
    }
    const frame = formatFrame(this.dialect, ev.type, payload);
    if (this.faults.roll('broadcast')) this.hub.broadcast(frame);
    else this.hub.sendToUser(owner, frame);
    if (this.faults.roll('duplicate')) this.hub.sendToUser(owner, frame);
    if (this.faults.roll('disconnect')) this.hub.closeOneOf(owner, 1011, 'injected disconnect');
  }
}
