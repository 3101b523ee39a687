// What a newcomer meets first on the command line: help, flags' messages, --version, --quiet, serve's first line.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, readSummary, removeTempDirs, writeScenario } from '../helpers/sim.js';
import { killCliChildren, ROOT, runCli, STACK_LINE } from '../helpers/cli.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('simulate: the command line as a newcomer meets it', () => {
  after(() => {
    killCliChildren();
    removeTempDirs();
  });

  test('--segment: help and errors agree that I counts from 0', async () => {
    const help = await runCli(['run', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(
      help.stdout.replace(/\s+/g, ' '),
      /--segment <i\/n> run only share i of n, counted from 0 \(0\/2 and 1\/2 split the users between two generators\)/,
    );
    const r = await runCli(['run', 'scenarios/smoke.yaml', '--segment', '2/2']);
    assert.equal(r.code, 3, `exit 3 for 2/2: ${r.stderr}`);
    assert.match(
      r.stderr,
      /--segment 2\/2: I counts from 0, so it runs from 0 to N-1 \(0 to 1 here\): --segment 0\/2 and 1\/2 split the users in two/,
    );
    assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
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
    for (const part of ['package.json', 'bin', join('dist', 'bundle')])
      cpSync(join(ROOT, part), join(pkgDir, part), { recursive: true });
    const r = spawnSync(process.execPath, [join(pkgDir, 'bin', 'simulate'), '--version'], {
      cwd: makeTempDir(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${PACKAGE_VERSION}\n`);
  });

  test('--quiet: stdout is the results folder and a newline, stderr is empty; the exit code still gives the verdict', async () => {
    const yaml = (threshold: string): string =>
      `name: quiet\ntarget: { embedded: { agent: instant } }\ncohorts:\n  c:\n    users: 2\n    duration: 1s\n    flow: [connect, createThread, { sendMessage: { content: "hi {{user}}" } }, { idle: 5s }]\nthresholds:\n  ws.connect: ["${threshold}"]\n`;
    // ws.connect: the first step, so the figure exists however slow the machine.
    const pass = writeScenario(yaml('p(95) < 30s'));
    const fail = writeScenario(yaml('max < 1us'));
    const [ok, failed] = await Promise.all([
      runCli(['run', pass.file, '--out', pass.out, '--quiet'], { timeoutMs: 40_000 }),
      runCli(['run', fail.file, '--out', fail.out, '--quiet'], { timeoutMs: 40_000 }),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${pass.out}\n`);
    assert.equal(ok.stderr, '');
    assert.equal(readSummary(ok.stdout.trim()).verdict, 'pass', 'the printed path is the results folder');
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(failed.stdout, `${fail.out}\n`, 'a failed threshold prints nothing more');
    assert.equal(failed.stderr, '');
  });

  test('--quiet still reports errors on stderr, and prints no path when there are no results', async () => {
    const r = await runCli(['run', 'scenarios/no-such-file.yaml', '--quiet']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /cannot read scenario scenarios\/no-such-file\.yaml: no such file/);
  });
});
