import { randomBytes } from 'node:crypto';

/** A thread as the REST API returns it. */
export interface Thread {
  id: string;
  object: 'thread';
  title: string | null;
  created_at: number;
  updated_at: number;
  metadata: Record<string, unknown>;
  message_count: number;
  status: 'active' | 'archived';
}

/** A stored message. */
export interface Message {
  id: string;
  thread_id: string;
  role: 'user' | 'assistant';
  content: string;
  created_at: number;
}

interface ThreadRecord {
  readonly ownerId: string;
  readonly thread: Thread;
  readonly messages: Message[];
}

/**
 * In-memory threads and messages. Every read takes the caller's user id and
 * answers undefined for a thread of someone else, exactly as for a thread
 * that does not exist, so no caller can learn another user's ids.
 */
export class ThreadStore {
  private readonly threads = new Map<string, ThreadRecord>();
  private readonly byUser = new Map<string, string[]>();
  private lastCreatedAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Creates a thread owned by `userId`. */
  create(userId: string, title: string | null, metadata: Record<string, unknown>): Thread {
    // Strictly increasing creation times keep "newest first" a total order.
    const createdAt = Math.max(this.now(), this.lastCreatedAt + 1);
    this.lastCreatedAt = createdAt;
    const thread: Thread = {
      id: `thr_${randomBytes(12).toString('hex')}`,
      object: 'thread',
      title,
      created_at: createdAt,
      updated_at: createdAt,
      metadata,
      message_count: 0,
      status: 'active',
    };
    this.threads.set(thread.id, { ownerId: userId, thread, messages: [] });
    let list = this.byUser.get(userId);
    if (!list) this.byUser.set(userId, (list = []));
    list.push(thread.id);
    return thread;
  }

  /** The caller's thread, or undefined when missing or someone else's. */
  get(userId: string, threadId: string): Thread | undefined {
    const rec = this.threads.get(threadId);
    return rec && rec.ownerId === userId ? rec.thread : undefined;
  }

  /** The caller's active threads, newest first. */
  list(userId: string, limit: number, offset: number): Thread[] {
    const ids = this.byUser.get(userId) ?? [];
    const out: Thread[] = [];
    let skipped = 0;
    for (let i = ids.length - 1; i >= 0 && out.length < limit; i--) {
      const t = this.threads.get(ids[i]!)!.thread;
      if (t.status !== 'active') continue;
      if (skipped++ < offset) continue;
      out.push(t);
    }
    return out;
  }

  /** Updates title and/or metadata of the caller's thread. */
  update(
    userId: string,
    threadId: string,
    patch: { title?: string | null; metadata?: Record<string, unknown> },
  ): Thread | undefined {
    const t = this.get(userId, threadId);
    if (!t) return undefined;
    if (patch.title !== undefined) t.title = patch.title;
    if (patch.metadata !== undefined) t.metadata = patch.metadata;
    t.updated_at = Math.max(this.now(), t.updated_at);
    return t;
  }

  /** Archives the caller's thread (soft delete: it leaves listings, stays readable by id). */
  archive(userId: string, threadId: string): Thread | undefined {
    const t = this.get(userId, threadId);
    if (!t) return undefined;
    t.status = 'archived';
    t.updated_at = Math.max(this.now(), t.updated_at);
    return t;
  }

  /** Appends a message to the caller's thread. */
  addMessage(
    userId: string,
    threadId: string,
    role: Message['role'],
    content: string,
    id?: string,
  ): Message | undefined {
    const rec = this.threads.get(threadId);
    if (!rec || rec.ownerId !== userId) return undefined;
    const msg: Message = {
      id: id ?? `msg_${randomBytes(12).toString('hex')}`,
      thread_id: threadId,
      role,
      content,
      created_at: this.now(),
    };
    rec.messages.push(msg);
    rec.thread.message_count = rec.messages.length;
    rec.thread.updated_at = Math.max(msg.created_at, rec.thread.updated_at);
    return msg;
  }

  /** The caller's messages in a thread, oldest first, with the total. */
  messages(
    userId: string,
    threadId: string,
    limit: number,
    offset: number,
  ): { messages: Message[]; total: number } | undefined {
    const rec = this.threads.get(threadId);
    if (!rec || rec.ownerId !== userId) return undefined;
    return { messages: rec.messages.slice(offset, offset + limit), total: rec.messages.length };
  }

  /** Who owns a thread (fault injection only: never used to answer a normal request). */
  ownerOf(threadId: string): string | undefined {
    return this.threads.get(threadId)?.ownerId;
  }

  /** The newest active thread of any user but `userId` (the rest_list fault). */
  anyThreadNotOf(userId: string): Thread | undefined {
    for (const [owner, ids] of this.byUser) {
      if (owner === userId) continue;
      for (let i = ids.length - 1; i >= 0; i--) {
        const t = this.threads.get(ids[i]!)!.thread;
        if (t.status === 'active') return t;
      }
    }
    return undefined;
  }

  /**
   * An active thread of a user other than `userId` for the rest_error fault:
   * a titled one when any (titles carry their owner's words), never `exceptId`
   * (the thread the request named, which an error may echo without leaking).
   */
  foreignThreadFor(userId: string, exceptId?: string): Thread | undefined {
    let untitled: Thread | undefined;
    for (const [owner, ids] of this.byUser) {
      if (owner === userId) continue;
      for (let i = ids.length - 1; i >= 0; i--) {
        const t = this.threads.get(ids[i]!)!.thread;
        if (t.status !== 'active' || t.id === exceptId) continue;
        if (t.title !== null && t.title !== '') return t;
        untitled ??= t;
      }
    }
    return untitled;
  }

  /** The newest active thread of `userId` (the handshake fault names it). */
  newestThreadOf(userId: string): Thread | undefined {
    const ids = this.byUser.get(userId) ?? [];
    for (let i = ids.length - 1; i >= 0; i--) {
      const t = this.threads.get(ids[i]!)!.thread;
      if (t.status === 'active') return t;
    }
    return undefined;
  }

  /** Number of threads held, for the health endpoint. */
  get size(): number {
    return this.threads.size;
  }
}
