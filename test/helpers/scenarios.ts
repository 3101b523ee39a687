// Compiled scenarios for the config-layer tests: the shipped scenarios folder, a small inline scenario,
// readers that fail the test when a cohort is not what it should be, and the problems of text that must
// not compile. No side effects at import time.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compileScenarioText, type ScenarioOverrides } from '../../src/config/load-scenario.js';
import type { ClosedModel, Cohort, OpenModel, Scenario } from '../../src/core/scenario-types.js';
import { SimError, type InputProblem } from '../../src/core/sim-error.js';

/** The shipped scenarios folder in the source tree (tests run compiled from dist/test/). */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
/** The flagship scenario, 15-users.yaml. */
export const FLAGSHIP = `${SCENARIOS_DIR}15-users.yaml`;

/** One closed cohort of five users for 30 s: connect, create a thread, send one message. */
export const SIMPLE = `name: simple
cohorts:
  chatters:
    users: 5
    duration: 30s
    flow:
      - connect
      - createThread
      - sendMessage: { content: "hi {{user}}" }
`;

/** The cohort called `name`; fails the test when there is none. */
export function cohort(s: Scenario, name: string): Cohort {
  const c = s.cohorts.find((x) => x.name === name);
  assert.ok(c, `no cohort ${name}`);
  return c;
}
/** The cohort's closed model; fails the test when it is open. */
export function closedModel(c: Cohort): ClosedModel {
  assert.equal(c.model.kind, 'closed');
  return c.model;
}
/** The cohort's open model; fails the test when it is closed. */
export function openModel(c: Cohort): OpenModel {
  assert.equal(c.model.kind, 'open');
  return c.model;
}

/** The problems of text that must not compile. */
export function problemsOf(text: string, overrides: ScenarioOverrides = {}, file = 'inline.yaml'): InputProblem[] {
  try {
    compileScenarioText(text, file, overrides);
  } catch (err) {
    assert.ok(err instanceof SimError, String(err));
    assert.equal(err.code, 'INPUT');
    return [...err.problems];
  }
  assert.fail('the scenario compiled without problems');
}
