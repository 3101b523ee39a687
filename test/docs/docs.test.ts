// The contracts ship with the repository (docs/), and the README's links work in a fresh clone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const CONTRACTS = ['design.md', 'protocol.md'];

/** Relative link targets of markdown text: `[text](target)`, without #anchors; web and mail links left out. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const m of markdown.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    links.push(target.split('#')[0]!);
  }
  return links;
}

describe('docs/: the contracts inside the repository', () => {
  test('docs/ holds design.md and protocol.md, each a real document', () => {
    for (const name of CONTRACTS) {
      const path = join(ROOT, 'docs', name);
      assert.ok(existsSync(path), `docs/${name} exists`);
      const text = readFileSync(path, 'utf8');
      assert.match(text, /^# \S/, `docs/${name} starts with a title`);
      assert.ok(text.length > 2000, `docs/${name} is the whole contract, not a stub (${text.length} chars)`);
    }
  });

  test('every relative link of the README resolves inside the repository, and it links both contracts', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const links = relativeLinks(readme);
    for (const name of CONTRACTS)
      assert.ok(links.includes(`docs/${name}`), `README links docs/${name}: ${JSON.stringify(links)}`);
    for (const link of links) {
      const target = resolve(ROOT, link);
      assert.ok(target.startsWith(ROOT), `${link} stays inside the repository (a clone has nothing outside it)`);
      assert.ok(existsSync(target), `${link} exists`);
    }
    assert.doesNotMatch(readme, /\]\(\.\.\/shared\//, 'no link into ../shared, which a clone does not have');
  });

  test('where ../shared sits next to the repository, docs/ is a copy of it', (t) => {
    const shared = join(ROOT, '..', 'shared');
    if (!CONTRACTS.every((name) => existsSync(join(shared, name)))) {
      t.skip('no ../shared next to this checkout (a plain clone): nothing to compare');
      return;
    }
    for (const name of CONTRACTS) {
      assert.equal(
        readFileSync(join(ROOT, 'docs', name), 'utf8'),
        readFileSync(join(shared, name), 'utf8'),
        `docs/${name} differs from ../shared/${name}: cp ../shared/${name} docs/`,
      );
    }
  });
});
