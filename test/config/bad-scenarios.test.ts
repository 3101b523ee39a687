import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../src/config/load-scenario.js';
import { formatProblem, SimError, type InputProblem } from '../../src/core/sim-error.js';
import { BAD_DIR, BAD_EXPECTED, BAD_FILES } from '../helpers/bad-fixtures.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
const expected = BAD_EXPECTED;
const files = BAD_FILES;

/** Loads a file that must fail; returns its SimError. */
function loadError(file: string): SimError {
  try {
    loadScenario(file);
  } catch (err) {
    assert.ok(err instanceof SimError, `expected a SimError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${file} loaded without problems`);
}

function show(problems: readonly InputProblem[]): string {
  return problems.map(formatProblem).join('\n');
}

describe('the malformed-scenario corpus', () => {
  test('holds at least 20 files, every one listed in expected.json and vice versa', () => {
    assert.ok(files.length >= 20, `only ${files.length} files`);
    assert.deepEqual(files, Object.keys(expected).sort());
  });

  for (const name of files) {
    const exp = expected[name];
    test(`${name}: line ${exp?.line}, ${exp?.path ?? '(no path)'}`, () => {
      assert.ok(exp, `${name} has no entry in expected.json`);
      const file = `${BAD_DIR}${name}`;
      const err = loadError(file);
      assert.equal(err.code, 'INPUT');
      assert.ok(err.problems.length > 0, 'an INPUT error lists its problems');
      if (exp.single !== false)
        assert.equal(err.problems.length, 1, `one deliberate problem, got:\n${show(err.problems)}`);
      const texts = typeof exp.messageIncludes === 'string' ? [exp.messageIncludes] : exp.messageIncludes;
      const hit = err.problems.find(
        (p) => p.line === exp.line && (p.path ?? null) === exp.path && texts.some((t) => p.message.includes(t)),
      );
      assert.ok(
        hit,
        `expected line ${exp.line}, path ${exp.path}, message with ${JSON.stringify(exp.messageIncludes)}; got:\n${show(err.problems)}`,
      );
      assert.equal(hit.file, file, 'the problem names the file');
      assert.ok(typeof hit.column === 'number' && hit.column >= 1, 'and a column');
      assert.match(err.message, new RegExp(`problems? in the scenario`));
    });
  }

  test('a file with three separate problems reports all three at once, in line order', () => {
    const file = `${BAD_DIR}multi/three-problems.yaml`;
    const err = loadError(file);
    assert.equal(err.code, 'INPUT');
    assert.equal(err.message, `${file}: 3 problems in the scenario`);
    assert.deepEqual(
      err.problems.map((p) => [p.line, p.path]),
      [
        [5, 'cohorts.chatters.duration'],
        [7, 'cohorts.chatters.flow[0]'],
        [9, 'thresholds["run.totl"][0]'],
      ],
    );
    assert.match(err.problems[0]!.message, /expected a duration such as 500ms, 30s, 2m \(or 2min\) or 1h30m, got 30/);
    assert.match(err.problems[1]!.message, /unknown step "conect" \(did you mean "connect"\?\)/);
    assert.match(err.problems[2]!.message, /no metric named "run\.totl"/);
    assert.match(
      formatProblem(err.problems[0]!),
      /three-problems\.yaml:5:15: cohorts\.chatters\.duration: expected a duration/,
    );
  });
});

describe('the shipped scenarios', () => {
  const shipped = readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  test('include the flagship 15-users.yaml', () => {
    assert.ok(shipped.includes('15-users.yaml'));
  });

  for (const name of shipped) {
    test(`${name} loads without problems`, () => {
      let problems = '';
      try {
        const s = loadScenario(`${SCENARIOS_DIR}${name}`);
        assert.ok(s.cohorts.length > 0);
        assert.ok(s.thresholds.length > 0, 'ships with thresholds');
        assert.match(s.sha256, /^[0-9a-f]{64}$/);
      } catch (err) {
        if (err instanceof SimError) problems = `${err.message}\n${show(err.problems)}`;
        else throw err;
      }
      assert.equal(problems, '');
    });
  }
});
