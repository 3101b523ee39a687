import type { AgentRun, RunEventType } from './agent-runner.js';
import type { ConnectionHub } from './connection-hub.js';
import type { FaultInjector, RecentMessages } from './fault-injector.js';

interface Pending {
  readonly run: AgentRun;
  readonly type: RunEventType;
  readonly payload: Record<string, unknown>;
}

const TERMINAL: ReadonlySet<string> = new Set(['agent_completed', 'agent_error', 'agent_stopped']);

/**
 * Routes each run event to its owner's connections. With no faults this is
 * exactly `hub.sendToOwner(owner)`, whatever the transport; with faults it
 * is where events get misrouted, broadcast, rewritten, spliced, dropped,
 * duplicated, reordered, delayed, or their connection cut, each with its
 * probability. The same on every transport: only the hub's encoder and its
 * connections differ.
 */
export class RunDelivery<F> {
  private readonly held = new Map<string, Pending>();
  private readonly delayed = new Map<string, Pending[]>();

  constructor(
    private readonly hub: ConnectionHub<F>,
    private readonly faults: FaultInjector,
    private readonly recent: RecentMessages,
  ) {}

  /** Delivers one run event (the runner's sink). */
  readonly deliver = (run: AgentRun, type: RunEventType, payload: Record<string, unknown>): void => {
    if (!this.faults.enabled) {
      this.hub.sendToOwner(run.userId, run.id, this.hub.encode(type, payload));
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
    const faults = this.faults;
    let payload = ev.payload;
    let spliced = false;
    if (typeof payload.reasoning === 'string' && faults.roll('content')) {
      const other = this.recent.fromOtherThan(owner);
      if (other !== undefined) { payload = { ...payload, reasoning: `${payload.reasoning} Also relevant: ${JSON.stringify(other)}` }; spliced = true; }
    }
    if (faults.roll('drop')) return;
    if (faults.roll('misroute')) {
      const other = this.hub.randomUserOtherThan(owner, Math.random);
      if (other !== undefined) {
        const sent = this.hub.sendToUser(other, this.hub.encode(ev.type, payload));
        if (spliced) faults.leaked(sent, 'misroute', 'content');
        else faults.leaked(sent, 'misroute');
        return;
      }
    }
    if (faults.roll('rewrite')) {
      const other = this.hub.randomUserOtherThan(owner, Math.random);
      if (other !== undefined) {
        const sent = this.hub.sendToUser(other, this.hub.encode(ev.type, { ...payload, user_id: other }));
        if (spliced) faults.leaked(sent, 'rewrite', 'content');
        else faults.leaked(sent, 'rewrite');
        return;
      }
    }
    const frame = this.hub.encode(ev.type, payload);
    const toOwner = this.hub.sendToOwner(owner, ev.run.id, frame);
    if (spliced) faults.leaked(toOwner, 'content');
    if (faults.roll('broadcast')) {
      const toOthers = this.hub.sendToOthers(owner, frame);
      if (spliced) faults.leaked(toOthers, 'broadcast', 'content');
      else faults.leaked(toOthers, 'broadcast');
    }
    if (faults.roll('duplicate')) {
      const again = this.hub.sendToOwner(owner, ev.run.id, frame);
      if (spliced) faults.leaked(again, 'content');
    }
    if (faults.roll('disconnect')) this.hub.closeOneOf(owner, ev.run.id, 1011, 'injected disconnect');
  }
}
