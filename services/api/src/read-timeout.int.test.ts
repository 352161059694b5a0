import { Writable } from 'node:stream';
import { loadConfig } from '@paperboy/config';
import { createDb, type Db, isStatementTimeout } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { seedReadApiPapers, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';
import { readPoolOptions } from './read-pool.js';

// The read pool's statement_timeout (PAPERBOY_API_STATEMENT_TIMEOUT_MS): a read that runs out of
// time is a 503 with Retry-After, logged as a warning, and the pool answers again afterwards.
// The slow query is real: another session holds an exclusive lock on papers, so every read of
// papers waits until Postgres cancels it.
const TIMEOUT_MS = 300;

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
let readDb: Db;
let app: Awaited<ReturnType<typeof buildApi>>;
let cachedApp: Awaited<ReturnType<typeof buildApi>>;
const logLines: Array<{ level: number; msg: string; err?: unknown }> = [];

beforeAll(async () => {
  t = await testEnv.start();
  await seedReadApiPapers(t.db);
  // The options main.ts gives the read pool, with a short limit.
  readDb = createDb(t.url, { ...readPoolOptions({ apiStatementTimeoutMs: TIMEOUT_MS }, () => {}), max: 2 });
  const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix });
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const deps = { db: t.db, readDb, config, logger, redis, taxonomy: loadTaxonomy() };
  app = await buildApi({ ...deps, readCacheMs: 0 });
  cachedApp = await buildApi({ ...deps, readCacheMs: 2000 });
});
afterAll(async () => {
  await app?.close();
  await cachedApp?.close();
  await readDb?.destroy();
  redis.disconnect();
  await testEnv.stop();
});

/** Runs `body` while another session holds ACCESS EXCLUSIVE on papers (every read of it waits). */
function withLocked<T>(table: 'papers' | 'subscribers', body: () => Promise<T>): Promise<T> {
  // On the primary pool (no statement_timeout): the transaction ends when body has.
  return t.db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE ${sql.table(table)} IN ACCESS EXCLUSIVE MODE`.execute(trx);
    return body();
  });
}

describe('read statement timeout', () => {
  it('is set on the read pool only (with JIT off): the primary pool has no limit', async () => {
    const show = async (db: Db) =>
      (await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(db)).rows[0]!.statement_timeout;
    expect(await show(readDb)).toBe(`${TIMEOUT_MS}ms`);
    expect(await show(t.db)).toBe('0');
    // No JIT on the read pool (set per session, whatever the server's default).
    expect((await sql<{ jit: string }>`SHOW jit`.execute(readDb)).rows[0]!.jit).toBe('off');
    // A statement longer than the limit: cancelled on the read pool (57014), allowed on the primary.
    const error = await sql`SELECT pg_sleep(0.6)`.execute(readDb).catch((e: unknown) => e);
    expect(isStatementTimeout(error)).toBe(true);
    await expect(sql`SELECT pg_sleep(0.6)`.execute(t.db)).resolves.toBeDefined();
    expect(isStatementTimeout(new Error('other'))).toBe(false);
  });

  it('answers 503 with Retry-After and a JSON error when a read runs out of time, then answers again', async () => {
    logLines.length = 0;
    const started = Date.now();
    const [byId, list, search] = await withLocked('papers', () =>
      Promise.all([
        app.inject({ url: '/api/papers/2611.20001' }),
        app.inject({ url: '/api/papers?sort=new' }),
        cachedApp.inject({ url: '/api/papers?sort=new&q=zebra' }),
      ]),
    );
    // Not a hung request: cancelled after the limit (and not before), well within a client's patience.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(elapsed).toBeLessThan(5_000);
    for (const res of [byId, list, search]) {
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json() as { error: string; requestId: string };
      expect(body.error).toBe('the query took too long; try again later');
      expect(typeof body.requestId).toBe('string');
      // Nothing of Postgres's message reaches the client.
      expect(res.body).not.toMatch(/statement|cancel|papers/);
    }
    const warnings = logLines.filter((l) => l.msg === 'read query timed out');
    expect(warnings).toHaveLength(3);
    expect(warnings.every((l) => l.level === 40)).toBe(true); // warn, not error
    expect(logLines.some((l) => l.msg === 'request failed')).toBe(false);

    // The lock is gone: the same pool (both of its connections were cancelled mid-query) answers.
    const again = await Promise.all([
      app.inject({ url: '/api/papers/2611.20001' }),
      app.inject({ url: '/api/papers?sort=new' }),
      // The failed answer was not kept: the next request queries again.
      cachedApp.inject({ url: '/api/papers?sort=new&q=zebra' }),
    ]);
    expect(again.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    // The OpenAPI document says so of every read route.
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    };
    for (const path of ['/api/papers', '/api/papers/{arxivId}', '/api/topics', '/api/trending', '/api/sources'])
      expect(Object.keys(doc.paths[path]!.get!.responses), path).toContain('503');
    expect((again[0]!.json() as { arxivId: string }).arxivId).toBe('2611.20001');
    expect((again[2]!.json() as { papers: unknown[] }).papers).toEqual([]);
  });

  it('limits the feeds the same way: a feed whose query runs out of time is a 503, then answers again', async () => {
    const urls = ['/feeds/topics/llm.rss', '/feeds/search.atom?q=zebra'];
    const answers = await withLocked('papers', () => Promise.all(urls.map((url) => app.inject({ url }))));
    for (const [i, res] of answers.entries()) {
      expect(res.statusCode, urls[i]).toBe(503);
      expect(res.headers['retry-after'], urls[i]).toBe('5');
    }
    for (const url of urls) expect((await app.inject({ url })).statusCode, url).toBe(200);
  });

  it('leaves writes alone: subscribing waits out the same lock instead of failing', async () => {
    // Subscriptions write on the primary pool (no statement_timeout): a lock held longer than the
    // read limit delays them, never cancels them.
    let pending: Promise<{ statusCode: number }> | undefined;
    await withLocked('subscribers', async () => {
      pending = app.inject({
        method: 'POST',
        url: '/api/subscriptions',
        payload: { email: 'timeout@example.com', topics: ['llm'], frequency: 'daily' },
      });
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    });
    expect((await pending!).statusCode).toBe(202);
    const stored = await t.db.selectFrom('subscribers').select('email').execute();
    expect(stored.map((r) => r.email)).toContain('timeout@example.com');
  });
});
