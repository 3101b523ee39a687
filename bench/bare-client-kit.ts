/**
 * What the bare clients (bench/bare-client.ts, bench/bare-sse-client.ts,
 * bench/bare-socketio-client.ts) share: the arguments of a runs pass, HS256
 * tokens as protocol.md describes them, a thread per user, waiting for
 * connections, the message-id correlation of runs on a connection, CPU
 * readings, the result line and a hard ceiling on the process. What runs
 * per run is no more than each client did on its own.
 */
import { createHmac } from 'node:crypto';

/** Arguments of a runs pass: N users loop agent runs for S seconds against a loopback target. */
export interface RunsArgs {
  url: string;
  users: number;
  seconds: number;
  /** Pause between a run's end and the user's next run, ms (0: at once). */
  think: number;
  content: string;
  connectTimeout: number;
}

/** Arguments of a client that also holds idle sessions (bench/bare-client.ts): ramp, settle, then hold. */
export interface BareArgs extends RunsArgs {
  mode: 'runs' | 'idle';
  ramp: number;
  settle: number;
  hold: number;
}

/** What every simulated user asks, in the bare clients and in crosstalk's scenarios of the same benches. */
export const RUNS_CONTENT = 'How much did we spend on this thread?';

/** The command line of a bare client's runs pass: `users` loop runs for `seconds`, `thinkMs` apart. */
export function formatRunsArgs(url: string, users: number, seconds: number, thinkMs = 0): string[] {
  return [
    '--url',
    url,
    '--mode',
    'runs',
    '--users',
    String(users),
    '--seconds',
    String(seconds),
    ...(thinkMs > 0 ? ['--think', String(thinkMs)] : []),
    '--content',
    RUNS_CONTENT,
  ];
}

// Numeric flags and the field each sets; the idle ones only where idle is a mode.
const RUNS_NUMBERS = {
  '--users': 'users',
  '--seconds': 'seconds',
  '--think': 'think',
  '--connect-timeout': 'connectTimeout',
} as const;
const IDLE_NUMBERS = { '--ramp': 'ramp', '--settle': 'settle', '--hold': 'hold' } as const;

/**
 * Parses `--url --users --seconds [--think] [--content] [--connect-timeout] [--mode runs]`, and with
 * `idle` among `modes` also `--mode idle --ramp --settle --hold`; exits 3 on bad input.
 */
export function parseBareArgs(
  name: string,
  argv: readonly string[],
  modes: readonly BareArgs['mode'][] = ['runs'],
  maxUsers = 10_000,
): BareArgs {
  const a: BareArgs = {
    url: '',
    mode: 'runs',
    users: 50,
    seconds: 10,
    think: 0,
    content: RUNS_CONTENT,
    connectTimeout: 60,
    ramp: 0,
    settle: 3,
    hold: 10,
  };
  const numbers: Record<string, keyof BareArgs> = modes.includes('idle')
    ? { ...RUNS_NUMBERS, ...IDLE_NUMBERS }
    : RUNS_NUMBERS;
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!;
    const v = argv[i + 1];
    const field = numbers[k];
    if (field !== undefined) {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) fail(name, `${k}: expected a number, got "${v}"`);
      (a as unknown as Record<string, number>)[field] = field === 'users' ? Math.floor(n) : n;
    } else if (k === '--url') a.url = String(v);
    else if (k === '--content') a.content = String(v);
    else if (k === '--mode') {
      if (!(modes as readonly string[]).includes(String(v))) fail(name, `--mode: ${modes.join(' or ')}, got "${v}"`);
      a.mode = v as BareArgs['mode'];
    } else fail(name, `unknown argument "${k}"`);
  }
  if (!a.url) fail(name, '--url is required');
  const host = new URL(a.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    fail(name, `--url must be a loopback address, got ${host}`);
  if (a.users < 1 || a.users > maxUsers) fail(name, `--users: 1..${maxUsers}`);
  if (a.seconds > 3600 || a.hold > 3600 || a.connectTimeout > 600 || a.settle > 600 || a.ramp > 600)
    fail(name, 'durations are capped at an hour (--connect-timeout, --ramp and --settle at 10 minutes)');
  return a;
}

/** Writes the reason to stderr and exits 3 (bad input). */
export function fail(name: string, msg: string): never {
  process.stderr.write(`${name}: ${msg}\n`);
  process.exit(3);
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
const JWT_HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** An HS256 access token as protocol.md describes it. */
export function mintToken(secret: string, sub: string, ttlSec = 3600): string {
  const iat = Math.floor(Date.now() / 1000);
  const body = `${JWT_HEADER}.${b64url(JSON.stringify({ sub, iat, exp: iat + ttlSec, type: 'access' }))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Creates a user's thread over REST (node's fetch, as any client would), its id. */
async function createBenchThread(url: string, token: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/threads`, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: `Bench ${user}` }),
  });
  const body = (await res.json()) as { id?: unknown };
  if (res.status !== 201 || typeof body.id !== 'string') throw new Error(`create thread answered ${res.status}`);
  return body.id;
}

/** Gives every user its thread (`createBenchThread`), 32 at a time so the target is not flooded. */
export async function createBenchThreads(
  url: string,
  users: ReadonlyArray<{ readonly user: string; readonly token: string; thread: string }>,
): Promise<void> {
  for (let i = 0; i < users.length; i += 32)
    await Promise.all(
      users.slice(i, i + 32).map(async (u) => {
        u.thread = await createBenchThread(url, u.token, u.user);
      }),
    );
}

/**
 * A runs pass on connections: opens every one (`connect`), waits until all
 * are established, starts each user's loop (`sendNext`), runs for
 * `seconds`, then lets runs in flight finish (bounded) and measures the loop:
 * its wall time and the process CPU it used.
 */
export async function measureConnectionRuns<C>(
  conns: readonly C[],
  how: {
    readonly connect: (c: C) => void;
    readonly sendNext: (c: C) => void;
    readonly count: ConnectionCount;
    readonly loop: RunLoop<C>;
  },
  args: RunsArgs,
): Promise<{ loopMs: number; loopCpuUs: number }> {
  for (const c of conns) how.connect(c);
  if (!(await how.count.waitAll(conns.length, args.connectTimeout * 1000)))
    throw new Error(`only ${how.count.established} of ${conns.length} connections established`);
  const cpu0 = cpuNow();
  const t0 = performance.now();
  for (const c of conns) how.sendNext(c);
  await sleep(args.seconds * 1000);
  const loopMs = performance.now() - t0;
  // Runs in flight finish (each is a handful of frames away), bounded.
  await how.loop.stop(5000);
  return { loopMs, loopCpuUs: cpuNow() - cpu0 };
}

/** Counts connections established or failed, and waits for all of them. */
export class ConnectionCount {
  established = 0;
  failed = 0;
  /** When the first connection was established: wall clock and process CPU. */
  first: { wallMs: number; cpuUs: number } | undefined;
  private wake: (() => void) | undefined;

  /** A connection is established. */
  onEstablished(): void {
    this.established++;
    this.first ??= { wallMs: performance.now(), cpuUs: cpuNow() };
    this.wake?.();
  }

  /** A connection failed before it was established. */
  onFailed(): void {
    this.failed++;
  }

  /** Waits until `total` connections are established or failed, at most `ms`; true when all were established. */
  async waitAll(total: number, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.established + this.failed < total && performance.now() < deadline) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
      this.wake = undefined;
    }
    return this.established === total;
  }
}

/**
 * Runs on connections, correlated by message id alone: each user's next run
 * is sent when its last one completes (after `thinkMs`), until `stop()`.
 */
export class RunLoop<C> {
  /** In-flight runs: message id → the connection that sent it. */
  readonly pending = new Map<string, C>();
  runs = 0;
  private sending = true;
  private drained: (() => void) | undefined;

  constructor(
    private readonly sendNext: (c: C) => void,
    private readonly thinkMs: number,
  ) {}

  /** A run was sent on `c` with this message id. */
  sent(messageId: string, c: C): void {
    this.pending.set(messageId, c);
  }

  /** True while new runs are sent. */
  get active(): boolean {
    return this.sending;
  }

  /** A run completed: counted, and its user's next one sent. */
  completed(messageId: unknown): void {
    if (typeof messageId !== 'string') return;
    const owner = this.pending.get(messageId);
    if (owner === undefined) return;
    this.pending.delete(messageId);
    this.runs++;
    if (this.sending) {
      if (this.thinkMs > 0) setTimeout(this.sendNext, this.thinkMs, owner);
      else this.sendNext(owner);
    } else if (this.pending.size === 0) this.drained?.();
  }

  /** Sends no more runs and waits (at most `ms`) for those in flight. */
  async stop(ms: number): Promise<void> {
    this.sending = false;
    if (this.pending.size)
      await Promise.race([
        new Promise<void>((r) => {
          this.drained = r;
        }),
        sleep(ms),
      ]);
  }
}

/** User + system CPU of the whole process so far, µs. */
export const cpuNow = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The one JSON result line the driver (bench/transports.ts) reads from stdout. */
export function printResult(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/**
 * Runs `main` under a hard ceiling on the whole process (connect, loop and
 * drain, plus a margin), then exits: 0 when it resolved, 4 when it threw or
 * the ceiling struck.
 */
export function runBounded(name: string, args: RunsArgs, main: () => Promise<void>): void {
  const ceilingMs = (args.connectTimeout + args.seconds + 30) * 1000;
  setTimeout(() => {
    process.stderr.write(`${name}: hard timeout\n`);
    process.exit(4);
  }, ceilingMs).unref();
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).message ?? String(err)}\n`);
      process.exit(4);
    },
  );
}
