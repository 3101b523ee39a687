import type { RunIds } from './recent-runs.js';

/** Wrappers a model puts around words it quotes: markdown bold, a quoted list item, parentheses, italics. */
const WRAPS: ReadonlyArray<readonly [string, string]> = [
  ['**', '**'],
  ['"', '",'],
  ['(', ')'],
  ['_', '_'],
];

/**
 * Another user's message as a language model would rewrite it when quoting
 * it (the `case` fault): words in shuffled order, each in UPPER CASE
 * (`upper`) or Title Case, each wrapped in turn in `**…**`, `"…",`, `(…)`
 * and `_…_`. `int(min, max)` draws the shuffle.
 */
export function rewriteAsModel(text: string, upper: boolean, int: (min: number, max: number) => number): string {
  const words = text.split(/\s+/).filter((w) => w !== '');
  for (let i = words.length - 1; i > 0; i--) {
    const j = int(0, i);
    const w = words[i]!;
    words[i] = words[j]!;
    words[j] = w;
  }
  return words
    .map((w, i) => {
      const [open, close] = WRAPS[i % WRAPS.length]!;
      const cased = upper ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase();
      return `${open}${cased}${close}`;
    })
    .join(' ');
}

/**
 * The receiver's own run event citing another user's thread or run inside a
 * string value, as a model's answer with links does (the `reference` fault);
 * owner fields stay the receiver's. Four forms, in turn by `k`:
 * 0. the text (`reasoning`, else `result`) ends with ` (see /threads/<thread id> for the earlier discussion)`;
 * 1. `citations: ["https://app.example/threads/<thread id>#m2", "https://docs.example.com/guide/getting-started"]`;
 * 2. the text ends with ` Compare the trace at https://app.example/runs/<run id>/trace.`;
 * 3. `citations: [{ "title": "Earlier run", "links": ["https://app.example/runs/<run id>?tab=steps"] }]`.
 * An event without text gets the citations form of the same id.
 */
export function citeForeign(payload: Record<string, unknown>, foreign: RunIds, k: number): Record<string, unknown> {
  const key =
    typeof payload.reasoning === 'string' ? 'reasoning' : typeof payload.result === 'string' ? 'result' : undefined;
  const form = k % 4;
  if (form === 0 && key !== undefined)
    return {
      ...payload,
      [key]: `${String(payload[key])} (see /threads/${foreign.threadId} for the earlier discussion)`,
    };
  if (form === 0 || form === 1)
    return {
      ...payload,
      citations: [
        `https://app.example/threads/${foreign.threadId}#m2`,
        'https://docs.example.com/guide/getting-started',
      ],
    };
  if (form === 2 && key !== undefined)
    return {
      ...payload,
      [key]: `${String(payload[key])} Compare the trace at https://app.example/runs/${foreign.runId}/trace.`,
    };
  return {
    ...payload,
    citations: [{ title: 'Earlier run', links: [`https://app.example/runs/${foreign.runId}?tab=steps`] }],
  };
}
