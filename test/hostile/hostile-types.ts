// What a test can ask the hostile backend to do wrong (HostileOptions) and
// what it reports back (HostileStats): the contract between
// test/hostile/*.test.ts and the server's parts.

/** How the WebSocket upgrade is answered. */
export type UpgradeMode = 'accept' | 'hang' | 'status500' | 'status401';

/**
 * How `/api/*` is answered (health `/` and `/health` always answer 200):
 * `ok` properly; `hang` never; `slow` after `slowMs`; `status503` always 503;
 * `endless` 200 with a JSON-looking body that never ends, written as fast as
 * the client reads; `trickle` 200 headers, then one body byte every 500 ms, forever.
 */
export type RestMode = 'ok' | 'hang' | 'slow' | 'status503' | 'endless' | 'trickle';

/** The misbehaviours to switch on, one option each; with none, a well-behaved backend. */
export interface HostileOptions {
  /** The HS256 secret tokens are verified with. */
  readonly secret: string;
  readonly upgrade?: UpgradeMode;
  readonly rest?: RestMode;
  /** For `rest: 'slow'` (default 60 s). */
  readonly slowMs?: number;
  /** Destroy a WebSocket's TCP socket (no close frame) with this probability per frame sent, once it has sent `wsResetAfterFrames`. */
  readonly wsResetProbability?: number;
  readonly wsResetAfterFrames?: number;
  /** Destroy the socket of an `/api/*` request instead of answering, with this probability. */
  readonly restResetProbability?: number;
  /**
   * Once established, send frames as fast as the client reads, for as long as
   * it stays: `heartbeat` (small, ownerless) or `unknown_thread` (about
   * `floodFrameBytes` each, an ownerless notice that names a thread no
   * simulated user created, each a different one).
   */
  readonly flood?: 'heartbeat' | 'unknown_thread';
  /** Size of each `unknown_thread` flood frame (default 256 KiB). */
  readonly floodFrameBytes?: number;
  /** Stop flooding after this many frames in all (default: never). */
  readonly floodMaxFrames?: number;
  /**
   * After the first completed run for which another user's run is known: send
   * to that connection a burst of garbage frames, then one genuine leak (an
   * event of the other user's run, with the other user's user_id).
   */
  readonly garbage?: boolean;
  /** After the first completed run, send that connection one valid JSON frame of 16 MiB + 1 byte (over the generator's limit). */
  readonly oversizeFrame?: boolean;
  /** Gap between the events of a run (default 20 ms). */
  readonly eventGapMs?: number;
  /**
   * A target stall: `atMs` after the first WebSocket upgrade, hold every
   * answer (WebSocket frames, REST responses) for `forMs`, then send
   * everything held at once, followed by `padFrames` ownerless
   * `heartbeat` frames of about `padBytes` to each open connection, each
   * connection's share in one write.
   */
  readonly stall?: {
    readonly atMs: number;
    readonly forMs: number;
    readonly padFrames?: number;
    readonly padBytes?: number;
  };
}

/** What the server saw and did, for assertions. */
export interface HostileStats {
  upgrades: number;
  restCalls: number;
  restResets: number;
  wsResets: number;
  wsConnections: number;
  framesSent: number;
  runs: number;
  /** Body bytes written by `endless` answers. */
  endlessBytes: number;
  /** Set once the over-limit frame went out. */
  oversize?: { to: string; bytes: number };
  /** Set once the garbage burst went out. */
  garbage?: { to: string; leakedFrom: string; leakedThread: string; leakedRun: string; frames: number; atMs: number };
  /** When the first WebSocket upgrade came (epoch ms): the stall is timed from it. */
  firstUpgradeAtMs?: number;
  /** The stall, once it ended: when (epoch ms) and how many answers it had held. */
  stall?: { fromMs: number; toMs: number; held: number; padded: number };
  /** Per WebSocket: ms from TCP accept to `connection_established` written (this side's connect latency). */
  connectMs: number[];
}

/** One agent run the server played, by its ids. */
export interface RunInfo {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly messageId: string;
}

/** A user (token subject) as the server saw it: the threads it created and the runs it started. */
export interface UserSeen {
  threads: Set<string>;
  runs: RunInfo[];
}
