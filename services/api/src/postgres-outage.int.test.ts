import { loadConfig } from '@paperboy/config';
import { createDb, type Db, migrateToLatest, SubscriberRepository } from '@paperboy/db';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import {
  deleteRedisPrefix,
  type PrivatePostgres,
  seedReadApiPapers,
  startPrivatePostgres,
  testEnvironment,
} from '@paperboy/test-utils';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

/**
 * The API while Postgres is down (a server of this test's own, stopped at once as in a crash): the
 * read API and the feeds answer 503 with Retry-After, so clients and feed readers back off instead
 * of counting a failure; a person's page (a feedback link) answers a page, not JSON; everything
 * answers again once Postgres is back.
 */
let pg: PrivatePostgres;
let db: Db;
let app: FastifyInstance;
const testEnv = testEnvironment();
const redis = createRedis(testEnv.redisUrl, 'producer');
const SECRET = 'pg-outage-test-secret-Rt5Wc2Xn8Lk4Pq';
let subscriberId: number;
let paperId: number;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  db = createDb(pg.url, { max: 4 });
  await migrateToLatest(db);
  await seedReadApiPapers(db);
  paperId = Number((await db.selectFrom('papers').select('id').orderBy('id').executeTakeFirstOrThrow()).id);
  subscriberId = (
    await new SubscriberRepository(db).subscribe('pg-outage@example.org', { topics: [], frequency: 'daily' }, 'active')
  ).id;
  app = await buildApi({
    db,
    config: loadConfig({
      PAPERBOY_QUEUE_PREFIX: testEnv.prefix,
      PAPERBOY_KEY_PREFIX: testEnv.prefix,
      PAPERBOY_SECRET: SECRET,
      PAPERBOY_PUBLIC_URL: 'https://papers.example.org',
    }),
    logger: pino({ level: 'silent' }),
    redis,
    taxonomy: loadTaxonomy(),
    readCacheMs: 0,
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  redis.disconnect();
  await deleteRedisPrefix(testEnv.redisUrl, testEnv.prefix);
  await db?.destroy();
  pg?.destroy();
});

describe('with Postgres down', () => {
  it('reads and feeds answer 503 with Retry-After, a feedback link a page; all answer again once it is back', async () => {
    const feedback = `/feedback?token=${signToken(SECRET, 'feedback', subscriberId, null, 1, { paperId, signal: 1 })}`;
    const urls = ['/api/papers?limit=3', '/feeds/topics/generative.rss', '/feeds/search.json?q=diffusion'];
    for (const url of urls) expect((await app.inject({ url })).statusCode, url).toBe(200);

    pg.stopImmediate();
    for (const url of urls) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['retry-after'], url).toBe('30');
      expect(res.json(), url).toMatchObject({ error: 'the database is unreachable; try again later' });
    }
    const page = await app.inject({ url: feedback });
    expect(page.statusCode).toBe(503);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<h1>Something went wrong</h1>');
    expect(page.body).not.toContain('ECONNREFUSED');

    pg.start();
    const deadline = Date.now() + 30_000;
    let status = (await app.inject({ url: urls[0]! })).statusCode;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await app.inject({ url: urls[0]! })).statusCode;
    }
    expect(status).toBe(200);
    expect((await app.inject({ url: feedback })).body).toContain('Noted: you want more papers like');
  }, 90_000);
});
