/**
 * Known ids (threads, runs, users) found anywhere in a text, with their
 * owners: a leak may name another user's thread in a URL, a citation or a
 * nested list as well as in an owner field. An id is a token of letters,
 * digits, `_` and `-`, at least MIN_ID_LENGTH long (so short or common words
 * cannot match), holding a digit (as generated ids do: a uuid has none with
 * odds of 1 in 10^13). So the text is searched natively for digits, and only
 * the few tokens around them (ids, numbers, timestamps) are read in JS,
 * hashed, and, when the hash is known, compared in place: prose costs a
 * native scan and no substring is made unless a known id is found.
 */

/**
 * What kind of id a token was; `runShaped` is a token nobody claimed yet that
 * is shaped like the run ids seen so far (a run its owner has not heard of yet).
 */
export const ID_KIND = Object.freeze({ thread: 1, run: 2, user: 3, runShaped: 4 });

/** Ids shorter than this are never looked for: short strings occur everywhere. */
const MIN_ID_LENGTH = 8;
const MAX_ID_LENGTH = 128;

const DIGIT_RE = /[0-9]/g;
/** Run-id shapes remembered at most: a backend has a handful; ids of free form would otherwise grow the set. */
const MAX_SHAPES = 16;

/** True when text[i] is a character an id token may hold (NaN past the end is not). */
function isIdCharAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && ID_CHAR[c] === 1;
}

/** 1 for a character an id token may hold (A-Z a-z 0-9 _ -), by char code below 128. */
const ID_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++)
  ID_CHAR[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 ? 1 : 0;

/** FNV-1a over one character code, as a 32-bit integer. */
function mix(h: number, c: number): number {
  return Math.imul(h ^ c, 16777619);
}
const SEED = 2166136261 | 0;

/**
 * A token's shape: its length and where its separators (`-`, `_`) are. Ids a
 * backend generates share one (a uuid, `run_` and 32 hex digits); prose
 * numbers and timestamps seldom have the length and layout of both.
 */
function computeShape(text: string, start: number, end: number): number {
  let h = mix(SEED, end - start);
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === 45 || c === 95) h = mix(mix(h, k - start), c);
  }
  return h;
}

/** The hash {@link IdIndex.findNext} computes for a token. */
function computeIdHash(id: string): number {
  let h = SEED;
  for (let i = 0; i < id.length; i++) h = mix(h, id.charCodeAt(i));
  return h;
}

interface Entry {
  readonly id: string;
  readonly kind: number;
  readonly owner: number;
}

/**
 * Ids by hash, with their owner and kind; the oldest are forgotten past
 * `capacity`. Two different ids with the same 32-bit hash keep the first
 * (one in four billion: the other is then not looked for).
 */
export class IdIndex {
  private readonly byHash = new Map<number, Entry>();
  private readonly ring: number[] = [];
  private head = 0;
  /** Shapes of the run ids added, and which lengths they have (a cheap first test). */
  private readonly runShapes = new Set<number>();
  private readonly runLengths = new Uint8Array(MAX_ID_LENGTH + 1);

  /** Start, end, kind and owner of the id {@link findNext} found last. */
  lastStart = -1;
  lastEnd = -1;
  lastKind = 0;
  lastOwner = -1;
  lastId = '';

  constructor(readonly capacity: number) {}

  /** Remembers an id (the first owner on record wins). */
  add(id: string, kind: number, owner: number): void {
    if (id.length < MIN_ID_LENGTH || id.length > MAX_ID_LENGTH) return;
    if (kind === ID_KIND.run && this.runShapes.size < MAX_SHAPES) {
      this.runShapes.add(computeShape(id, 0, id.length));
      this.runLengths[id.length] = 1;
    }
    const h = computeIdHash(id);
    if (this.byHash.has(h)) return;
    if (this.ring.length < this.capacity) this.ring.push(h);
    else {
      this.byHash.delete(this.ring[this.head]!);
      this.ring[this.head] = h;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    this.byHash.set(h, { id, kind, owner });
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.byHash.size;
  }

  /**
   * Finds the next known id at or after `from`: returns the offset just past
   * it (its facts left in the `last*` fields), or -1. Calling it until -1
   * reads the text once. With `shaped`, a token nobody claimed that is shaped
   * like a known run id is found too, as `ID_KIND.runShaped` (owner -1, no
   * `lastId`: the caller slices it from `lastStart` to `lastEnd`).
   */
  findNext(text: string, from: number, shaped = false): number {
    const digit = DIGIT_RE;
    let i = from;
    for (;;) {
      // test() on a global regex moves lastIndex past the next digit and allocates nothing.
      digit.lastIndex = i;
      if (!digit.test(text)) return -1;
      const at = digit.lastIndex - 1;
      let start = at;
      while (start > i && isIdCharAt(text, start - 1)) start--;
      i = at + 1;
      while (isIdCharAt(text, i)) i++;
      const len = i - start;
      if (len < MIN_ID_LENGTH || len > MAX_ID_LENGTH) continue;
      let h = SEED;
      for (let k = start; k < i; k++) h = mix(h, text.charCodeAt(k));
      const e = this.byHash.get(h);
      if (e === undefined || e.id.length !== len || !text.startsWith(e.id, start)) {
        if (
          !shaped ||
          e !== undefined ||
          this.runLengths[len] !== 1 ||
          !this.runShapes.has(computeShape(text, start, i))
        )
          continue;
        this.lastStart = start;
        this.lastEnd = i;
        this.lastKind = ID_KIND.runShaped;
        this.lastOwner = -1;
        this.lastId = '';
        return i;
      }
      this.lastStart = start;
      this.lastEnd = i;
      this.lastKind = e.kind;
      this.lastOwner = e.owner;
      this.lastId = e.id;
      return i;
    }
    return -1;
  }
}
