#!/usr/bin/env node
// Starts a real LangGraph API server (@langchain/langgraph-api, in-memory
// storage) for crosstalk's interop tests, fully offline.
//
//   SIM_JWT_SECRET=... node start-server.mjs [--port N] [--host H]
//       [--workers N] [--drop-owner-filter] [--studio-auth] [--ignore-stdin]
//
// stdout carries exactly one line, `langgraph listening on http://HOST:PORT`,
// once the server answers requests; the server's own log goes to stderr
// (level LG_LOG_LEVEL, default warn). The process exits when stdin closes
// (so a parent that dies takes it along; --ignore-stdin turns that off) or
// on SIGTERM/SIGINT, and removes its state directory.
//
// Importing this file instead gives startLangGraph(), which runs the script
// as a child process: the server keeps its graphs and auth in module-global
// state, so one process serves exactly one configuration.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_DIR = dirname(fileURLToPath(import.meta.url));
const SCRIPT = fileURLToPath(import.meta.url);
const READY_LINE = /^langgraph listening on (http:\/\/\S+)$/;

/**
 * Spawns the server with the given options and resolves once it listens.
 * `dropOwnerFilter` starts the leaky variant (owner stamped, never checked);
 * `studioAuth` keeps the stock studio bypass (`x-auth-scheme: langsmith`).
 * `secret` defaults to SIM_JWT_SECRET; `port` 0 (the default) picks a free one.
 * Resolves to { url, port, pid, startupMs, stderrTail(), close() }.
 */
export async function startLangGraph(options = {}) {
  const {
    dropOwnerFilter = false,
    studioAuth = false,
    secret = process.env.SIM_JWT_SECRET,
    port = 0,
    host = '127.0.0.1',
    workers,
    env = {},
    timeoutMs = 60_000,
  } = options;
  if (!secret) throw new Error('startLangGraph needs a JWT secret: pass { secret } or set SIM_JWT_SECRET');
  const args = [SCRIPT, '--port', String(port), '--host', host];
  if (workers !== undefined) args.push('--workers', String(workers));
  if (dropOwnerFilter) args.push('--drop-owner-filter');
  if (studioAuth) args.push('--studio-auth');
  const startedAt = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env, SIM_JWT_SECRET: secret, LG_DROP_OWNER_FILTER: dropOwnerFilter ? '1' : '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    stderr = (stderr + text).slice(-16_384);
  });
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));

  const url = await new Promise((resolveUrl, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => fail(new Error(`langgraph server did not start within ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    exited.then(({ code, signal }) =>
      fail(new Error(`langgraph server exited before listening (code ${code}, signal ${signal})\n${stderr}`)),
    );
    function onData(text) {
      buffered += text;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        const match = READY_LINE.exec(line);
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.resume();
          resolveUrl(match[1]);
          return;
        }
      }
    }
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
  });

  let closing;
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    startupMs: Math.round(performance.now() - startedAt),
    stderrTail: () => stderr,
    /** Closes stdin (the server's shutdown signal), escalating to SIGTERM then SIGKILL. */
    close() {
      closing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.stdin.end();
        if (await settlesWithin(exited, 5_000)) return;
        child.kill('SIGTERM');
        if (await settlesWithin(exited, 2_000)) return;
        child.kill('SIGKILL');
        await exited;
      })();
      return closing;
    },
  };
}

function settlesWithin(promise, ms) {
  return new Promise((resolveSettled) => {
    const timer = setTimeout(() => resolveSettled(false), ms);
    promise.then(() => {
      clearTimeout(timer);
      resolveSettled(true);
    });
  });
}

function parseArgs(argv) {
  const options = {
    port: 0,
    host: '127.0.0.1',
    workers: 10,
    dropOwnerFilter: process.env.LG_DROP_OWNER_FILTER === '1',
    studioAuth: false,
    watchStdin: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next;
    };
    if (arg === '--port') options.port = integer(arg, value(), 0, 65535);
    else if (arg === '--host') options.host = value();
    else if (arg === '--workers') options.workers = integer(arg, value(), 1, 1000);
    else if (arg === '--drop-owner-filter') options.dropOwnerFilter = true;
    else if (arg === '--studio-auth') options.studioAuth = true;
    else if (arg === '--ignore-stdin') options.watchStdin = false;
    else usage(`unknown argument ${arg}`);
  }
  return options;
}

function integer(name, raw, min, max) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) usage(`${name} must be an integer in ${min}..${max}, got ${raw}`);
  return n;
}

function usage(problem) {
  process.stderr.write(
    `start-server: ${problem}\nusage: SIM_JWT_SECRET=... node start-server.mjs [--port N] [--host H] [--workers N] [--drop-owner-filter] [--studio-auth] [--ignore-stdin]\n`,
  );
  process.exit(2);
}

async function main() {
  const startedAt = performance.now();
  const options = parseArgs(process.argv.slice(2));
  if (!process.env.SIM_JWT_SECRET) usage("SIM_JWT_SECRET must be set (the HS256 secret of the users' JWTs)");

  // Offline and quiet: these are read when the server's modules load, so they
  // are set before the dynamic imports below.
  process.env.LG_DROP_OWNER_FILTER = options.dropOwnerFilter ? '1' : '0';
  process.env.LANGSMITH_TRACING = 'false';
  process.env.LANGSMITH_TRACING_V2 = 'false';
  process.env.LANGCHAIN_TRACING_V2 = 'false';
  process.env.LANGGRAPH_CLI_NO_ANALYTICS = '1';
  delete process.env.LANGSMITH_API_KEY;
  delete process.env.LANGCHAIN_API_KEY;
  process.env.LOG_LEVEL = process.env.LG_LOG_LEVEL || 'warn';
  process.env.LOG_JSON = 'true';

  // The in-memory server persists to <cwd>/.langgraph_api/: a private temp
  // directory, never the repository. Graph and auth paths are absolute.
  const stateDir = mkdtempSync(join(tmpdir(), 'crosstalk-langgraph-'));
  const config = JSON.parse(readFileSync(join(PACKAGE_DIR, 'langgraph.json'), 'utf8'));
  const absolute = (spec) => {
    const [file, symbol] = spec.split(':');
    return `${resolve(PACKAGE_DIR, file)}${symbol ? `:${symbol}` : ''}`;
  };

  let cleanup;
  let stopping;
  const stop = (code) => {
    stopping ??= (async () => {
      try {
        await Promise.race([cleanup?.(), new Promise((r) => setTimeout(r, 3_000))]);
      } catch (error) {
        process.stderr.write(`start-server: shutdown: ${error?.message ?? error}\n`);
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
        process.exit(code);
      }
    })();
    return stopping;
  };
  process.once('SIGTERM', () => stop(0));
  process.once('SIGINT', () => stop(0));
  if (options.watchStdin) {
    process.stdin.once('end', () => stop(0));
    process.stdin.once('close', () => stop(0));
    process.stdin.resume();
  }

  try {
    const packageJson = import.meta.resolve('@langchain/langgraph-api/package.json');
    // The server logs through winston to stdout; move every level to stderr
    // so stdout carries only the ready line. (Same module instance as the
    // server's: one file URL, one module.)
    const { logger } = await import(new URL('./dist/logging.mjs', packageJson).href);
    for (const transport of logger.transports) {
      transport.stderrLevels = Object.fromEntries(Object.keys(logger.levels).map((level) => [level, true]));
    }
    const { startServer, StartServerSchema } = await import('@langchain/langgraph-api/server');
    const serverOptions = StartServerSchema.parse({
      port: options.port,
      nWorkers: options.workers,
      host: options.host,
      cwd: stateDir,
      graphs: Object.fromEntries(Object.entries(config.graphs).map(([id, spec]) => [id, absolute(spec)])),
      // langgraph.json turns the studio bypass off; --studio-auth restores the stock default.
      auth: { ...config.auth, path: absolute(config.auth.path), disable_studio_auth: !options.studioAuth },
    });
    const started = await startServer(serverOptions);
    cleanup = started.cleanup;
    const port = Number(started.host.split(':').at(-1));
    const url = `http://${options.host}:${port}`;
    // Listening is not the same as answering: wait for one real response.
    const info = await fetch(`${url}/info`);
    if (!info.ok) throw new Error(`GET /info answered ${info.status}`);
    await info.arrayBuffer();
    process.stderr.write(
      `start-server: ready in ${Math.round(performance.now() - startedAt)} ms (state in ${stateDir}, owner filter ${options.dropOwnerFilter ? 'DROPPED' : 'on'}, studio bypass ${options.studioAuth ? 'ON' : 'off'})\n`,
    );
    process.stdout.write(`langgraph listening on ${url}\n`);
  } catch (error) {
    process.stderr.write(`start-server: could not start: ${error?.stack ?? error}\n`);
    await stop(1);
  }
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) await main();
