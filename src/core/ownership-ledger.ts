import { BoundedMap } from './bounded-map.js';
import { ID_KIND, IdIndex } from './id-index.js';
import type { UserDirectory } from './user-directory.js';

/**
 * How many ids of each sort are remembered: the oldest are forgotten past
 * this, so memory stays flat in long runs. A leak naming a forgotten id is
 * still counted, as `unattributed` (and canaries need no memory at all).
 */
export const MAX_IDS = 20_000;

/**
 * The id of a user's `seq`-th message. It carries the sender's global
 * number, so any process can tell whose it is without remembering it: a
 * long run sends millions of messages.
 */
export function formatMessageId(runTag: string, owner: number, seq: number): string {
  return `m-${runTag}-${owner}-${seq}`;
}

/** True when id[from..to) is one or more ASCII digits. */
function isDigits(id: string, from: number, to: number): boolean {
  if (to <= from || to - from > 15) return false;
  for (let i = from; i < to; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The ledger's facts in plain form, for merging the ledgers of workers and generators. */
export interface LedgerExport {
  readonly threads: ReadonlyArray<readonly [string, number]>;
  readonly runs: ReadonlyArray<readonly [string, number]>;
  /** Written by earlier versions; message ids now name their owner (see formatMessageId). */
  readonly messages?: ReadonlyArray<readonly [string, number]>;
}

/**
 * Who owns what, as far as the simulated users can tell: threads, runs and
 * messages by the global number of their owner (see UserDirectory). Facts
 * come from REST answers (a created thread), from what a user sends (its
 * message ids) and from events answering its own messages (run ids).
 */
export class OwnershipLedger {
  private readonly threads = new BoundedMap<number>(MAX_IDS);
  private readonly runs = new BoundedMap<number>(MAX_IDS);
  /** `m-<runTag>-`: the start of every message id of this run. */
  private readonly messagePrefix: string;
  /** Users that ran here, by id, for shortened-id lookups. */
  private readonly local = new Map<string, number>();
  /** Every id above by hash, so a text can be searched for all of them in one pass ({@link IdIndex}). */
  readonly ids = new IdIndex(MAX_IDS * 2);

  constructor(readonly directory: UserDirectory) {
    this.messagePrefix = `m-${directory.runTag}-`;
  }

  /** Notes a user that runs in this process. */
  registerUser(userId: string, num: number): void {
    this.local.set(userId, num);
    this.ids.add(userId, ID_KIND.user, num);
  }

  /** The user id of a global number. */
  userAt(num: number): string | undefined {
    return this.directory.idOf(num);
  }

  /** True when `num` is the user `userId` (the same number, or a fixed account shared by two numbers). */
  isUser(num: number, userNum: number, userId: string): boolean {
    return num === userNum || this.directory.idOf(num) === userId;
  }

  /** A local user whose id starts with `prefix` (shortened ids). */
  userByPrefix(prefix: string): string | undefined {
    for (const id of this.local.keys()) if (id.startsWith(prefix)) return id;
    return undefined;
  }

  /** Notes who owns a thread; the first claim wins. Returns the owner on record. */
  claimThread(id: string, owner: number): number {
    const known = this.threads.get(id);
    if (known !== undefined) return known;
    this.threads.claim(id, owner);
    this.ids.add(id, ID_KIND.thread, owner);
    return owner;
  }

  /** Notes who owns a run; the first claim wins. Returns the owner on record. */
  claimRun(id: string, owner: number): number {
    const known = this.runs.get(id);
    if (known !== undefined) return known;
    this.runs.claim(id, owner);
    this.ids.add(id, ID_KIND.run, owner);
    return owner;
  }

  /**
   * The owner of one of this run's message ids found at `text[start..end)`,
   * read in place (no substring); undefined when it is none.
   */
  messageOwnerAt(text: string, start: number, end: number): number | undefined {
    const p = this.messagePrefix;
    if (end - start <= p.length || !text.startsWith(p, start)) return undefined;
    const dash = text.indexOf('-', start + p.length);
    if (dash < 0 || dash >= end || !isDigits(text, start + p.length, dash) || !isDigits(text, dash + 1, end))
      return undefined;
    let owner = 0;
    for (let i = start + p.length; i < dash; i++) owner = owner * 10 + text.charCodeAt(i) - 48;
    return owner;
  }

  /** `m-<runTag>-`, how every message id of this run starts. */
  get messageIdPrefix(): string {
    return this.messagePrefix;
  }

  threadOwner(id: string): number | undefined {
    return this.threads.get(id);
  }

  runOwner(id: string): number | undefined {
    return this.runs.get(id);
  }

  /** The sender of one of this run's messages, read from the id itself (formatMessageId). */
  messageOwner(id: string): number | undefined {
    const p = this.messagePrefix;
    if (!id.startsWith(p)) return undefined;
    const dash = id.indexOf('-', p.length);
    if (dash < 0 || !isDigits(id, p.length, dash) || !isDigits(id, dash + 1, id.length)) return undefined;
    return Number(id.slice(p.length, dash));
  }

  /** Owner of a shortened thread or run id (`thr_4d0d40b3...`), preferring `prefer`; a linear scan. */
  ownerByPrefix(kind: 'thread' | 'run', prefix: string, prefer: number): number | undefined {
    const map = kind === 'thread' ? this.threads : this.runs;
    let other: number | undefined;
    for (const [id, owner] of map.entries()) {
      if (!id.startsWith(prefix)) continue;
      if (owner === prefer) return owner;
      other ??= owner;
    }
    return other;
  }

  /** A thread owned by someone other than `notOwner`, chosen with `rand` (probes). */
  randomForeignThread(notOwner: number, rand: () => number): { id: string; owner: number } | undefined {
    const n = this.threads.size;
    for (let tries = 0; tries < 8 && n > 0; tries++) {
      const id = this.threads.keyAt(Math.floor(rand() * n))!;
      const owner = this.threads.get(id)!;
      if (owner !== notOwner) return { id, owner };
    }
    return undefined;
  }

  /** A thread owned by `owner`, chosen with `rand` (probes that act on the user's own thread); undefined when none is found soon. */
  randomThreadOf(owner: number, rand: () => number): string | undefined {
    const n = this.threads.size;
    for (let tries = 0; tries < 16 && n > 0; tries++) {
      const id = this.threads.keyAt(Math.floor(rand() * n))!;
      if (this.threads.get(id) === owner) return id;
    }
    return undefined;
  }

  /**
   * One of the newest runs owned by someone other than `notOwner` (probes
   * that join a run by id: a recent run is the likeliest to be live).
   */
  recentForeignRun(notOwner: number, rand: () => number): { id: string; owner: number } | undefined {
    const n = Math.min(this.runs.size, 8);
    const first = Math.floor(rand() * n);
    for (let k = 0; k < n; k++) {
      const id = this.runs.keyFromNewest((first + k) % n)!;
      const owner = this.runs.get(id)!;
      if (owner !== notOwner) return { id, owner };
    }
    return undefined;
  }

  /** Every claimed fact. */
  export(): LedgerExport {
    return { threads: [...this.threads.entries()], runs: [...this.runs.entries()] };
  }

  /** Adds another ledger's facts (first claim wins, as within one process). */
  import(e: LedgerExport): void {
    for (const [id, o] of e.threads) this.claimThread(id, o);
    for (const [id, o] of e.runs) this.claimRun(id, o);
  }
}
