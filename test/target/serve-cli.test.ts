// `bin/simulate serve` as a user runs it: a child process, its stdout, signals, exit codes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken, openWs, rest, uniqueId, UpgradeRefused } from '../helpers/client.js';
import { openRunStream } from '../helpers/sse-client.js';
import { openSocketIo } from '../helpers/socketio-client.js';
import { envWithout, ROOT, STACK_LINE } from '../helpers/cli.js';
const LISTENING = /^crosstalk target listening on (http:\/\/127\.0\.0\.1:(\d+))$/;

interface Served {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line (rejects after 10 s or on exit before one). */
  readonly firstLine: Promise<string>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

function serve(args: readonly string[], env: NodeJS.ProcessEnv): Served {
  const child = spawn(process.execPath, ['bin/simulate', 'serve', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no stdout line within 10 s; stderr: ${err}`)), 10_000);
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before a stdout line; stderr: ${err}`));
    });
  });
  firstLine.catch(() => undefined);
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  return { child, firstLine, stdout: () => out, stderr: () => err, exited };
}

async function exitWithin(s: Served, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not exit within ${ms} ms; stderr: ${s.stderr()}`)), ms);
  });
  try {
    return await Promise.race([s.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('simulate serve', () => {
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  test('prints the listening line first, serves with SIM_JWT_SECRET, and exits 0 on SIGTERM', async () => {
    const secret = randomBytes(24).toString('base64url');
    const s = serve(['--port', '0', '--test-login'], { ...envWithout('SIM_JWT_SECRET'), SIM_JWT_SECRET: secret });
    const line = await s.firstLine;
    const m = LISTENING.exec(line);
    assert.ok(m, `first stdout line: ${JSON.stringify(line)}`);
    const url = m[1]!;
    assert.ok(Number(m[2]) > 0, 'port 0 picks a real port');

    // A token signed with the secret from the environment is accepted; a token signed otherwise is not.
    const user = uniqueId('cli');
    const token = await mintToken(secret, user);
    const created = await rest(url, 'POST', '/api/threads', { token, body: { title: 'from the cli test' } });
    assert.equal(created.status, 201);
    assert.equal(
      (await rest(url, 'GET', '/api/threads', { token: await mintToken(secret, user, { wrongSecret: true }) })).status,
      401,
    );
    const sock = await openWs(url, { delivery: 'subprotocol', token });
    assert.equal(sock.userId, user);

    assert.ok(s.child.kill('SIGTERM'));
    const { code, signal } = await exitWithin(s, 5000);
    await sock.close();
    assert.equal(signal, null, 'exits on its own, not killed by the signal');
    assert.equal(code, 0, `exit code; stderr: ${s.stderr()}`);
  });

  test('with SIM_JWT_SECRET unset it still starts, the listening line first', async () => {
    const s = serve(['--port', '0', '--test-login'], envWithout('SIM_JWT_SECRET'));
    const line = await s.firstLine;
    const m = LISTENING.exec(line);
    assert.ok(m, `first stdout line: ${JSON.stringify(line)}`);
    const login = await rest(m[1]!, 'POST', '/auth/test-login', { body: { user_id: 'u-0007' } });
    assert.equal(login.status, 200);
    assert.equal((await rest(m[1]!, 'GET', '/api/threads', { token: login.json.access_token })).status, 200);
    s.child.kill('SIGTERM');
    const { code } = await exitWithin(s, 5000);
    assert.equal(code, 0);
  });

  test('with stdout and stderr merged (2>&1) the listening line still comes before any log line', async () => {
    // One file for both streams: what a terminal or a CI log shows, in the order it was written.
    const dir = mkdtempSync(join(tmpdir(), 'crosstalk-serve-'));
    const path = join(dir, 'merged.log');
    const fd = openSync(path, 'w');
    const child = spawn(process.execPath, ['bin/simulate', 'serve', '--port', '0', '--log-level', 'debug'], {
      cwd: ROOT,
      env: envWithout('SIM_JWT_SECRET'),
      stdio: ['ignore', fd, fd],
    });
    children.push(child);
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines = (): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean);
      const end = Date.now() + 10_000;
      while (!lines().some((l) => l.includes('"msg":"target listening"')) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
      const seen = lines();
      assert.match(seen[0] ?? '', LISTENING, `first line of the merged output: ${JSON.stringify(seen.slice(0, 3))}`);
      assert.match(
        seen[1] ?? '',
        /^SIM_JWT_SECRET was unset; generated secret for this run: \S+$/,
        'then the generated secret',
      );
      assert.ok(
        seen.slice(2).some((l) => JSON.parse(l).msg === 'target listening'),
        `the log line follows: ${JSON.stringify(seen)}`,
      );
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an upgrade request whose target is not a valid URL does not take the server down', async () => {
    const s = serve(['--port', '0', '--log-level', 'silent'], { ...process.env, SIM_JWT_SECRET: 'y'.repeat(32) });
    try {
      const m = LISTENING.exec(await s.firstLine);
      assert.ok(m);
      const port = Number(m[2]);
      const answer = await new Promise<string>((resolve) => {
        const sock = connect(port, '127.0.0.1', () => {
          sock.write(
            'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          );
        });
        let buf = '';
        sock.setEncoding('utf8');
        sock.on('data', (d: string) => {
          buf += d;
        });
        sock.on('error', () => undefined);
        sock.on('close', () => resolve(buf));
        sock.setTimeout(3000, () => sock.destroy());
      });
      assert.match(answer, /^HTTP\/1\.1 4\d\d /, `answered with a 4xx: ${JSON.stringify(answer.slice(0, 80))}`);
      const health = await rest(m[1]!, 'GET', '/health');
      assert.equal(health.status, 200, 'still serving');
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGTERM');
      await exitWithin(s, 5000).catch(() => s.child.kill('SIGKILL'));
    }
  });

  test('a bad flag exits 3 with a message on stderr and no stack trace', async () => {
    const s = serve(['--port', '0', '--agent', 'nope'], { ...process.env, SIM_JWT_SECRET: 'x'.repeat(32) });
    const { code } = await exitWithin(s, 10_000);
    assert.equal(code, 3, `exit code; stderr: ${s.stderr()}`);
    const err = s.stderr();
    assert.match(err, /--agent/);
    assert.match(err, /nope/);
    assert.doesNotMatch(err, STACK_LINE, 'no stack trace');
    assert.doesNotMatch(s.stdout(), /listening/, 'it never listened');
  });

  test('--transport sse prints the listening line first and serves runs as event streams, and nothing at /ws', async () => {
    const s = serve(
      ['--port', '0', '--test-login', '--agent', 'instant', '--transport', 'sse', '--log-level', 'silent'],
      envWithout('SIM_JWT_SECRET'),
    );
    try {
      const m = LISTENING.exec(await s.firstLine);
      assert.ok(m, `first stdout line: ${JSON.stringify(s.stdout().split('\n')[0])}`);
      const url = m[1]!;
      const token = (await rest(url, 'POST', '/auth/test-login', { body: { user_id: 'u-sse' } })).json
        .access_token as string;
      const thread = await rest(url, 'POST', '/api/threads', { token, body: {} });
      const stream = await openRunStream(url, thread.json.id as string, {
        token,
        content: 'over sse',
        messageId: 'cli-sse',
      });
      assert.equal(stream.status, 200);
      assert.equal(await stream.finished, 'end');
      assert.deepEqual([stream.frames[0]!.type, stream.frames.at(-1)!.type], ['agent_started', 'agent_completed']);
      await assert.rejects(
        openWs(url, { delivery: 'header', token }),
        (err: unknown) => err instanceof UpgradeRefused && err.status === 404,
      );
      assert.equal((await rest(url, 'GET', '/health')).json.transport, 'sse');
    } finally {
      s.child.kill('SIGTERM');
      assert.equal((await exitWithin(s, 5000)).code, 0);
    }
  });

  test('--transport socketio serves runs over Socket.IO', async () => {
    const s = serve(
      ['--port', '0', '--test-login', '--agent', 'instant', '--transport', 'socketio', '--log-level', 'silent'],
      envWithout('SIM_JWT_SECRET'),
    );
    try {
      const m = LISTENING.exec(await s.firstLine);
      assert.ok(m, `first stdout line: ${JSON.stringify(s.stdout().split('\n')[0])}`);
      const url = m[1]!;
      const token = (await rest(url, 'POST', '/auth/test-login', { body: { user_id: 'u-io' } })).json
        .access_token as string;
      const thread = await rest(url, 'POST', '/api/threads', { token, body: {} });
      const sock = await openSocketIo(url, { delivery: 'auth', token });
      sock.emit('user_message', { thread_id: thread.json.id, content: 'over socket.io', message_id: 'cli-io' });
      assert.equal((await sock.waitFor((f) => f.type === 'agent_completed', 5000)).payload.user_id, 'u-io');
      await sock.close();
    } finally {
      s.child.kill('SIGTERM');
      assert.equal((await exitWithin(s, 5000)).code, 0);
    }
  });

  test('--noise and the leak-form faults are taken: notices flow, a welcome names another user, /auth/test-leaks counts it', async () => {
    const faults = 'handshake=1,case=0.1,double=0.1,binary=0.1,nonobject=0.1,reference=0.1,rest_error=0.1,late=0.1';
    const s = serve(
      ['--port', '0', '--test-login', '--agent', 'instant', '--noise', '--faults', faults, '--log-level', 'silent'],
      envWithout('SIM_JWT_SECRET'),
    );
    try {
      const m = LISTENING.exec(await s.firstLine);
      assert.ok(m, `first stdout line: ${JSON.stringify(s.stdout().split('\n')[0])}`);
      const url = m[1]!;
      const login = async (user: string): Promise<string> =>
        (await rest(url, 'POST', '/auth/test-login', { body: { user_id: user } })).json.access_token as string;
      const a = await openWs(url, { delivery: 'header', token: await login('u-noise-a') });
      const b = await openWs(url, { delivery: 'header', token: await login('u-noise-b') });
      assert.equal(a.userId, 'u-noise-a', 'nobody else connected yet');
      assert.equal(b.userId, 'u-noise-a', 'the handshake fault named the other user');
      const notice = await a.waitFor((f) => f.type === 'system_notice', 3000);
      assert.equal(notice.payload.user_id, undefined);
      assert.deepEqual((await rest(url, 'GET', '/auth/test-leaks')).json, { total: 1, byFault: { handshake: 1 } });
      await Promise.all([a.close(), b.close()]);
    } finally {
      s.child.kill('SIGTERM');
      assert.equal((await exitWithin(s, 5000)).code, 0);
    }
  });

  test('a bad --transport exits 3 naming the choices; socketio refuses a dialect it cannot apply', async () => {
    for (const [args, expected] of [
      [['--transport', 'grpc'], /--transport: expected one of ws, sse, socketio, got "grpc"/],
      [['--transport', 'socketio', '--dialect', 'flat'], /--dialect flat: .*only canonical applies/],
    ] as const) {
      const s = serve(['--port', '0', ...args], { ...process.env, SIM_JWT_SECRET: 'x'.repeat(32) });
      const { code } = await exitWithin(s, 10_000);
      assert.equal(code, 3, `exit code; stderr: ${s.stderr()}`);
      assert.match(s.stderr(), expected);
      assert.doesNotMatch(s.stderr(), STACK_LINE, 'no stack trace');
      assert.doesNotMatch(s.stdout(), /listening/, 'it never listened');
    }
  });
});
