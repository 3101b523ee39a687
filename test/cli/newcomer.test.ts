// What a newcomer meets first on the command line: help, flags' messages, --version, --quiet, serve's first line.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { killCliChildren, makeTempDir, removeTempDirs, ROOT, runCli } from '../helpers/sim.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

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

  test('--version (and -V) prints the version of package.json and nothing else', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${PACKAGE_VERSION}\n`);
      assert.equal(r.stderr, '');
    }
  });

  test('--version works from an installed package (node_modules/crosstalk with the files package.json ships)', () => {
    const pkgDir = join(makeTempDir('crosstalk-installed-'), 'node_modules', 'crosstalk');
    mkdirSync(pkgDir, { recursive: true });
    for (const part of ['package.json', 'bin', join('dist', 'bundle')]) cpSync(join(ROOT, part), join(pkgDir, part), { recursive: true });
    const r = spawnSync(process.execPath, [join(pkgDir, 'bin', 'simulate'), '--version'], { cwd: makeTempDir(), encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${PACKAGE_VERSION}\n`);
  });
});
