// runReport on files: a missing or foreign summary is bad input, and report.html is written beside the
// summary with the violations.jsonl evidence, atomically.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from '../../src/core/sim-error.js';
import { runReport } from '../../src/cli/report-command.js';
import { escapeHtml } from '../../src/output/html-report.js';
import { builtSummary, HOSTILE, plantedViolation } from '../helpers/report-fixtures.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';

const tempDir = (): string => makeTempDir('crosstalk-report-');
after(removeTempDirs);

describe('runReport', () => {
  test('a missing file is bad input', () => {
    const file = join(tempDir(), 'nope', 'summary.json');
    assert.throws(
      () => runReport(file),
      (e: unknown) =>
        e instanceof SimError && e.code === 'INPUT' && e.message.includes(file) && /no such file/.test(e.message),
    );
  });

  test('JSON that is not a crosstalk summary is bad input', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), '{"schema":"k6/1"}');
    writeFileSync(join(dir, 'b.json'), '{ not json');
    writeFileSync(join(dir, 'c.json'), '{"schema":"crosstalk.summary/1"}');
    assert.throws(
      () => runReport(join(dir, 'a.json')),
      (e: unknown) =>
        e instanceof SimError &&
        e.code === 'INPUT' &&
        /expected schema "crosstalk.summary\/1" or "crosstalk.summary\/2", found schema "k6\/1"/.test(e.message),
    );
    assert.throws(
      () => runReport(join(dir, 'b.json')),
      (e: unknown) => e instanceof SimError && e.code === 'INPUT' && /not JSON/.test(e.message),
    );
    assert.throws(
      () => runReport(join(dir, 'c.json')),
      (e: unknown) => e instanceof SimError && e.code === 'INPUT' && /without scenario/.test(e.message),
    );
    assert.equal(existsSync(join(dir, 'report.html')), false);
  });

  test('writes report.html beside the summary, with violations.jsonl evidence, atomically', () => {
    const dir = tempDir();
    const s = builtSummary({ leaks: { foreign_canary: 1 } });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
    writeFileSync(
      join(dir, 'violations.jsonl'),
      `${JSON.stringify(plantedViolation('2025-05-06T07:08:10.000Z'))}\n{cut line\n`,
    );
    assert.equal(runReport(join(dir, 'summary.json')), 0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(html, />FAIL</);
    assert.match(html, /conn_planted/);
    assert.ok(
      html.includes(`zqplanted</mark> ${escapeHtml(HOSTILE)}`),
      'the evidence value is marked and the rest escaped',
    );
    assert.deepEqual(readdirSync(dir).sort(), ['report.html', 'summary.json', 'violations.jsonl'], 'no temp file left');
  });
});
