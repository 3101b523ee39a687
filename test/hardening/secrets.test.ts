// Secrets never reach the results: real runs through the CLI against a
// separately started `simulate serve` (a known, distinctive SIM_JWT_SECRET;
// faults that make violations, so violations.jsonl carries evidence), with
// tokens in URLs (`delivery: query`) and single-use tickets (`delivery:
// ticket`, as a segment so ownership.json is written too), and one embedded
// run. Every file of each results folder and the CLI's stdout and stderr are
// searched for the secret, any JWT, any ticket id, and the exact credentials
// a proxy in front of the target saw the run use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SignJWT } from 'jose';
import { cleanup, type ServeProcess, startServe, tempDir } from './cli.js';
import { type CliResult, envWithout, runCli } from '../helpers/cli.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';

const SECRET = `crosstalk-hardening-${randomBytes(12).toString('hex')}-must-never-leak`;
/** A basic-auth password given in the --target URL (http://user:password@host). */
const URL_PASSWORD = `urlpass${randomBytes(8).toString('hex')}`;
// Often enough that each of the three runs (sharing one target) meets some: the evidence is what is searched for secrets.
const FAULTS = 'misroute=0.08,auth_bypass=0.05';
const JWT_RE = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;
const TICKET_RE = /tkt_[A-Za-z0-9_-]{10,}/g;
const CAPTURE = new URL('./secret-capture.js', import.meta.url);

function scenarioYaml(name: string, delivery: 'query' | 'ticket' | 'header', embedded: boolean): string {
  return `name: secrets-${name}
description: Hardening scan for leaked secrets (${delivery} delivery${embedded ? ', embedded target' : ''}).
${embedded ? `target:\n  embedded: { agent: fast, seed: 3, faults: "${FAULTS}" }\n` : ''}auth:
  kind: jwt
  delivery: ${delivery}
  ttl: 1m
cohorts:
  chatters:
    users: 4
    duration: 3s
    gracefulStop: 3s
    flow:
      - connect
      - createThread: { title: "secret scan {{user}}" }
      - repeat:
          times: 4
          steps:
            - sendMessage: { content: "hello from {{user}}", timeout: 5s }
      - listThreads
      - disconnect
  lurkers:
    users: 2
    duration: 3s
    flow: [connect, { idle: 3s }]
probes: { crossUserRead: true, forgedTokens: { rate: 20/s } }
thresholds:
  isolation.violations: ["count == 0"]
`;
}

/** One run and what is known about its credentials. */
interface Run {
  readonly name: string;
  readonly out: string;
  readonly cli: CliResult;
  /** Credentials the proxy saw this run use (external target only). */
  readonly credentials: { readonly tokens: string[]; readonly tickets: string[] };
  /** Secrets that must not appear: the known one, and the embedded target's fresh one. */
  readonly secrets: string[];
}

interface Needle {
  readonly label: string;
  readonly find: (text: string) => Array<{ at: number; match: string }>;
}

const literal = (label: string, s: string): Needle => ({
  label,
  find: (text) => {
    const out: Array<{ at: number; match: string }> = [];
    for (let at = text.indexOf(s); at >= 0 && out.length < 20; at = text.indexOf(s, at + 1)) out.push({ at, match: s });
    return out;
  },
});
const pattern = (label: string, re: RegExp): Needle => ({
  label,
  find: (text) =>
    [...text.matchAll(new RegExp(re.source, 'g'))].slice(0, 20).map((m) => ({ at: m.index, match: m[0] })),
});

/** Every hit of every needle in `text`, as "where: label: …snippet…". */
function scan(where: string, text: string, needles: readonly Needle[]): string[] {
  const hits: string[] = [];
  for (const n of needles) {
    for (const h of n.find(text)) {
      const snippet = text.slice(Math.max(0, h.at - 60), h.at + h.match.length + 60).replace(/\s+/g, ' ');
      hits.push(
        `${where}: ${n.label} ${JSON.stringify(h.match.length > 80 ? `${h.match.slice(0, 80)}…` : h.match)} in …${snippet}…`,
      );
    }
  }
  return hits;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

function needlesFor(run: Run): Needle[] {
  return [
    ...run.secrets.map((s, i) => literal(i === 0 ? 'the JWT secret' : "the embedded target's secret", s)),
    pattern('a JWT', JWT_RE),
    pattern('a ticket id', TICKET_RE),
    ...[...run.credentials.tokens, ...run.credentials.tickets].map((c) => literal('a credential the run used', c)),
  ];
}

function credentialsSeen(proxy: RecordingProxy): Run['credentials'] {
  const text = proxy.credentials
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join('\n');
  return {
    tokens: [...new Set([...text.matchAll(JWT_RE)].map((m) => m[0]))],
    tickets: [...new Set([...text.matchAll(TICKET_RE)].map((m) => m[0]))],
  };
}

let dir: string;
let serve: ServeProcess;
const proxies: RecordingProxy[] = [];
const runs = new Map<string, Run>();

before(async () => {
  dir = tempDir();
  serve = await startServe(['--faults', FAULTS, '--agent', 'fast'], {
    ...envWithout('SIM_DEBUG'),
    SIM_JWT_SECRET: SECRET,
  });
  const [pq, pt] = await Promise.all([startRecordingProxy(serve.url), startRecordingProxy(serve.url)]);
  proxies.push(pq, pt);
  for (const [name, delivery, embedded] of [
    ['query', 'query', false],
    ['ticket', 'ticket', false],
    ['embedded', 'query', true],
    ['userinfo', 'header', false],
  ] as const) {
    writeFileSync(join(dir, `${name}.yaml`), scenarioYaml(name, delivery, embedded));
  }
  const external = { ...envWithout('SIM_DEBUG', 'NODE_OPTIONS'), SIM_JWT_SECRET: SECRET };
  const captured = join(dir, 'embedded-secret.txt');
  const embeddedEnv = {
    ...external,
    NODE_OPTIONS: `--import=${CAPTURE.href}`,
    CROSSTALK_HARDENING_SECRET_OUT: captured,
  };
  const out = (name: string): string => join(dir, `results-${name}`);
  const withUserinfo = serve.url.replace('http://', `http://hardening-user:${URL_PASSWORD}@`);
  const [q, t, e, u] = await Promise.all([
    runCli(['run', join(dir, 'query.yaml'), '--target', pq.url, '--out', out('query'), '--no-progress'], {
      env: external,
      timeoutMs: 90_000,
    }),
    runCli(
      [
        'run',
        join(dir, 'ticket.yaml'),
        '--target',
        pt.url,
        '--segment',
        '0/2',
        '--out',
        out('ticket'),
        '--no-progress',
      ],
      { env: external, timeoutMs: 90_000 },
    ),
    runCli(['run', join(dir, 'embedded.yaml'), '--out', out('embedded'), '--no-progress'], {
      env: embeddedEnv,
      timeoutMs: 90_000,
    }),
    runCli(['run', join(dir, 'userinfo.yaml'), '--target', withUserinfo, '--out', out('userinfo'), '--no-progress'], {
      env: external,
      timeoutMs: 90_000,
    }),
  ]);
  let embeddedSecrets: string[] = [];
  try {
    embeddedSecrets = readFileSync(captured, 'utf8').split('\n').filter(Boolean);
  } catch {
    /* checked below */
  }
  runs.set('query', { name: 'query', out: out('query'), cli: q, credentials: credentialsSeen(pq), secrets: [SECRET] });
  runs.set('ticket', {
    name: 'ticket',
    out: out('ticket'),
    cli: t,
    credentials: credentialsSeen(pt),
    secrets: [SECRET],
  });
  runs.set('embedded', {
    name: 'embedded',
    out: out('embedded'),
    cli: e,
    credentials: { tokens: [], tickets: [] },
    secrets: [SECRET, ...embeddedSecrets],
  });
  runs.set('userinfo', {
    name: 'userinfo',
    out: out('userinfo'),
    cli: u,
    credentials: { tokens: [], tickets: [] },
    secrets: [SECRET],
  });
});

after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await serve?.stop();
  cleanup();
});

describe('the scan would catch a leak', () => {
  test('a token minted (HS256) with the secret, and a ticket id shaped as the target issues them, are found', async () => {
    const token = await new SignJWT({ sub: 'u-hardening-0', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const ticket = `tkt_${randomBytes(16).toString('base64url')}`;
    assert.match(token, new RegExp(`^${JWT_RE.source}$`));
    assert.match(ticket, new RegExp(`^${TICKET_RE.source}$`));
    const text = `{"frame":"GET /ws?token=${token}&x=1","ticket":"${ticket}","s":"${SECRET}"}`;
    const hits = scan(
      'sample',
      text,
      needlesFor({
        name: 'sample',
        out: '',
        cli: { code: 0, signal: null, stdout: '', stderr: '', timedOut: false, elapsedMs: 0 },
        credentials: { tokens: [token], tickets: [ticket] },
        secrets: [SECRET],
      }),
    );
    for (const label of ['the JWT secret', 'a JWT', 'a ticket id', 'a credential the run used'])
      assert.ok(
        hits.some((h) => h.includes(`: ${label} `)),
        `no "${label}" hit in ${JSON.stringify(hits)}`,
      );
  });

  test('the proxies saw the runs use real tokens in URLs and tickets, all caught by the patterns', () => {
    const q = runs.get('query')!.credentials;
    const t = runs.get('ticket')!.credentials;
    assert.ok(q.tokens.length > 0, 'the query run sent no token the proxy saw');
    assert.ok(t.tickets.length > 0, 'the ticket run used no ticket the proxy saw');
    for (const tok of q.tokens) assert.match(tok, new RegExp(`^${JWT_RE.source}$`));
    for (const tk of t.tickets) assert.match(tk, new RegExp(`^${TICKET_RE.source}$`));
  });

  test("the embedded run's fresh secret was captured", () => {
    const e = runs.get('embedded')!;
    assert.ok(e.secrets.length >= 2, `the embedded target's secret was not captured (preload ${CAPTURE.href})`);
    assert.notEqual(e.secrets[1], SECRET, 'the embedded target must get a fresh secret, not SIM_JWT_SECRET');
  });
});

describe('no secret, token or ticket in results or output', () => {
  for (const name of ['query', 'ticket', 'embedded']) {
    test(`${name} run`, (t) => {
      const run = runs.get(name)!;
      const shown = `exit ${run.cli.code}\n--- stdout\n${run.cli.stdout.slice(-1500)}\n--- stderr\n${run.cli.stderr.slice(-1500)}`;
      assert.equal(run.cli.timedOut, false, `the run hung\n${shown}`);
      assert.equal(run.cli.code, 2, `expected exit 2 (the faults make isolation violations)\n${shown}`);
      const files = filesUnder(run.out);
      const names = files.map((f) => relative(run.out, f)).sort();
      for (const f of ['summary.json', 'report.html', 'junit.xml', 'violations.jsonl', 'run.log'])
        assert.ok(names.includes(f), `${f} missing: ${names.join(', ')}`);
      if (name === 'ticket')
        assert.ok(names.includes('ownership.json'), `a segmented run writes ownership.json: ${names.join(', ')}`);
      const violations = readFileSync(join(run.out, 'violations.jsonl'), 'utf8').split('\n').filter(Boolean);
      assert.ok(violations.length > 0, 'violations.jsonl is empty: the scan would prove nothing about evidence');
      assert.ok(
        violations.some((l) => /"frame":/.test(l)),
        'no violation carries a frame',
      );

      const needles = needlesFor(run);
      const hits = [
        ...files.flatMap((f) => scan(relative(dir, f), readFileSync(f, 'utf8'), needles)),
        ...scan(`${name} stdout`, run.cli.stdout, needles),
        ...scan(`${name} stderr`, run.cli.stderr, needles),
      ];
      const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
      t.diagnostic(
        `scanned ${files.length} files (${names.join(', ')}; ${bytes} bytes) + stdout/stderr for ${needles.length} needles; ${violations.length} violation lines; ${run.credentials.tokens.length} tokens and ${run.credentials.tickets.length} tickets seen on the wire`,
      );
      assert.equal(hits.length, 0, `${hits.length} leak(s):\n${hits.slice(0, 30).join('\n')}`);
    });
  }
});

describe('credentials in the target URL', () => {
  test('a password in --target http://user:password@host reaches no result file and no output', {}, (t) => {
    const run = runs.get('userinfo')!;
    const shown = `exit ${run.cli.code}\n--- stderr\n${run.cli.stderr.slice(-1500)}`;
    assert.equal(run.cli.timedOut, false, `the run hung\n${shown}`);
    assert.ok(run.cli.code === 0 || run.cli.code === 1 || run.cli.code === 2, `the run did not complete\n${shown}`);
    const files = filesUnder(run.out);
    const needles = [literal('the password of the target URL', URL_PASSWORD), ...needlesFor(run)];
    const hits = [
      ...files.flatMap((f) => scan(relative(dir, f), readFileSync(f, 'utf8'), needles)),
      ...scan('userinfo stdout', run.cli.stdout, needles),
      ...scan('userinfo stderr', run.cli.stderr, needles),
    ];
    t.diagnostic(`${files.length} files scanned; ${hits.length} hit(s)`);
    assert.equal(hits.length, 0, `${hits.length} leak(s):\n${hits.slice(0, 30).join('\n')}`);
  });
});
