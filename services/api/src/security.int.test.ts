import { createHash } from 'node:crypto';
import { loadConfig } from '@paperboy/config';
import { DashboardRepository } from '@paperboy/db';
import { createMetrics, metricsHandler } from '@paperboy/metrics';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import {
  createTestDatabase,
  deletePaperByArxivId,
  deleteRedisPrefix,
  insertPaperRows,
  requireEnv,
  seedNumberedPapers,
  type TestDatabase,
  testQueuePrefix,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiDeps, buildApi } from './app.js';

/** Probes of issue 9 ("abuse of the public pages") against the API, each as an attacker would send it. */

let t: TestDatabase;
const prefix = testQueuePrefix();
const redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const TOKEN = 'admin-token-0123456789abcdef';
const SECRET = 'security-test-secret-0123456789abcdef';
const apps: Array<Awaited<ReturnType<typeof buildApi>>> = [];
let n = 0;

/** An API over the test database with its own rate-limit keys (a prefix of its own), and these settings. */
async function api(env: Record<string, string> = {}, deps: Partial<ApiDeps> = {}) {
  const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: `${prefix}-${++n}`, PAPERBOY_SECRET: SECRET, ...env });
  const metrics = createMetrics({ queues: () => [queues.get('crawl')], defaultMetrics: false });
  const app = await buildApi({
    db: t.db,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    taxonomy: loadTaxonomy(),
    queues: [queues.get('crawl')],
    metrics: metricsHandler(metrics.registry),
    ...deps,
  });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedNumberedPapers(t.db, {
    count: 5,
    arxivPrefix: '2611.',
    arxivBase: 40000,
    title: 'Paper ',
    titleKey: 'sk',
    step: 'hours',
    authors: true,
  });
  await new DashboardRepository(t.db).refresh();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await queues.close();
  redis.disconnect();
  await t?.drop();
  for (let i = 1; i <= n; i++) await deleteRedisPrefix(requireEnv('TEST_REDIS_URL'), `${prefix}-${i}`);
});

const subscribe = (app: Awaited<ReturnType<typeof api>>, i: number, forwardedFor?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/subscriptions',
    payload: { email: `rotate${n}-${i}@example.org` },
    remoteAddress: '127.0.0.1',
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });

describe('client addresses', () => {
  it('by default, a rotated X-Forwarded-For does not lift the per-IP subscribe limit', async () => {
    const app = await api({}, { perIpPerMinute: 2 });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await subscribe(app, i, `198.51.100.${i + 1}`)).statusCode);
    expect(codes).toEqual([202, 202, 429, 429]);
  });

  it('with PAPERBOY_TRUST_PROXY=127.0.0.1, the header of that proxy names the client', async () => {
    const app = await api({ PAPERBOY_TRUST_PROXY: '127.0.0.1' }, { perIpPerMinute: 2 });
    const rotated = [];
    for (let i = 0; i < 4; i++) rotated.push((await subscribe(app, i, `198.51.100.${i + 1}`)).statusCode);
    expect(rotated).toEqual([202, 202, 202, 202]); // four clients behind the proxy
    const same = [];
    for (let i = 4; i < 7; i++) same.push((await subscribe(app, i, '203.0.113.7')).statusCode);
    expect(same).toEqual([202, 202, 429]); // one client behind the proxy
    // A request from elsewhere cannot claim an address: its header is ignored.
    const other = [];
    for (let i = 7; i < 10; i++)
      other.push(
        (
          await app.inject({
            method: 'POST',
            url: '/api/subscriptions',
            payload: { email: `o${i}@example.org` },
            remoteAddress: '192.0.2.50',
            headers: { 'x-forwarded-for': `198.51.100.${i}` },
          })
        ).statusCode,
      );
    expect(other).toEqual([202, 202, 429]);
  });

  it('the form and the JSON API share one subscribe budget per client, and the form answers a page', async () => {
    const app = await api({}, { perIpPerMinute: 3 });
    const form = (i: number) =>
      app.inject({
        method: 'POST',
        url: '/subscribe',
        remoteAddress: '192.0.2.9',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `email=form${n}-${i}%40example.org`,
      });
    const json = (i: number) =>
      app.inject({
        method: 'POST',
        url: '/api/subscriptions',
        remoteAddress: '192.0.2.9',
        payload: { email: `json${n}-${i}@example.org` },
      });
    expect([(await form(1)).statusCode, (await json(2)).statusCode, (await form(3)).statusCode]).toEqual([
      200, 202, 200,
    ]);
    expect((await json(4)).statusCode).toBe(429);
    const page = await form(5);
    expect(page.statusCode).toBe(429);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Too many requests');
    expect(page.headers['retry-after']).toBeDefined();
  });

  it('the read API limit counts per client too', async () => {
    const app = await api({ PAPERBOY_READ_PER_MINUTE: '3' });
    const codes = [];
    for (let i = 0; i < 5; i++)
      codes.push(
        (
          await app.inject({
            url: '/api/topics',
            remoteAddress: '192.0.2.1',
            headers: { 'x-forwarded-for': `198.51.100.${i}` },
          })
        ).statusCode,
      );
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    // Another client is not affected.
    expect((await app.inject({ url: '/api/topics', remoteAddress: '192.0.2.2' })).statusCode).toBe(200);
  });
});

describe('read API cost and rate', () => {
  it('answers 429 after PAPERBOY_READ_PER_MINUTE requests, on every read route, with Retry-After', async () => {
    const app = await api({ PAPERBOY_READ_PER_MINUTE: '4' });
    const urls = ['/api/papers', '/api/papers/2611.40001', '/api/trending', '/api/sources'];
    const codes = [];
    for (const url of urls) codes.push((await app.inject({ url, remoteAddress: '192.0.2.9' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200]);
    const limited = await app.inject({ url: '/api/papers?format=csv', remoteAddress: '192.0.2.9' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.inject({ url: '/api/topics', remoteAddress: '192.0.2.9' })).statusCode).toBe(429);
    // Health probes are not read API requests.
    expect((await app.inject({ url: '/healthz', remoteAddress: '192.0.2.9' })).statusCode).toBe(200);
  });

  it('ranks trending papers from the precomputed rows: a paper newer than the last refresh waits for the next one', async () => {
    // Written and read back at once: answers uncached (the cache's own tests: read-cache.int.test.ts).
    const app = await api({}, { readCacheMs: 0 });
    await insertPaperRows(t.db, [
      {
        arxiv_id: '2611.49999',
        title: 'Late paper',
        title_key: 'late',
        upvotes: 100000,
        first_seen_at: new Date(),
        last_seen_at: new Date(),
      },
    ]);
    const ids = async (url: string) =>
      ((await app.inject({ url })).json() as { papers: Array<{ arxivId: string }> }).papers.map((p) => p.arxivId);
    expect(await ids('/api/papers?limit=3')).not.toContain('2611.49999');
    expect(await ids('/api/papers?sort=new&limit=3')).toContain('2611.49999'); // the newest list reads papers
    await new DashboardRepository(t.db).refresh();
    expect((await ids('/api/papers?limit=3'))[0]).toBe('2611.49999');
    expect((await ids('/api/trending?limit=3'))[0]).toBe('2611.49999');
    await deletePaperByArxivId(t.db, '2611.49999');
    await new DashboardRepository(t.db).refresh();
  });
});

describe('CSV exports', () => {
  it('neutralizes a scraped title that a spreadsheet would run as a formula', async () => {
    const app = await api();
    await insertPaperRows(t.db, [
      {
        arxiv_id: '2611.48888',
        title: '=HYPERLINK("http://evil.example","x")',
        title_key: 'evil',
        authors: ['@SUM(1+1)', '-2+3'],
        upvotes: 1,
        first_seen_at: new Date(Date.now() + 60_000),
        last_seen_at: new Date(),
      },
    ]);
    const csv = await app.inject({ url: '/api/papers?sort=new&limit=1&format=csv' });
    const row = csv.body.split('\r\n')[1]!;
    expect(row).toMatch(/^"2611\.48888","'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)","'@SUM\(1\+1\);-2\+3",/);
    await deletePaperByArxivId(t.db, '2611.48888');
  });
});

describe('malformed requests are 400s', () => {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    ['a hand-made trending cursor', `/api/papers?cursor=${cursor({ s: 'trending', k: 'abc', id: 1 })}`],
    ['a hand-made newest cursor', `/api/papers?sort=new&cursor=${cursor({ s: 'new', k: 'yesterday', id: 1 })}`],
    ['a cursor with a number for a time', `/api/papers?sort=new&cursor=${cursor({ s: 'new', k: 12, id: 1 })}`],
    ['a cursor with a huge id', `/api/papers?cursor=${cursor({ s: 'trending', k: 1, id: 1e300 })}`],
    ['a cursor with a fractional id', `/api/papers?cursor=${cursor({ s: 'trending', k: 1, id: 1.5 })}`],
    [
      'a newest cursor in year 0 (a JavaScript date, not a Postgres one)',
      `/api/papers?sort=new&cursor=${cursor({ s: 'new', k: '0000-01-01T00:00:00.000000Z', id: 1 })}`,
    ],
    ['a bad escape in a paper id', '/api/papers/%25'],
    ['a lone surrogate in a paper id', '/api/papers/%ED%A0%80'],
    ['a NUL in a search', '/api/papers?q=a%00b'],
    ['a NUL in a source', '/api/papers?source=a%00b'],
    ['a NUL in a source with another bad parameter', '/api/papers?source=a%00b&limit=0'],
  ])('%s', async (_name, url) => {
    const app = await api();
    const res = await app.inject({ url });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toEqual(expect.any(String));
  });

  it.each([
    ['a NUL', 'z\u0000@probe.test', 'z%00@probe.test'],
    // A form cannot carry a lone surrogate (UTF-8 cannot encode one): U+FFFD is what broken bytes become.
    ['a lone surrogate', '\ud800@probe.test', '%EF%BF%BD@probe.test'],
    ['a bidi override', 'ad\u202ea@probe.test', 'ad%E2%80%AEa@probe.test'],
  ])('an address with %s is a 400 naming email, on the API and the form', async (_name, email, formEmail) => {
    const app = await api({}, { perIpPerMinute: 1000 });
    const json = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email } });
    expect(json.statusCode, json.body).toBe(400);
    expect(json.body).toContain('email');
    const form = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${formEmail}`,
    });
    expect(form.statusCode, form.body).toBe(400);
    expect(await t.db.selectFrom('subscribers').select('id').where('email', 'like', '%@probe.test').execute()).toEqual(
      [],
    );
  });

  it('a malformed admin cookie is no cookie (401), never a 500', async () => {
    const app = await api({ PAPERBOY_ADMIN_TOKEN: TOKEN });
    for (const cookie of ['paperboy_admin=%E0%A4%A', 'paperboy_admin=%', 'paperboy_admin', '=;;=%%']) {
      const res = await app.inject({ url: '/admin/queues', headers: { cookie } });
      expect(res.statusCode, cookie).toBe(401);
    }
  });
});

describe('operations pages behind the admin token', () => {
  it('/metrics and /dashboard need the admin token (Bearer, or the board cookie in a browser)', async () => {
    const app = await api({ PAPERBOY_ADMIN_TOKEN: TOKEN });
    for (const url of ['/metrics', '/dashboard']) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
      expect(
        (await app.inject({ url, headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode,
        url,
      ).toBe(401);
      const ok = await app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.statusCode, url).toBe(200);
    }
    expect((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).body).toMatch(
      /paperboy_queue_jobs/,
    );
    // In a browser: the token once in the URL, then the cookie serves the dashboard and the board.
    const first = await app.inject({ url: `/dashboard?token=${TOKEN}` });
    expect(first.statusCode).toBe(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect((await app.inject({ url: '/dashboard', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode).toBe(200);
  });

  it('without an admin token they are refused, saying what to set', async () => {
    const app = await api();
    for (const url of ['/metrics', '/dashboard']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.body).toMatch(/PAPERBOY_ADMIN_TOKEN/);
    }
  });

  it('PAPERBOY_PUBLIC_DASHBOARD=1 makes the dashboard page public, not /metrics', async () => {
    const app = await api({ PAPERBOY_PUBLIC_DASHBOARD: '1', PAPERBOY_ADMIN_TOKEN: TOKEN });
    expect((await app.inject({ url: '/dashboard' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
  });
});

describe('security headers', () => {
  const styleHashes = (html: string) =>
    [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
      (m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`,
    );

  it('every HTML page carries a CSP without unsafe-inline that allows each of its inline styles, and the other headers', async () => {
    const app = await api({ PAPERBOY_PUBLIC_DASHBOARD: '1' });
    for (const url of [
      '/subscribe',
      '/dashboard',
      '/confirm?token=x',
      '/unsubscribe?token=x',
      '/preferences?token=x',
      '/feedback?token=x',
    ]) {
      const res = await app.inject({ url });
      expect(res.headers['content-type'], url).toMatch(/text\/html/);
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toMatch(/default-src 'none'/);
      expect(csp, url).toMatch(/form-action 'self'/);
      expect(csp, url).toMatch(/frame-ancestors 'none'/);
      expect(csp, url).not.toMatch(/unsafe-inline|unsafe-eval/);
      const styleSrc = /style-src ([^;]*)/.exec(csp)?.[1] ?? '';
      for (const hash of styleHashes(res.body)) expect(styleSrc, url).toContain(hash);
      // Nothing inline that a hash does not cover: a script only as a file from here (the dashboard's).
      expect(res.body, url).not.toMatch(/<script(?![^>]*\ssrc="\/)|\sstyle="|\son\w+=/i);
      // Only the dashboard runs a script (its live updates), from here only; the other pages none.
      expect(/script-src ([^;]*)/.exec(csp)?.[1], url).toBe(url === '/dashboard' ? "'self'" : undefined);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
    }
  });

  it('Strict-Transport-Security only when the public address is https', async () => {
    const plain = await api({ PAPERBOY_PUBLIC_URL: 'http://localhost:3000' });
    expect((await plain.inject({ url: '/subscribe' })).headers['strict-transport-security']).toBeUndefined();
    const tls = await api({ PAPERBOY_PUBLIC_URL: 'https://papers.example.org' });
    expect((await tls.inject({ url: '/subscribe' })).headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });
});
