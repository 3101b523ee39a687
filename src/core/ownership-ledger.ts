/**
 * Who owns what, as far as the simulated users can tell: user ids by index,
 * and threads, runs, messages and connections by the index of their owner.
 * Facts come from REST answers (a created thread), from what a user sends
 * (its message ids) and from events answering its own messages (run ids).
 */
export class OwnershipLedger {
  private readonly users: string[] = [];
  private readonly userIndex = new Map<string, number>();
  private readonly threads = new Map<string, number>();
  private readonly runs = new Map<string, number>();
  private readonly messages = new Map<string, number>();
  /** Append-only list of threads, for probes that pick another user's thread. */
  private readonly threadList: Array<{ id: string; owner: number }> = [];

  /** The index of `userId`, registering it on first sight. */
  registerUser(userId: string): number {
    let i = this.userIndex.get(userId);
    if (i === undefined) {
      i = this.users.length;
      this.users.push(userId);
      this.userIndex.set(userId, i);
    }
    return i;
  }

  /** The user id of an index. */
  userAt(index: number): string | undefined {
    return this.users[index];
  }

  /** The index of a user id, if it is a simulated user. */
  indexOf(userId: string): number | undefined {
    return this.userIndex.get(userId);
  }

  /** The first simulated user whose id starts with `prefix` (shortened ids). */
  userByPrefix(prefix: string): number | undefined {
    for (let i = 0; i < this.users.length; i++) if (this.users[i]!.startsWith(prefix)) return i;
    return undefined;
  }

  claimThread(id: string, owner: number): void {
    if (this.threads.has(id)) return;
    this.threads.set(id, owner);
    this.threadList.push({ id, owner });
  }

  claimRun(id: string, owner: number): void {
    if (!this.runs.has(id)) this.runs.set(id, owner);
  }

  claimMessage(id: string, owner: number): void {
    if (!this.messages.has(id)) this.messages.set(id, owner);
  }

  threadOwner(id: string): number | undefined {
    return this.threads.get(id);
  }

  runOwner(id: string): number | undefined {
    return this.runs.get(id);
  }

  messageOwner(id: string): number | undefined {
    return this.messages.get(id);
  }

  /** Owner of a shortened thread or run id (`thr_4d0d40b3...`): a linear scan, for dialects that cut ids. */
  ownerByPrefix(kind: 'thread' | 'run', prefix: string, prefer: number): number | undefined {
    const map = kind === 'thread' ? this.threads : this.runs;
    let other: number | undefined;
    for (const [id, owner] of map) {
      if (!id.startsWith(prefix)) continue;
      if (owner === prefer) return owner;
      other ??= owner;
    }
    return other;
  }

  /** A thread owned by someone other than `notOwner`, chosen with `rand` (probes). */
  randomForeignThread(notOwner: number, rand: () => number): { id: string; owner: number } | undefined {
    const n = this.threadList.length;
    for (let tries = 0; tries < 8 && n > 0; tries++) {
      const t = this.threadList[Math.floor(rand() * n)]!;
      if (t.owner !== notOwner) return t;
    }
    return undefined;
  }

  /** Every claimed fact, for merging ledgers of several workers or generators. */
  export(): { users: string[]; threads: Array<[string, string]>; runs: Array<[string, string]>; messages: Array<[string, string]> } {
    const named = (m: Map<string, number>): Array<[string, string]> => [...m].map(([id, o]) => [id, this.users[o]!]);
    return { users: [...this.users], threads: named(this.threads), runs: named(this.runs), messages: named(this.messages) };
  }
}
