import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CanaryCodec } from '../../src/core/canary.js';

/** Every [user, seq] a scan of `text` finds, skipping `exceptUser`. */
function findAll(codec: CanaryCodec, text: string, exceptUser = -1): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let at = codec.findNext(text, 0, exceptUser); at !== -1; at = codec.findNext(text, at, exceptUser))
    out.push([codec.lastUser, codec.lastSeq]);
  return out;
}

const titleCase = (w: string): string => w[0]!.toUpperCase() + w.slice(1);

describe('canaries as a language model rewrites them', () => {
  const codec = new CanaryCodec('9c41e2');
  const word = codec.encode(12, 345);

  test('found in any letter case and whatever surrounds the word', () => {
    for (const form of [
      word,
      word.toUpperCase(),
      titleCase(word),
      `**${word}**`,
      `"${titleCase(word)}",`,
      `(${word.toUpperCase()})`,
      `_${word}_`,
      `[${word}](https://x.example/${word})`,
      `${word}.`,
    ]) {
      assert.deepEqual(
        findAll(codec, `Earlier a user wrote: summarise spend ${form} please`),
        form.includes('](')
          ? [
              [12, 345],
              [12, 345],
            ]
          : [[12, 345]],
        form,
      );
    }
  });

  test('moved around among other words, several in one text, each found once, in order', () => {
    const other = codec.encode(7, 2);
    const text = `${other.toUpperCase()} — as requested, ${titleCase(word)}: the total.`;
    assert.deepEqual(findAll(codec, text), [
      [7, 2],
      [12, 345],
    ]);
    assert.deepEqual(findAll(codec, text, 7), [[12, 345]], "the receiver's own canary is skipped");
  });

  test('a word that runs on into more letters is not a canary; a wrong check letter is not one', () => {
    assert.deepEqual(findAll(codec, `${word}ish`), []);
    const broken = word.slice(0, -1) + (word.endsWith('b') ? 'c' : 'b');
    assert.deepEqual(findAll(codec, broken), []);
    assert.deepEqual(findAll(codec, broken.toUpperCase()), []);
  });

  test("another run's canary is not this run's", () => {
    const other = new CanaryCodec('1f00aa');
    assert.notEqual(other.prefix, codec.prefix);
    assert.deepEqual(findAll(codec, other.encode(12, 345)), []);
  });

  test('ordinary words in any case never read as a canary', () => {
    // Words with z and q, the prefix's letters, in every case a model might write them.
    const words = [
      'zq',
      'ZQ',
      'Zq',
      'zQuick',
      'Quiz',
      'QUIZZES',
      'Zigzag',
      'AZQ',
      'tranquilize',
      'Mozambique',
      'zucchini',
      'BAZAAR',
      'Quartz',
      'Zebra',
      'frequenzy',
    ];
    const text = words.flatMap((w) => [w, w.toUpperCase(), titleCase(w.toLowerCase())]).join(' ');
    assert.deepEqual(findAll(codec, text), []);
  });
});
