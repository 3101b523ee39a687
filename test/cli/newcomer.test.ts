// What a newcomer meets first on the command line: help, flags' messages, --version, --quiet, serve's first line.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killCliChildren, removeTempDirs, runCli } from '../helpers/sim.js';

describe('simulate: the command line as a newcomer meets it', () => {
  after(() => {
    killCliChildren();
    removeTempDirs();
  });

  test('--segment: help and errors agree that I counts from 0', async () => {
    const help = await runCli(['run', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout.replace(/\s+/g, ' '), /--segment <i\/n> run only share i of n, counted from 0 \(0\/2 and 1\/2 split the users between two generators\)/);
    const r = await runCli(['run', 'scenarios/smoke.yaml', '--segment', '2/2']);
    assert.equal(r.code, 3, `exit 3 for 2/2: ${r.stderr}`);
    assert.match(r.stderr, /--segment 2\/2: I counts from 0, so it runs from 0 to N-1 \(0 to 1 here\): --segment 0\/2 and 1\/2 split the users in two/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});
