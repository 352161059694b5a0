import { loadConfig } from '@paperboy/config';
import { DashboardRepository } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { insertCrawlRow, seedReadApiPapers, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

// The read answers' cache through the real app, Postgres and Redis: a write shows after the TTL (at
// most twice it), not before; keys keep queries apart; ETags and the admin guard still apply.
const TTL_MS = 1500;
let t: TestDatabase;
const testEnv = testEnvironment();
const redis = createRedis(testEnv.redisUrl, 'producer');
let app: Awaited<ReturnType<typeof buildApi>>;
const ADMIN = 'read-cache-admin-token-0123456789';

beforeAll(async () => {
  t = await testEnv.start();
  await seedReadApiPapers(t.db);
  await new DashboardRepository(t.db).refresh();
  const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: testEnv.prefix, PAPERBOY_ADMIN_TOKEN: ADMIN });
  app = await buildApi({
    db: t.db,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    taxonomy: loadTaxonomy(),
    readCacheMs: TTL_MS,
  });
});
afterAll(async () => {
  await app?.close();
  redis.disconnect();
  await testEnv.stop();
});

const newest = async (query = '') =>
  (
    (await app.inject({ url: `/api/papers?sort=new&limit=3${query}` })).json() as {
      papers: Array<{ arxivId: string }>;
    }
  ).papers.map((p) => p.arxivId);

describe('read answers cache', () => {
  it('serves a list from memory for the TTL, then shows what was written meanwhile', async () => {
    const before = await newest();
    const startedAt = Date.now();
    await sql`INSERT INTO papers (arxiv_id, title, title_key, first_seen_at, last_seen_at)
              VALUES ('2612.00001', 'A brand new paper', 'a brand new paper', now(), now())`.execute(t.db);
    const cached = await newest();
    // Only meaningful while the TTL has not passed (a very slow machine): then it must already be fresh.
    if (Date.now() - startedAt < TTL_MS) expect(cached).toEqual(before);
    // Another query is another key: computed now, it sees the new paper.
    expect(await newest('&q=brand')).toEqual(['2612.00001']);
    await new Promise((r) => setTimeout(r, 2 * TTL_MS + 100));
    // Past twice the TTL an answer is never served: the new paper is there.
    expect(await newest()).toEqual(['2612.00001', ...before.slice(0, 2)]);
  });

  it('keeps ETags and 304s, CSV apart from JSON, and refusals uncached', async () => {
    const first = await app.inject({ url: '/api/topics' });
    const again = await app.inject({ url: '/api/topics', headers: { 'if-none-match': first.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    const csv = await app.inject({ url: '/api/topics', headers: { accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect((await app.inject({ url: '/api/topics' })).headers['content-type']).toContain('application/json');
    const unknown = await app.inject({ url: '/api/papers?source=nowhere' });
    expect(unknown.statusCode).toBe(400);
    await insertCrawlRow(t.db, {
      source: 'nowhere',
      url: 'https://example.org/nowhere',
      trigger: 'schedule',
      started_at: new Date(),
      finished_at: new Date(),
      outcome: 'quiet',
      entries: 0,
    });
    // Had the 400 been kept, this would still be one.
    expect((await app.inject({ url: '/api/papers?source=nowhere' })).statusCode).toBe(200);
  });

  it('still asks for the admin token before a cached dashboard page', async () => {
    const page = await app.inject({ url: '/dashboard', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const anonymous = await app.inject({ url: '/dashboard' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('<svg');
  });
});
