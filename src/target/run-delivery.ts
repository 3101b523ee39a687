import type { AgentRun, RunEventType } from './agent-runner.js';
import type { ConnectionHub, FrameForm } from './connection-hub.js';
import type { FaultInjector, RecentMessages } from './fault-injector.js';
import type { FaultName } from './fault-spec.js';
import { citeForeign, rewriteAsModel } from './leak-forms.js';
import type { NoiseMaker } from './noise.js';
import { RecentRuns } from './recent-runs.js';

interface Pending {
  readonly run: AgentRun;
  readonly type: RunEventType;
  readonly payload: Record<string, unknown>;
}

/** An event the `late` fault holds back, with the faults whose data it already carries. */
interface Late {
  readonly type: RunEventType;
  readonly payload: Record<string, unknown>;
  readonly marks: readonly FaultName[];
}

const TERMINAL: ReadonlySet<string> = new Set(['agent_completed', 'agent_error', 'agent_stopped']);
const NO_MARKS: readonly FaultName[] = [];
/** The `late` fault delivers this long after the run ended. */
const LATE_MIN_MS = 2000;
const LATE_MAX_MS = 4000;

/**
 * Routes each run event to its owner's connections. With no faults and no
 * noise this is exactly `hub.sendToOwner(owner)`, whatever the transport;
 * with faults it is where events get misrouted (plain, double-encoded,
 * binary, in an array, or seconds after their run), broadcast, rewritten,
 * spliced with another user's words or ids, dropped, duplicated, reordered,
 * delayed, or their connection cut, each with its probability; noise mode
 * pads texts and reshapes own frames. The same on every transport: only the
 * hub's codec and its connections differ.
 */
export class RunDelivery<F> {
  private readonly slow: boolean;
  private readonly held = new Map<string, Pending>();
  private readonly delayed = new Map<string, Pending[]>();
  private readonly late = new Map<string, { readonly owner: string; readonly events: Late[] }>();
  private readonly lateTimers = new Set<NodeJS.Timeout>();
  private readonly runs = new RecentRuns();
  /** Forms planted so far per run: faults whose form alternates take turns within each run, so every receiver sees each form. */
  private readonly turns = new WeakMap<AgentRun, number>();

  constructor(
    private readonly hub: ConnectionHub<F>,
    private readonly faults: FaultInjector,
    private readonly recent: RecentMessages,
    private readonly noise?: NoiseMaker,
  ) {
    this.slow = faults.enabled || noise !== undefined;
  }

  /** Delivers one run event (the runner's sink). */
  readonly deliver = (run: AgentRun, type: RunEventType, payload: Record<string, unknown>): void => {
    if (!this.slow) {
      this.hub.sendToOwner(run.userId, run.id, this.hub.encode(type, payload));
      return;
    }
    if (type === 'agent_started') this.runs.add({ userId: run.userId, threadId: run.threadId, runId: run.id });
    const ev: Pending = { run, type, payload };
    const queue = this.delayed.get(run.id);
    if (queue) {
      queue.push(ev);
      return;
    }
    if (this.faults.roll('delay')) {
      // A latency spike: this event and the rest of its run arrive late, in order.
      this.delayed.set(run.id, [ev]);
      setTimeout(
        () => {
          const q = this.delayed.get(run.id) ?? [];
          this.delayed.delete(run.id);
          for (const e of q) this.order(e);
        },
        this.faults.int(1000, 3000),
      ).unref();
      return;
    }
    this.order(ev);
  };

  /** Told when a run has ended: what the `late` fault held of it goes out 2–4 s from now. */
  runFinished(run: AgentRun): void {
    const held = this.late.get(run.id);
    if (!held) return;
    this.late.delete(run.id);
    this.sendLater(held.owner, held.events);
  }

  /** Forgets what the `late` fault still holds (shutdown). */
  close(): void {
    for (const t of this.lateTimers) clearTimeout(t);
    this.lateTimers.clear();
    this.late.clear();
  }

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
    // The faults whose planted data this payload now carries: each delivery of it is a leak under each.
    let marks = NO_MARKS;
    if (typeof payload.reasoning === 'string') {
      if (faults.roll('content')) {
        const other = this.recent.fromOtherThan(owner);
        if (other !== undefined) {
          payload = { ...payload, reasoning: `${payload.reasoning} Also relevant: ${JSON.stringify(other)}` };
          marks = ['content'];
        }
      }
      if (faults.roll('case')) {
        const other = this.recent.fromOtherThan(owner);
        if (other !== undefined) {
          const upper = this.turn(ev.run) % 2 === 0;
          payload = {
            ...payload,
            reasoning: `${String(payload.reasoning)} In short: ${rewriteAsModel(other, upper, (a, b) => faults.int(a, b))}`,
          };
          marks = [...marks, 'case'];
        }
      }
    }
    if (faults.roll('reference')) {
      const other = this.runs.fromOtherThan(owner);
      if (other !== undefined) {
        payload = citeForeign(payload, other, this.turn(ev.run));
        marks = [...marks, 'reference'];
      }
    }
    if (this.noise) payload = this.noise.pad(payload);
    if (faults.roll('drop')) return;
    if (faults.roll('misroute')) {
      const other = this.hub.randomUserOtherThan(owner, Math.random);
      if (other !== undefined) {
        faults.leaked(this.hub.sendToUser(other, this.hub.encode(ev.type, payload)), 'misroute', ...marks);
        return;
      }
    }
    if (this.misrouteReshaped(ev.run, ev.type, payload, marks)) return;
    if (faults.roll('late')) {
      this.holdLate(ev.run, { type: ev.type, payload, marks });
      return;
    }
    if (faults.roll('rewrite')) {
      const other = this.hub.randomUserOtherThan(owner, Math.random);
      if (other !== undefined) {
        faults.leaked(
          this.hub.sendToUser(other, this.hub.encode(ev.type, { ...payload, user_id: other })),
          'rewrite',
          ...marks,
        );
        return;
      }
    }
    const frame = this.noise ? this.noise.encode(this.hub, ev.type, payload) : this.hub.encode(ev.type, payload);
    faults.leaked(this.hub.sendToOwner(owner, ev.run.id, frame), ...marks);
    if (faults.roll('broadcast')) faults.leaked(this.hub.sendToOthers(owner, frame), 'broadcast', ...marks);
    if (faults.roll('duplicate')) faults.leaked(this.hub.sendToOwner(owner, ev.run.id, frame), ...marks);
    if (faults.roll('disconnect')) this.hub.closeOneOf(owner, ev.run.id, 1011, 'injected disconnect');
  }

  /**
   * The `double`, `binary` and `nonobject` faults: the event goes to another
   * user instead of its owner, double-encoded (payload as a JSON string, then
   * the whole frame as one, in turn within the run), as a binary frame (never on SSE), or
   * inside a JSON array. True when it went.
   */
  private misrouteReshaped(
    run: AgentRun,
    type: RunEventType,
    payload: Record<string, unknown>,
    marks: readonly FaultName[],
  ): boolean {
    const faults = this.faults;
    let fault: FaultName;
    if (faults.roll('double')) fault = 'double';
    else if (this.hub.binaryFrames && faults.roll('binary')) fault = 'binary';
    else if (faults.roll('nonobject')) fault = 'nonobject';
    else return false;
    const other = this.hub.randomUserOtherThan(run.userId, Math.random);
    if (other === undefined) return false;
    let form: FrameForm;
    if (fault === 'double') form = this.turn(run) % 2 === 0 ? 'payload_string' : 'frame_string';
    else form = fault === 'binary' ? 'binary' : 'array';
    faults.leaked(this.hub.sendToUser(other, this.hub.encodeForm(form, type, payload)), fault, ...marks);
    return true;
  }

  /** How many alternating forms were planted in `run` before (0, 1, 2...); counts this one. */
  private turn(run: AgentRun): number {
    const n = this.turns.get(run) ?? 0;
    this.turns.set(run, n + 1);
    return n;
  }

  /** Holds an event until its run has ended (at once when it has), to misroute it 2–4 s after. */
  private holdLate(run: AgentRun, ev: Late): void {
    if (run.endedAtMs !== undefined) return this.sendLater(run.userId, [ev]);
    let held = this.late.get(run.id);
    if (!held) this.late.set(run.id, (held = { owner: run.userId, events: [] }));
    held.events.push(ev);
  }

  /**
   * Delivers held events of `owner`'s run to one other user connected by
   * then, 2–4 s from now; counted as they are delivered (nobody else
   * connected: nobody gets them, nothing is counted).
   */
  private sendLater(owner: string, events: readonly Late[]): void {
    const timer = setTimeout(
      () => {
        this.lateTimers.delete(timer);
        const other = this.hub.randomUserOtherThan(owner, Math.random);
        if (other === undefined) return;
        for (const e of events)
          this.faults.leaked(this.hub.sendToUser(other, this.hub.encode(e.type, e.payload)), 'late', ...e.marks);
      },
      this.faults.int(LATE_MIN_MS, LATE_MAX_MS),
    );
    timer.unref();
    this.lateTimers.add(timer);
  }
}
