import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectTemplateNames,
  compileTemplate,
  renderDeep,
  renderTemplate,
  type CompiledTemplate,
} from '../../src/core/templates.js';

function compiled(text: string): CompiledTemplate {
  const c = compileTemplate(text);
  if (Array.isArray(c)) assert.fail(`"${text}" should compile: ${c.join('; ')}`);
  return c;
}

describe('templates', () => {
  test('compile once, render with values', () => {
    const t = compiled('Cost review {{user}} ({{cohort}} #{{iteration}})');
    assert.deepEqual(t.names, ['user', 'cohort', 'iteration']);
    assert.equal(
      renderTemplate(t, { user: 'u-7', cohort: 'chatters', iteration: '3' }),
      'Cost review u-7 (chatters #3)',
    );
    assert.equal(
      renderTemplate(t, { user: 'u-8', cohort: 'chatters', iteration: '4' }),
      'Cost review u-8 (chatters #4)',
    );
  });

  test('spaces inside the braces are allowed; adjacent names render side by side', () => {
    assert.equal(
      renderTemplate(compiled('{{ user }}-{{thread}}{{cohort}}'), { user: 'a', thread: 'T', cohort: 'c' }),
      'a-Tc',
    );
  });

  test('text without templates renders unchanged', () => {
    const t = compiled('Summarise spend');
    assert.deepEqual(t.names, []);
    assert.equal(renderTemplate(t, { user: 'x' }), 'Summarise spend');
  });

  test('a missing value (no thread yet) renders as an empty string', () => {
    assert.equal(renderTemplate(compiled('thread=[{{thread}}]'), { user: 'u' }), 'thread=[]');
  });

  test('unknown names are refused with the list of known ones', () => {
    const c = compileTemplate('Hi {{usr}} in {{team}}');
    assert.ok(Array.isArray(c));
    assert.equal(c.length, 2);
    assert.match(
      c[0]!,
      /template "\{\{usr\}\}" names nothing; expected one of \{\{user\}\}, \{\{cohort\}\}, \{\{iteration\}\}, \{\{thread\}\}/,
    );
    assert.match(c[1]!, /"\{\{team\}\}"/);
    assert.ok(Array.isArray(compileTemplate('{{}}')));
    assert.ok(Array.isArray(compileTemplate('{{user.name}}')));
  });

  test('unbalanced braces are refused', () => {
    for (const bad of ['{{user', 'a }} b', '{{ {{user}} }}']) {
      const c = compileTemplate(bad);
      assert.ok(Array.isArray(c), bad);
      assert.match(c.join(), /unbalanced/);
    }
  });

  test('renderDeep renders every string in objects and arrays, leaves other values alone', () => {
    const out = renderDeep(
      { title: '{{user}}', tags: ['x-{{cohort}}', 3, null, { deep: '{{iteration}}' }], on: true },
      { user: 'u1', cohort: 'c', iteration: '2' },
    );
    assert.deepEqual(out, { title: 'u1', tags: ['x-c', 3, null, { deep: '2' }], on: true });
  });

  test('renderDeep leaves a string with an invalid template as written', () => {
    assert.deepEqual(renderDeep({ e: '{{bad}}' }, { user: 'u' }), { e: '{{bad}}' });
  });

  test('collectTemplateNames finds names anywhere in a value', () => {
    assert.deepEqual([...collectTemplateNames({ a: '{{user}}', b: ['{{ thread }}', { c: '{{x}}' }], n: 5 })].sort(), [
      'thread',
      'user',
      'x',
    ]);
    assert.equal(collectTemplateNames('plain').size, 0);
  });
});
