import type { RestStep } from '../core/adapter.js';
import type { RenderedRequest } from '../core/compiled-wire.js';
import type { Receiver } from '../core/isolation-types.js';
import type { Operation } from '../core/metric-names.js';
import { readPath, type WireValues } from '../core/wire-template.js';
import type { RestResult } from '../protocol/rest-client.js';
import type { CohortMetrics } from './cohort-metrics.js';
import type { RunContext } from './run-context.js';

/** Operations timed as `http.<op>` that a flow step makes. */
export type RestOp = Extract<
  Operation,
  'create_thread' | 'list_threads' | 'get_thread' | 'update_thread' | 'delete_thread' | 'list_messages' | 'post_message'
>;

/** The adapter route of each REST operation. */
const ROUTE_OF: Readonly<Record<RestOp, RestStep>> = {
  create_thread: 'createThread',
  list_threads: 'listThreads',
  get_thread: 'getThread',
  update_thread: 'updateThread',
  delete_thread: 'deleteThread',
  list_messages: 'listMessages',
  post_message: 'postMessage',
};

const nowUs = (): number => Math.round(performance.now() * 1000);

/** What REST steps need from the user that makes them. */
export interface RestStepsOwner {
  readonly ctx: RunContext;
  readonly metrics: CohortMetrics;
  /** Who receives REST answers. */
  readonly receiver: Receiver;
  readonly isAborted: boolean;
  /** Sends a request as this user; undefined (the failure recorded) when no token could be had. */
  call(req: RenderedRequest): Promise<RestResult | undefined>;
  /** The intended start of the next timed operation (open model), once. */
  takeStart(): number | undefined;
  /** Records a failed operation of the current iteration. */
  fail(kind: string, detail: string): void;
  /** The thread createThread just made. */
  onThreadCreated(id: string): void;
}

/**
 * A user's REST steps through the adapter's routes: each call timed as
 * `http.<op>`, judged by the route's accepted statuses, its answer read where
 * the adapter says (the new thread's id, the listed items) and checked by
 * the isolation oracle, error answers included.
 */
export class RestSteps {
  constructor(private readonly user: RestStepsOwner) {}

  /** One timed call; answers the parsed body of a success, else undefined. */
  async run(op: RestOp, values: WireValues): Promise<unknown> {
    const u = this.user;
    const ctx = u.ctx;
    u.metrics.attempt(op);
    const route = ctx.wire.rest[ROUTE_OF[op]]!;
    const req = route.render(values);
    const startUs = u.takeStart();
    const res = await u.call(req);
    if (!res) return undefined;
    if (res.latencyUs !== undefined)
      u.metrics.http[op].record(startUs === undefined ? res.latencyUs : nowUs() - startUs);
    const atMs = Date.now();
    const text = res.text;
    if (!res.ok || !route.accepts(res.status)) {
      // A call still waiting when the grace period ran out did not get its answer in time.
      u.fail(
        u.isAborted ? 'timeout' : res.ok ? 'bad_status' : res.kind,
        `${op} ${req.method} ${req.path.replace(/\?.*$/, '')} answered ${u.isAborted ? 'nothing before the run ended' : (res.status ?? 'nothing')}`,
      );
      if (ctx.checks && text) {
        ctx.isolation.checkBody(u.receiver, text, atMs, op);
        u.metrics.restChecked.add();
      }
      return undefined;
    }
    u.metrics.succeed(op);
    if (op === 'create_thread') {
      const id = readPath(res.json, route.rest.id ?? 'id');
      if (typeof id === 'string' || typeof id === 'number') u.onThreadCreated(String(id));
    }
    if (!ctx.checks) return res.json;
    const items = route.rest.items === undefined ? undefined : readPath(res.json, route.rest.items);
    // Listed threads are checked by id (and owner field); other answers, messages included, for canaries.
    if (op === 'list_threads' && Array.isArray(items))
      ctx.isolation.checkListing(u.receiver, this.listed(items, route.rest.itemId), text, atMs, op);
    else ctx.isolation.checkBody(u.receiver, text, atMs, op);
    u.metrics.restChecked.add();
    return res.json;
  }

  /** The ids (and owners, where the adapter says where they are) of listed items. */
  private listed(items: readonly unknown[], idPath: string): Array<{ id: string; owner: string | undefined }> {
    const ownerPath = this.user.ctx.wire.adapter.restOwner;
    const out: Array<{ id: string; owner: string | undefined }> = [];
    for (const it of items) {
      const id = readPath(it, idPath);
      if (typeof id !== 'string') continue;
      const owner = ownerPath === undefined ? undefined : readPath(it, ownerPath);
      out.push({ id, owner: typeof owner === 'string' ? owner : undefined });
    }
    return out;
  }
}
