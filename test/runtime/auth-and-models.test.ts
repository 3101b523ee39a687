// Token deliveries, login, and the open workload model, run for real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRecordingProxy, type RecordedUpgrade } from '../helpers/recording-proxy.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import { loadScenario } from '../../src/config/load-scenario.js';
import { runScenario } from '../../src/runtime/run-scenario.js';
import { counter, digest, removeTempDirs, runInProcess, trend, trendCount, writeScenario } from '../helpers/sim.js';

const DELIVERIES = ['subprotocol', 'header', 'query', 'ticket'] as const;

/** How one upgrade request carried its credential. */
function deliveryOf(u: RecordedUpgrade): string {
  const ways: string[] = [];
  const proto = u.headers['sec-websocket-protocol'];
  if (typeof proto === 'string' && /(^|,\s*)jwt\./.test(proto)) ways.push('subprotocol');
  if (typeof u.headers.authorization === 'string' && /^Bearer \S+$/.test(u.headers.authorization)) ways.push('header');
  const q = new URL(u.url, 'http://x').searchParams;
  if (q.has('token')) ways.push('query');
  if (q.has('ticket')) ways.push('ticket');
  return ways.join('+') || 'none';
}

describe('auth deliveries and login', { concurrency: 3 }, () => {
  let target: TestTarget;
  before(async () => {
    target = await startTestTarget({ agent: 'instant' });
  });
  after(async () => {
    await target.close();
    removeTempDirs();
  });

  for (const delivery of DELIVERIES) {
    test(`auth.delivery ${delivery}: users connect that way only, chat and call REST with no errors`, async () => {
      const yaml = [
        `name: delivery-${delivery}`,
        `auth: { kind: jwt, delivery: ${delivery} }`,
        'cohorts:',
        '  c:',
        '    users: 2',
        '    duration: 1s',
        '    connectionsPerUser: 2',
        '    flow: [connect, createThread, { sendMessage: { content: "via ' + delivery + '" } }, { idle: 20s }]',
        '',
      ].join('\n');
      // A recording pass-through in front of the target shows how each upgrade presented its credential.
      const proxy = await startRecordingProxy(target.url);
      let s;
      try {
        ({ summary: s } = await runInProcess(yaml, { targetUrl: proxy.url, env: { SIM_JWT_SECRET: target.secret } }));
      } finally {
        await proxy.close();
      }
      assert.equal(s.errors.count, 0, digest(s));
      assert.equal(s.exitCode, 0, digest(s));
      assert.equal(s.target.embedded, false);
      assert.equal(s.target.url, proxy.url);
      assert.equal(proxy.upgrades.length, 4, 'four upgrade requests');
      assert.deepEqual(
        proxy.upgrades.map(deliveryOf),
        [delivery, delivery, delivery, delivery],
        'every upgrade used the configured delivery and nothing else',
      );
      const tickets = proxy.requests.filter((r) => r === 'POST /api/websocket/ticket').length;
      assert.equal(tickets, delivery === 'ticket' ? 4 : 0, 'ticket requests');
      assert.equal(counter(s, 'ws.connections'), 4, digest(s));
      assert.equal(s.runs.completed, 2, digest(s));
      if (delivery === 'ticket') assert.equal(trend(s, 'http.ticket').count, 4, 'one ticket per connection');
      else assert.equal(trendCount(s, 'http.ticket'), 0, 'tickets only for ticket delivery');
    });
  }

  test('auth.kind login against the embedded target gets tokens from /auth/test-login', async () => {
    const yaml = [
      'name: login',
      'target: { embedded: { agent: instant } }',
      'auth:',
      '  kind: login',
      '  delivery: header',
      '  login: { url: /auth/test-login, body: { user_id: "{{user}}" } }',
      'cohorts:',
      '  c:',
      '    users: 2',
      '    duration: 1s',
      '    flow: [connect, createThread, { sendMessage: { content: "logged in" } }, listThreads, { idle: 20s }]',
      '',
    ].join('\n');
    const { summary: s } = await runInProcess(yaml);
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(s.target.embedded, true);
    const login = trend(s, 'http.login');
    assert.equal(login.count, 2, 'one login per user (the token is reused)');
    assert.equal(counter(s, 'ws.connections'), 2, digest(s));
    assert.equal(s.runs.completed, 2, digest(s));
    assert.equal(trend(s, 'http.list_threads').count, 2);
  });
});

describe('open model', { concurrency: 2 }, () => {
  after(() => removeTempDirs());

  test('rate 10/s for 2 s gives about 20 arrivals, none dropped', async () => {
    const yaml = [
      'name: open-rate-small',
      'target: { embedded: { agent: instant } }',
      'cohorts:',
      '  visitors:',
      '    model: open',
      '    rate: 10/s',
      '    duration: 2s',
      '    maxUsers: 50',
      '    flow: [connect, createThread, { sendMessage: { content: "hello {{user}}" } }, disconnect]',
      '',
    ].join('\n');
    const { summary: s } = await runInProcess(yaml);
    const iterations = counter(s, 'iterations');
    assert.ok(iterations >= 19 && iterations <= 21, `arrivals: ${digest(s)}`);
    assert.equal(counter(s, 'dropped'), 0, digest(s));
    assert.equal(s.errors.count, 0, digest(s));
    // The last arrival comes 100 ms before the stages end, which stop what is still running: on a busy machine it
    // may not have sent its message by then. Every run that started completed.
    assert.ok(
      s.runs.started <= iterations && s.runs.started >= iterations - 1,
      `each arrival runs the flow once: ${digest(s)}`,
    );
    assert.equal(s.runs.completed, s.runs.started);
    assert.equal(s.users.byCohort.visitors, iterations, 'one user per arrival');
    assert.ok(s.durationMs >= 1800 && s.durationMs < 10_000, `lasted about the cohort's 2 s (${s.durationMs} ms)`);
  });

  test('arrivals that find no free slot (maxUsers: 1, slow flow) are dropped, not queued', async () => {
    const yaml = [
      'name: open-dropped',
      'target: { embedded: { agent: instant } }',
      'cohorts:',
      '  visitors:',
      '    model: open',
      '    rate: 10/s',
      '    duration: 2s',
      '    maxUsers: 1',
      '    flow: [connect, { idle: 1s }]',
      '',
    ].join('\n');
    const { summary: s } = await runInProcess(yaml);
    const iterations = counter(s, 'iterations');
    const dropped = counter(s, 'dropped');
    assert.ok(dropped > 0, digest(s));
    assert.ok(iterations >= 1 && iterations <= 4, `at most one user at a time, each for ~1 s: ${digest(s)}`);
    const offered = iterations + dropped;
    assert.ok(offered >= 19 && offered <= 21, `every arrival either ran or was dropped: ${digest(s)}`);
    assert.ok(s.durationMs < 6000, `dropped arrivals were not queued (run took ${s.durationMs} ms)`);
  });
});

// Alone: it stalls this process's event loop on purpose, which would disturb any test running beside it.
describe('iteration.duration', () => {
  after(() => removeTempDirs());

  test("iteration.duration runs from the intended arrival to the flow's end, for every cohort; a cut iteration is not timed", async () => {
    const yaml = [
      'name: iteration-duration',
      'cohorts:',
      '  visitors:',
      '    model: open',
      '    rate: 10/s',
      '    duration: 2s',
      '    maxUsers: 50',
      '    flow: [connect, { idle: 300ms }, disconnect]',
      '  regulars:',
      '    users: 2',
      '    duration: 2s',
      '    flow: [connect, { idle: 250ms }, disconnect]',
      '  cut:',
      '    users: 1',
      '    duration: 1s',
      '    gracefulStop: 0s',
      '    flow: [connect, { idle: 30s }]',
      '',
    ].join('\n');
    // The generator stalls for 700 ms at its first progress tick, a second into the arrivals' 2 s: arrivals meant
    // for then start late, and their iteration.duration says so (iteration.start_delay shows the lateness alone).
    const target = await startTestTarget({ agent: 'instant' });
    const files = writeScenario(yaml);
    let stalled = false;
    const stall = (): void => {
      if (stalled) return;
      stalled = true;
      const end = performance.now() + 700;
      while (performance.now() < end) {
        /* busy: the generator cannot keep its schedule */
      }
    };
    const { summary: s } = await runScenario({
      scenario: loadScenario(files.file, { targetUrl: target.url }),
      out: files.out,
      env: { ...process.env, SIM_JWT_SECRET: target.secret },
      progress: { write: stall, tty: true },
    }).finally(() => target.close());
    assert.ok(stalled, 'the stall happened');
    const d = trend(s, 'iteration.duration');
    const visitors = d.byTag['cohort:visitors']!;
    const regulars = d.byTag['cohort:regulars']!;
    // Arrivals that start in the cohort's last 300 ms (the stall bunches them there) are stopped by the end of
    // its stages before their idle ends: not timed.
    const arrivals =
      s.metrics.iterations?.type === 'counter' ? (s.metrics.iterations.byTag['cohort:visitors'] ?? 0) : 0;
    assert.ok(
      visitors.count <= arrivals && visitors.count >= 5,
      `each arrival that ran its flow timed once: ${visitors.count} of ${arrivals}`,
    );
    assert.ok(visitors.min >= 300, `each visit lasted its 300 ms idle at least: ${visitors.min}`);
    assert.ok(
      visitors.max >= 300 + 500,
      `a late arrival's duration includes its lateness: max ${visitors.max} ms, start delay max ${trend(s, 'iteration.start_delay').max} ms`,
    );
    assert.ok(
      regulars.count >= 4 && regulars.min >= 250,
      `closed iterations are timed too: ${JSON.stringify(regulars)}`,
    );
    assert.equal(d.byTag['cohort:cut'], undefined, 'an iteration cut short by the end of its cohort is not timed');
  });
});
