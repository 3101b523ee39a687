import { WebSocket, type RawData } from 'ws';
import type { AdapterProbe } from '../core/adapter.js';
import { CompiledRoute } from '../core/compiled-wire.js';
import type { Receiver } from '../core/isolation-types.js';
import type { Counter } from '../core/metric-registry.js';
import {
  compileWireTemplate,
  readPath,
  renderWire,
  renderWireText,
  type WireNode,
  type WireValues,
} from '../core/wire-template.js';
import type { Channel, FrameHandler } from '../protocol/connection.js';
import type { FrameView } from '../protocol/frame-reader.js';
import { readBounded } from '../protocol/read-bounded.js';
import { SseRunStream } from '../protocol/sse-stream.js';
import type { RunContext } from './run-context.js';

/** Of a probe's plain answer, this much is read and scanned. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** A probe's stream or socket is bounded like a run's: a target cannot make the generator buffer without end. */
const MAX_STREAM_BYTES = 16 * 1024 * 1024;
const EVENT_STREAM = /^text\/event-stream/i;

/** The user a probe speaks as. */
export interface ProbeUser {
  readonly userId: string;
  readonly userIndex: number;
  readonly receiver: Receiver;
}

/** What adapter probes need from the probe runner. */
export interface AdapterProbeDeps {
  pickUser(): ProbeUser | undefined;
  readonly sent: Counter;
  readonly answered: Counter;
}

interface CompiledProbe {
  readonly spec: AdapterProbe;
  /** How violations name it. */
  readonly op: string;
  readonly route: CompiledRoute | undefined;
  readonly wsPath: WireNode | undefined;
  readonly wsSend: readonly WireNode[];
}

/**
 * The adapter's own cross-user probes (its `probes:`), compiled once: each
 * call makes the next one in turn, as a random user, aimed at another user's
 * thread (any) or run (one of the newest: a run joined by id leaks only while
 * it is live). Undefined when the adapter declares none.
 */
export function createAdapterProbes(ctx: RunContext, deps: AdapterProbeDeps): (() => Promise<void>) | undefined {
  const adapter = ctx.wire.adapter;
  if (adapter.probes.length === 0) return undefined;
  const params = new Set(Object.keys(adapter.params));
  const probes: CompiledProbe[] = adapter.probes.map((p) => ({
    spec: p,
    op: `adapterProbe ${p.name}`,
    route: p.request ? new CompiledRoute(p.request, params) : undefined,
    wsPath: p.ws ? compileWireTemplate(p.ws.path, params) : undefined,
    wsSend: (p.ws?.send ?? []).map((m) => compileWireTemplate(m, params)),
  }));
  const authValue = compileWireTemplate(adapter.auth.value, params);
  let n = 0;
  return async () => {
    const probe = probes[n++ % probes.length]!;
    const u = deps.pickUser();
    if (!u) return;
    const on = probe.spec.on;
    const target =
      on === 'run'
        ? ctx.ledger.recentForeignRun(u.userIndex, ctx.rand)
        : ctx.ledger.randomForeignThread(u.userIndex, ctx.rand);
    if (!target) return;
    const token = await ctx.tokens.token(u.userId).catch(() => undefined);
    if (token === undefined) return;
    const values: WireValues = { ...ctx.wire.paramValues, user: u.userId, [on]: target.id };
    const witness = new ProbeWitness(
      ctx,
      u.receiver,
      probe,
      on === 'run' ? 'run_id' : 'thread_id',
      target.id,
      target.owner,
      deps.answered,
    );
    deps.sent.add();
    if (probe.route) return requestProbe(ctx, probe.route, values, token, witness);
    const headers = { [adapter.auth.header]: renderWireText(authValue, { ...values, token }) };
    return socketProbe(ctx, probe, values, headers, witness);
  };
}

/**
 * What one probe received, judged: what the adapter says proves access
 * (`accepted`) is one violation, reported once; every other frame or answer
 * is checked like anything a user receives (owner fields, ids, canaries).
 */
class ProbeWitness implements FrameHandler {
  private reported = false;
  private heard = false;
  /** An object path and the value that says "accepted", when the adapter gives one. */
  private readonly match: { readonly path: string; readonly equals: unknown } | undefined;

  constructor(
    private readonly ctx: RunContext,
    private readonly rx: Receiver,
    readonly probe: CompiledProbe,
    private readonly field: 'thread_id' | 'run_id',
    private readonly id: string,
    private readonly owner: number,
    private readonly answeredCounter: Counter,
  ) {
    const a = probe.spec.accepted;
    this.match = typeof a === 'object' ? a : undefined;
  }

  /** The target answered (any status, any upgrade answer): the probe tested something. */
  answered(): void {
    if (this.heard) return;
    this.heard = true;
    this.answeredCounter.add();
  }

  /** The probe got in: one violation, whatever else comes. */
  access(channel: 'ws' | 'rest', evidence: string): void {
    if (this.reported) return;
    this.reported = true;
    this.ctx.isolation.reportCrossUserAccess(
      this.rx,
      this.field,
      this.id,
      this.owner,
      this.probe.op,
      channel,
      evidence,
      Date.now(),
    );
  }

  /** A frame received on the probe's stream or socket. */
  frame(view: FrameView, frame: unknown, text: string, channel: 'ws' | 'rest'): void {
    if (this.match && !this.reported && readPath(frame, this.match.path) === this.match.equals)
      return this.access(channel, text);
    this.ctx.isolation.checkFrame(this.rx, view, text, undefined, true, Date.now(), this.probe.op);
  }

  /** A plain (not streamed) answer. */
  body(status: number, text: string): void {
    const route = this.probe.route!;
    if (this.probe.spec.accepted === 'status' && route.accepts(status))
      return this.access('rest', `HTTP ${status} ${text}`);
    if (this.match) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (readPath(json, this.match.path) === this.match.equals) return this.access('rest', `HTTP ${status} ${text}`);
    }
    if (text) this.ctx.isolation.checkBody(this.rx, text, Date.now(), this.probe.op);
  }

  // FrameHandler: the frames of a streamed answer.
  onFrame(_channel: Channel, view: FrameView, frame: unknown, text: string): void {
    this.frame(view, frame, text, 'rest');
  }

  onMalformed(_channel: Channel, _reason: string, text?: string): void {
    if (text) this.unreadable(text);
  }

  /** What could not be read as a frame is still scanned: a leak need not be well-formed. */
  unreadable(text: string): void {
    this.ctx.isolation.checkBody(this.rx, text, Date.now(), this.probe.op);
  }
  onUnexpectedClose(): void {
    /* a stream's end is the probe's end */
  }
}

/** A request probe: its answer read whole, or as a stream for the probe's listening time. */
async function requestProbe(
  ctx: RunContext,
  route: CompiledRoute,
  values: WireValues,
  token: string,
  w: ProbeWitness,
): Promise<void> {
  const req = route.render(values);
  const ctl = new AbortController();
  // The answer's head is bounded by the request timeout, the rest by the probe's listening time.
  const answer = await ctx.rest.stream(req.method, req.path, token, req.body, ctl.signal, req.headers);
  if (!answer.ok) return;
  w.answered();
  const timer = setTimeout(() => ctl.abort(), w.probe.spec.listenMs);
  try {
    if (!EVENT_STREAM.test(answer.contentType))
      return w.body(answer.status, await readBounded(answer.body, MAX_ANSWER_BYTES));
    if (w.probe.spec.accepted === 'status' && route.accepts(answer.status))
      w.access('rest', `HTTP ${answer.status} ${answer.contentType} stream opened`);
    await new SseRunStream(0, 0, ctx.reader, w, [], MAX_STREAM_BYTES).read(answer);
  } finally {
    clearTimeout(timer);
    answer.body.destroy();
  }
}

/** A WebSocket probe: opened with the prober's own credential, its messages sent, its frames read for the listening time. */
function socketProbe(
  ctx: RunContext,
  probe: CompiledProbe,
  values: WireValues,
  headers: Record<string, string>,
  w: ProbeWitness,
): Promise<void> {
  const path = renderWireText(probe.wsPath!, values, encodeURIComponent);
  const url = `${ctx.baseUrl.replace(/^http/, 'ws')}${path}`;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const ws = new WebSocket(url, {
      headers,
      perMessageDeflate: false,
      maxPayload: MAX_STREAM_BYTES,
      handshakeTimeout: ctx.scenario.target.connectTimeoutMs,
    });
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    ws.on('unexpected-response', (_req, res) => {
      // Refused at the upgrade (401, 403, 404): the server said no.
      w.answered();
      res.resume();
      ws.terminate();
      done();
    });
    ws.on('error', done);
    ws.on('close', done);
    ws.on('open', () => {
      w.answered();
      if (probe.spec.accepted === 'upgrade')
        w.access(
          'ws',
          `GET ${path} answered 101 Switching Protocols: a WebSocket on another user's ${probe.spec.on}, opened with the prober's own credential`,
        );
      for (const m of probe.wsSend) {
        const data = renderWire(m, values);
        if (data !== undefined) ws.send(JSON.stringify(data));
      }
      timer = setTimeout(() => ws.terminate(), probe.spec.listenMs);
    });
    ws.on('message', (data: RawData) => {
      // ws's default binaryType 'nodebuffer': one Buffer per message.
      const text = (data as Buffer).toString();
      let frame: unknown;
      try {
        frame = JSON.parse(text);
      } catch {
        return w.unreadable(text);
      }
      w.frame(ctx.reader.read(frame), frame, text, 'ws');
    });
  });
}
