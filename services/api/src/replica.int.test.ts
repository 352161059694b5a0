import { loadConfig } from '@paperboy/config';
import { createDb, type Db, migrateToLatest } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { readinessChecks } from '@paperboy/runtime/health';
import {
  countRows,
  deleteRedisPrefix,
  isInRecovery,
  type PrivatePostgres,
  requireEnv,
  seedNumberedPapers,
  startPrivatePostgres,
  testQueuePrefix,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

// A real streaming replica: a private primary (wal_level=replica), a hot standby made from it by
// pg_basebackup -R, both on ports of their own (the shared server is untouched). The API writes to
// the primary and reads the read API and the dashboard from the standby (DATABASE_READ_URL).
const redisUrl = requireEnv('TEST_REDIS_URL');
const prefix = testQueuePrefix();
const redis = createRedis(redisUrl, 'producer');
const ADMIN = 'replica-test-admin-token-0123456789';
let primary: PrivatePostgres;
let standby: PrivatePostgres;
let db: Db;
let readDb: Db;
let app: Awaited<ReturnType<typeof buildApi>>;

/** Polls until `check` holds (replication is asynchronous), with a generous deadline. */
async function until(what: string, check: () => Promise<boolean>, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ids = Array.from({ length: 12 }, (_, i) => `2612.${30001 + i}`);

beforeAll(async () => {
  primary = await startPrivatePostgres({ replication: true });
  standby = await startPrivatePostgres({ standbyOf: primary });
  db = createDb(primary.url, { max: 4 });
  readDb = createDb(standby.url, { max: 4 });
  await migrateToLatest(db);
  await seedNumberedPapers(db, {
    count: 12,
    arxivPrefix: '2612.',
    arxivBase: 30000,
    title: 'Replicated paper ',
    titleKey: 'replicated paper ',
    step: 'minutes',
  });
  await until('the standby has the 12 papers', async () => {
    const n = await countRows(readDb, 'papers').catch(() => -1);
    return n === 12;
  });
  const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_ADMIN_TOKEN: ADMIN });
  app = await buildApi({
    db,
    readDb,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    taxonomy: loadTaxonomy(),
    readiness: readinessChecks({ db, readDb, producerRedis: redis }),
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await db?.destroy();
  await readDb?.destroy();
  standby?.destroy();
  primary?.destroy();
  redis.disconnect();
  await deleteRedisPrefix(redisUrl, prefix);
});

const listed = async () => {
  const res = await app.inject({ url: '/api/papers?sort=new&limit=200' });
  return {
    status: res.statusCode,
    ids:
      res.statusCode === 200
        ? (res.json() as { papers: Array<{ arxivId: string }> }).papers.map((p) => p.arxivId).sort()
        : [],
  };
};

describe('the API with DATABASE_READ_URL on a streaming replica', () => {
  it('reads from a hot standby (in recovery) and writes subscriptions to the primary', async () => {
    expect(await isInRecovery(readDb)).toBe(true);
    expect(await listed()).toEqual({ status: 200, ids });
    const res = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'reader@example.org', topics: ['llm'] },
    });
    expect(res.statusCode).toBe(202);
    // Stored on the primary (the standby refuses writes), then replicated.
    const stored = await db.selectFrom('subscribers').select('email').execute();
    expect(stored.map((s) => s.email)).toEqual(['reader@example.org']);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok', redis: 'ok', migrations: 'ok', replica: 'ok' },
    });
  });

  it('keeps serving the read API and the dashboard from the replica while the primary is down; writes fail and /readyz says which', async () => {
    primary.stopImmediate();
    expect(await listed()).toEqual({ status: 200, ids });
    const paper = await app.inject({ url: `/api/papers/${ids[0]}` });
    expect(paper.statusCode).toBe(200);
    expect(paper.json()).toMatchObject({ arxivId: ids[0], title: 'Replicated paper 1' });
    const dashboard = await app.inject({ url: '/dashboard', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('No stuck digests');
    // Subscribing must write: the primary is down, so it fails (5xx) instead of pretending.
    const subscribe = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'late@example.org' },
    });
    expect(subscribe.statusCode).toBeGreaterThanOrEqual(500);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    const body = ready.json() as { checks: Record<string, string> };
    expect(body.checks.replica).toBe('ok');
    expect(body.checks.postgres).not.toBe('ok');
  });
});
