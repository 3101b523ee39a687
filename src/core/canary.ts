/**
 * Canaries: markers each simulated user embeds in everything it sends, so
 * that another user's words found anywhere in a frame give away their owner.
 *
 * A marker is one lowercase word, `<prefix><user digits>a<seq digits><check>`:
 * the prefix is fixed per run (`zq` + two letters from the run tag), digits
 * are base-20 in consonants, `a` separates, and a check consonant rejects
 * look-alikes. Backends keep such words intact (no digits, no punctuation),
 * the owner is decoded from the word itself, and finding every marker in a
 * frame is a single forward scan for the prefix. The scan ignores letter
 * case, as a language model quoting another user may not keep it (Title
 * Case, UPPER CASE), and whatever surrounds the word (markdown, quotes,
 * punctuation) does not matter: only a letter right after it does, since
 * then it is part of a longer word. No English word holds `zq`, so ordinary
 * text, in any case, cannot make one.
 */
const DIGITS = 'bcdfghjklmnpqrstvwxz';
const BASE = DIGITS.length;
const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE; i++) DIGIT_VALUE[DIGITS.charCodeAt(i)] = i;
const SEP = 'a'.charCodeAt(0);

function encodeNumber(n: number): string {
  let s = '';
  do {
    s = DIGITS[n % BASE]! + s;
    n = Math.floor(n / BASE);
  } while (n > 0);
  return s;
}

function checkDigit(userIndex: number, seq: number): string {
  return DIGITS[(userIndex * 7 + seq * 13 + 5) % BASE]!;
}

/** A character code with ASCII letters folded to lower case. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c | 32 : c;
}

/** Encodes and finds the markers of one run. */
export class CanaryCodec {
  readonly prefix: string;
  constructor(runTag: string) {
    const a = parseInt(runTag.slice(0, 2) || '0', 16) || 0;
    const b = parseInt(runTag.slice(2, 4) || '0', 16) || 0;
    this.prefix = `zq${DIGITS[a % BASE]}${DIGITS[b % BASE]}`;
  }

  /**
   * The next place the prefix starts at or after `from`, in any letter case;
   * -1 when none. Two native scans for the first letter (`z`, `Z`: rare in
   * any language), the rest compared folded: several times faster than a
   * case-insensitive regex on frame-sized text.
   */
  private indexOfPrefix(text: string, from: number): number {
    const p = this.prefix;
    let lo = text.indexOf('z', from);
    let up = text.indexOf('Z', from);
    while (lo !== -1 || up !== -1) {
      const at = lo === -1 ? up : up === -1 ? lo : Math.min(lo, up);
      if (
        lower(text.charCodeAt(at + 1)) === p.charCodeAt(1) &&
        lower(text.charCodeAt(at + 2)) === p.charCodeAt(2) &&
        lower(text.charCodeAt(at + 3)) === p.charCodeAt(3)
      )
        return at;
      if (at === lo) lo = text.indexOf('z', at + 1);
      else up = text.indexOf('Z', at + 1);
    }
    return -1;
  }

  /** The marker of user `userIndex`'s `seq`-th piece of text. */
  encode(userIndex: number, seq: number): string {
    return `${this.prefix}${encodeNumber(userIndex)}a${encodeNumber(seq)}${checkDigit(userIndex, seq)}`;
  }

  /** Owner and sequence of the marker {@link findNext} found last. */
  lastUser = -1;
  lastSeq = -1;

  /**
   * Finds the next valid marker at or after `from` whose owner is not
   * `exceptUser` (-1 for any); returns the offset just past it, or -1. Its
   * owner and sequence are left in `lastUser` and `lastSeq`. Calling it
   * until -1 scans the text once, front to back, allocating nothing.
   */
  findNext(text: string, from: number, exceptUser: number): number {
    const p = this.prefix;
    let at = this.indexOfPrefix(text, from);
    while (at !== -1) {
      let i = at + p.length;
      let user = 0;
      let userDigits = 0;
      let c = lower(text.charCodeAt(i));
      while (c < 128 && DIGIT_VALUE[c]! >= 0) {
        user = user * BASE + DIGIT_VALUE[c]!;
        userDigits++;
        c = lower(text.charCodeAt(++i));
      }
      if (userDigits > 0 && c === SEP) {
        c = lower(text.charCodeAt(++i));
        let seq = 0;
        let seqDigits = 0;
        let last = -1;
        while (c < 128 && DIGIT_VALUE[c]! >= 0) {
          if (last >= 0) {
            seq = seq * BASE + last;
            seqDigits++;
          }
          last = DIGIT_VALUE[c]!;
          c = lower(text.charCodeAt(++i));
        }
        const endsWord = Number.isNaN(c) || !((c >= 97 && c <= 122) || (c >= 65 && c <= 90));
        if (
          seqDigits > 0 &&
          endsWord &&
          last === DIGIT_VALUE[checkDigit(user, seq).charCodeAt(0)] &&
          user !== exceptUser
        ) {
          this.lastUser = user;
          this.lastSeq = seq;
          return i;
        }
      }
      at = this.indexOfPrefix(text, i > at ? i : at + 1);
    }
    return -1;
  }
}
