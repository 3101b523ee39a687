/**
 * The evidence of a leak: another user's canary words and ids found anywhere
 * in a frame's text (a URL, a citation, a nested list, a double-encoded
 * payload), each worded as a reason naming its owner, and the one violation
 * a leaked frame or answer becomes. Module functions the isolation oracle
 * calls per frame, with the state they need passed in.
 */
import type { CanaryCodec } from './canary.js';
import { ID_KIND } from './id-index.js';
import type { OwnerFields, Receiver } from './isolation-types.js';
import type { OwnershipLedger } from './ownership-ledger.js';
import type { Violation, ViolationReason } from './violation.js';

/** Where {@link scanReferences} hands the run-shaped tokens nobody has claimed yet (the isolation oracle). */
export interface ReferenceKeeper {
  /** Keeps the token `id` found in `text`, to be settled when every user has claimed its own. */
  deferReference(
    id: string,
    f: OwnerFields | undefined,
    rx: Receiver,
    atMs: number,
    channel: 'ws' | 'rest',
    text: string,
  ): void;
}

/** The prefix of an id a backend shortened (`abc...`, `abc…`), or undefined when it is whole. */
export function shortPrefix(id: string): string | undefined {
  if (id.endsWith('...')) return id.slice(0, -3);
  if (id.endsWith('…')) return id.slice(0, -1);
  return undefined;
}

/** A reason naming the user the ledger knows as `owner`, when it knows one. */
export function reasonWithOwner(
  ledger: OwnershipLedger,
  kind: string,
  field: string,
  value: string,
  owner: number,
): ViolationReason {
  const id = ledger.userAt(owner);
  return id === undefined ? { kind, field, value } : { kind, field, value, owner: id };
}

/** Adds one reason per foreign owner whose canary is in `text` (one per owner per frame is evidence enough). */
export function scanCanaries(
  codec: CanaryCodec,
  ledger: OwnershipLedger,
  rx: Receiver,
  text: string,
  reasons: ViolationReason[] | undefined,
): ViolationReason[] | undefined {
  let lastOwner = -1;
  for (let at = codec.findNext(text, 0, rx.userIndex); at !== -1; at = codec.findNext(text, at, rx.userIndex)) {
    if (codec.lastUser === lastOwner || ledger.isUser(codec.lastUser, rx.userIndex, rx.userId)) continue;
    lastOwner = codec.lastUser;
    (reasons ??= []).push(
      reasonWithOwner(ledger, 'foreign_canary', 'canary', codec.encode(codec.lastUser, codec.lastSeq), codec.lastUser),
    );
  }
  return reasons;
}

/**
 * Adds one reason per id of another user found anywhere in `text`:
 * `foreign_reference`. Ids the frame's owner fields name were judged by the
 * field checks and are not counted twice; one reason per id per frame.
 * Run-shaped tokens nobody claimed yet go to `keeper` when `shaped` (a run
 * only its owner has heard of may be cited before the owner's frame is read).
 */
export function scanReferences(
  ledger: OwnershipLedger,
  keeper: ReferenceKeeper,
  shaped: boolean,
  rx: Receiver,
  text: string,
  f: OwnerFields | undefined,
  reasons: ViolationReason[] | undefined,
  atMs: number,
  channel: 'ws' | 'rest',
): ViolationReason[] | undefined {
  const ids = ledger.ids;
  let lastId = '';
  for (let at = ids.findNext(text, 0, shaped); at !== -1; at = ids.findNext(text, at, shaped)) {
    if (ids.lastKind === ID_KIND.runShaped) {
      keeper.deferReference(text.slice(ids.lastStart, ids.lastEnd), f, rx, atMs, channel, text);
      continue;
    }
    const id = ids.lastId;
    if (id === lastId || ledger.isUser(ids.lastOwner, rx.userIndex, rx.userId)) continue;
    if (f !== undefined && (id === f.threadId || id === f.runId || id === f.userId)) continue;
    lastId = id;
    (reasons ??= []).push(
      reasonWithOwner(
        ledger,
        'foreign_reference',
        ids.lastKind === ID_KIND.thread ? 'thread' : ids.lastKind === ID_KIND.run ? 'run' : 'user',
        id,
        ids.lastOwner,
      ),
    );
  }
  // This run's message ids name their sender: found by their prefix, read in place.
  const p = ledger.messageIdPrefix;
  for (let at = text.indexOf(p); at !== -1; at = text.indexOf(p, at + p.length)) {
    let end = at + p.length;
    while (end < text.length && isMessageIdChar(text.charCodeAt(end))) end++;
    const owner = ledger.messageOwnerAt(text, at, end);
    if (owner === undefined || ledger.isUser(owner, rx.userIndex, rx.userId)) continue;
    const id = text.slice(at, end);
    if (f !== undefined && id === f.messageId) continue;
    (reasons ??= []).push(reasonWithOwner(ledger, 'foreign_reference', 'message', id, owner));
  }
  return reasons;
}

/** Digits and `-`: what follows a message id's prefix (formatMessageId). */
function isMessageIdChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45;
}

/** The violation one leaked frame or answer becomes, carrying every reason found in it (the first one leads). */
export function computeIsolationViolation(
  id: string,
  reasons: readonly ViolationReason[],
  rx: Receiver,
  atMs: number,
  channel: 'ws' | 'rest',
  text: string,
  op: string | undefined,
): Violation {
  const first = reasons[0]!;
  return {
    id,
    class: 'isolation',
    kind: first.kind,
    kinds: reasons,
    atMs,
    cohort: rx.cohort,
    receiver: { user: rx.userId, ...(rx.connection ? { connection: rx.connection } : {}) },
    ...(first.owner !== undefined ? { owner: first.owner } : {}),
    channel,
    ...(op ? { op } : {}),
    frame: text,
  };
}
