import { loadConfig } from '@paperboy/config';
import { createLogger } from '@paperboy/logger';
import { createMetrics, metricsHandler } from '@paperboy/metrics';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { readinessChecks } from '@paperboy/runtime/health';
import { renameTable, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const TOKEN = 'admin-token-0123456789abcdef';
let app: Awaited<ReturnType<typeof buildApi>>;
const logLines: string[] = [];

beforeAll(async () => {
  t = await testEnv.start();
  // Requests come from 127.0.0.1 (inject): trusted as a TLS-terminating proxy for the Secure cookie below.
  const config = loadConfig({
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_ADMIN_TOKEN: TOKEN,
    PAPERBOY_TRUST_PROXY: '127.0.0.1',
  });
  const metrics = createMetrics({ queues: () => [queues.get('crawl')], defaultMetrics: false });
  await queues.add('crawl-page', { source: 'hf-papers', url: 'https://huggingface.co/papers' });
  app = await buildApi({
    db: t.db,
    config,
    logger: createLogger({ level: 'info', pretty: false, stream: { write: (line: string) => logLines.push(line) } }),
    redis,
    taxonomy: loadTaxonomy(),
    queues: [queues.get('crawl')],
    readiness: readinessChecks({ db: t.db, producerRedis: redis }),
    metrics: metricsHandler(metrics.registry),
  });
});
afterAll(async () => {
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

describe('API operations endpoints', () => {
  it('serves healthz, readyz and metrics with queue depths, without a log line per probe', async () => {
    const linesBefore = logLines.length;
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } });
    const metrics = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(metrics.body).toMatch(/paperboy_queue_jobs\{[^}]*queue="crawl"[^}]*state="waiting"[^}]*\} 1/);
    expect(logLines.slice(linesBefore)).toEqual([]);
    await app.inject({ url: '/api/sources' }); // other requests are still logged
    expect(logLines.slice(linesBefore).map((line) => JSON.parse(line).msg)).toEqual([
      'incoming request',
      'request completed',
    ]);
  });

  it('answers a server error without internals, and logs them', async () => {
    await renameTable(t.db, 'papers', 'papers_away');
    try {
      const res = await app.inject({ url: '/api/papers' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: 'internal error', requestId: expect.any(String) });
      expect(res.body).not.toMatch(/papers|relation/);
      const failed = logLines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request failed');
      expect(failed.map((line) => line.err?.message)).toEqual(['relation "papers" does not exist']);
    } finally {
      await renameTable(t.db, 'papers_away', 'papers');
    }
    // A client error keeps its message.
    const bad = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/JSON/);
  });

  it('keeps the queue board behind the admin token', async () => {
    expect((await app.inject({ url: '/admin/queues' })).statusCode).toBe(401);
    expect(
      (await app.inject({ url: '/admin/queues', headers: { authorization: 'Bearer wrong-token-0123456789' } }))
        .statusCode,
    ).toBe(401);
    const board = await app.inject({ url: '/admin/queues', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(board.statusCode).toBe(200);
    expect(board.body).toMatch(/<html/i);
    const api = await app.inject({ url: '/admin/queues/api/queues', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain('crawl');
    // In a browser: the token once in the URL, then a cookie.
    const first = await app.inject({ url: `/admin/queues?token=${TOKEN}` });
    expect(first.statusCode).toBe(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect((await app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode).toBe(200);
    expect(String(first.headers['set-cookie'])).not.toContain(TOKEN); // a value derived from it
    expect(String(first.headers['set-cookie'])).not.toMatch(/Secure/);
    expect(
      (await app.inject({ url: '/admin/queues/api/queues', headers: { cookie: `paperboy_admin=${TOKEN}` } }))
        .statusCode,
    ).toBe(401);
    const behindTls = await app.inject({
      url: `/admin/queues?token=${TOKEN}`,
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(String(behindTls.headers['set-cookie'])).toMatch(/; Secure$/);
    // The request log has the URL, not the token in it.
    expect(logLines.some((line) => line.includes('/admin/queues?token=[redacted]'))).toBe(true);
    expect(logLines.filter((line) => line.includes(TOKEN))).toEqual([]);
  });
});
