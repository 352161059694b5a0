import { loadConfig } from '@paperboy/config';
import { DashboardRepository } from '@paperboy/db';
import { createMetrics, metricsHandler } from '@paperboy/metrics';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { readinessChecks } from '@paperboy/runtime/health';
import { seedNumberedPapers, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, registeredRoutes } from './app.js';

/**
 * Malformed requests to every route the app registers (its own and its plugins', found by
 * registeredRoutes, so a new route is covered without editing this file): random path parameters,
 * query strings, bodies, content types and headers, from a fixed seed. None may answer a 5xx.
 */

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const TOKEN = 'fuzz-admin-token-0123456789';
let app: Awaited<ReturnType<typeof buildApi>>;
const errors: string[] = [];

beforeAll(async () => {
  t = await testEnv.start();
  await seedNumberedPapers(t.db, {
    count: 5,
    arxivPrefix: '2611.',
    arxivBase: 50000,
    title: 'Paper ',
    titleKey: 'fz',
    step: 'hours',
    authors: true,
  });
  await new DashboardRepository(t.db).refresh();
  const metrics = createMetrics({ queues: () => [queues.get('crawl')], defaultMetrics: false });
  // Limits high enough that requests reach the handlers instead of a 429.
  const config = loadConfig({
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_SECRET: 'fuzz-secret-Vq7Lm2Xr9Tz4Kp8Wn3Jd',
    PAPERBOY_ADMIN_TOKEN: TOKEN,
    PAPERBOY_READ_PER_MINUTE: '1000000',
  });
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  app = await buildApi({
    db: t.db,
    config,
    logger,
    redis,
    taxonomy: loadTaxonomy(),
    queues: [queues.get('crawl')],
    readiness: readinessChecks({ db: t.db, producerRedis: redis }),
    metrics: metricsHandler(metrics.registry),
    perIpPerMinute: 1_000_000,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

/** Text an attacker might send: unicode, lone surrogates, NUL, percent escapes (valid or not), huge numbers. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '%',
    '%25',
    '%E0%A4%A',
    '%ED%A0%80',
    '%00',
    '\u0000',
    '\ud800',
    '-1',
    '1e309',
    '9'.repeat(40),
    'NaN',
    '[]',
    '{}',
    'null',
    "'; DROP TABLE papers; --",
    '../../etc/passwd',
    '2026-02-30',
    'x'.repeat(3000),
  ),
  fc.integer().map(String),
  fc.base64String({ maxLength: 60 }),
  // Cursors of the right shape with wrong values.
  fc
    .record({
      s: fc.constantFrom('new', 'trending', 'x'),
      k: fc.oneof(fc.double(), fc.string(), fc.constant(null)),
      id: fc.oneof(fc.double(), fc.integer(), fc.string()),
    })
    .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
);
/** Makes any text safe to put in a URL as is: light-my-request refuses invalid URLs before the app sees them. */
const inUrl = (text: string) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\ufffd'));
const rawEscapes = fc.constantFrom('%', '%25', '%E0%A4%A', '%ED%A0%80', '%00', '%C0%AF', '%FF');
const pathValue = fc.oneof(nasty.map(inUrl), rawEscapes);
const queryKey = fc.oneof(
  fc.constantFrom(
    'token',
    'cursor',
    'limit',
    'sort',
    'since',
    'q',
    'format',
    'topic',
    'source',
    'window',
    'email',
    'topics',
    'frequency',
    'page',
    'jobs',
  ),
  fc.string({ maxLength: 10 }),
);
const query = fc.oneof(
  fc.constant(''), // a route that takes no query answers any query with a 400 before reading its path
  fc
    .array(fc.tuple(queryKey, fc.oneof(nasty.map(inUrl), rawEscapes)), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => `${inUrl(k)}=${v}`).join('&')),
  rawEscapes,
  fc.constant('a=1&a=2&a=3&a[b]=c&__proto__=x&constructor[prototype]=y'),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'garbage',
  'text/csv',
  '',
);
const body = fc.oneof(
  fc.constant(undefined),
  nasty,
  fc.json({ maxDepth: 3 }),
  fc.constantFrom(
    '{',
    '{"email":',
    '{"email":null,"topics":"llm","sendHour":"x"}',
    '{"__proto__":{"x":1}}',
    'email=%&topics=%E0',
    'email=a%40b.org&topics[]=x&frequency[]=daily',
    '\u0000',
  ),
);
const headers = fc.record(
  {
    authorization: fc.constantFrom(`Bearer ${TOKEN}`, 'Bearer', 'Bearer wrong', 'Basic Og==', '\u00ff'),
    cookie: fc.oneof(
      fc.constantFrom('paperboy_admin=%', 'paperboy_admin=%E0%A4%A', '=;;=', 'paperboy_admin'),
      fc.string({ maxLength: 30 }).map((v) => `paperboy_admin=${v.replace(/[^\x20-\x7e]/g, '')}`),
    ),
    accept: fc.constantFrom('text/csv', '*/*', 'application/json', 'garbage/;;', ''),
    'if-none-match': fc.constantFrom('*', 'W/"x"', '"', ',,,', ''),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', ''),
    'x-forwarded-proto': fc.constantFrom('https', 'gopher', ''),
  },
  { requiredKeys: [] },
);

/** A concrete URL for a route: each :param and * filled with random (often malformed) text. */
function urlFor(route: string, values: string[]): string {
  let i = 0;
  return route.replace(/:[A-Za-z0-9_]+|\*/g, () => values[i++ % values.length] ?? 'x');
}

describe('malformed requests to every route', () => {
  it("finds the routes (the app registers its own and the plugins')", () => {
    const urls = new Set(registeredRoutes(app).map((r) => r.url));
    for (const url of [
      '/api/papers',
      '/api/papers/*',
      '/api/subscriptions',
      '/subscribe',
      '/preferences',
      '/feedback',
      '/api/preferences/learned',
      '/dashboard',
      '/metrics',
      '/admin/queues',
    ])
      expect(urls).toContain(url);
  });

  it('answers none of them with a 5xx', async () => {
    // The live stream, once open, never ends (inject would wait for ever): its malformed requests are
    // sent over a real connection in events.int.test.ts instead.
    const routes = registeredRoutes(app).filter((r) => r.method !== 'OPTIONS' && r.url !== '/api/events');
    expect(routes.length).toBeGreaterThan(20);
    const failures: string[] = [];
    const request = fc.record({
      values: fc.array(pathValue, { minLength: 1, maxLength: 3 }),
      query,
      contentType,
      body,
      headers,
    });
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(request, async ({ values, query: q, contentType: type, body: payload, headers: extra }) => {
          const url = `${urlFor(route.url, values)}${q ? `?${q}` : ''}`;
          const withBody = !['GET', 'HEAD', 'DELETE'].includes(route.method) && payload !== undefined;
          const res = await app.inject({
            method: route.method as 'GET',
            url,
            headers: { ...extra, ...(type !== undefined && withBody ? { 'content-type': type } : {}) },
            ...(withBody ? { payload } : {}),
          });
          if (res.statusCode >= 500)
            failures.push(
              `${route.method} ${url} ${JSON.stringify({ type, payload, extra })} -> ${res.statusCode} ${res.body.slice(0, 200)}`,
            );
          return true;
        }),
        { seed: 20261206, numRuns: 30 },
      );
    }
    expect(failures, `${failures.slice(0, 10).join('\n')}\nlogged: ${errors.slice(0, 5).join('\n')}`).toEqual([]);
  }, 240_000);
});
