import { createDb, type Db, migrateToLatest } from '@paperboy/db';
import { createRedis, Queues } from '@paperboy/queue';
import {
  createTestDatabase,
  deleteRedisPrefix,
  freePort,
  type PrivatePostgres,
  type PrivateRedis,
  requireEnv,
  startPrivatePostgres,
  startPrivateRedis,
  type TestDatabase,
  testQueuePrefix,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, overlappingIngestJobs, spawnService, until } from './helpers.js';

// Outages injected for real: a private Postgres cluster stopped with `pg_ctl stop -m immediate`,
// a private Redis (AOF) SIGKILLed, both restarted, under a processor storing batches.
const JOBS = 60;
const PER_JOB = 50;
const STEP = 30; // windows overlap: most papers appear in two jobs
const uniquePapers = (JOBS - 1) * STEP + PER_JOB;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function enqueue(queues: Queues): Promise<void> {
  await queues.addBulk('ingest-entries', overlappingIngestJobs('outage', { jobs: JOBS, perJob: PER_JOB, step: STEP }));
}

const count = async (db: Db, table: 'sightings' | 'papers') =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db)).rows[0]!.n;

/** Every expected paper stored once, every sighting once. */
async function expectExact(db: Db): Promise<void> {
  const { rows } = await sql<{ papers: number; distinct: number }>`
    SELECT count(*)::int AS papers, count(DISTINCT arxiv_id)::int AS distinct FROM papers`.execute(db);
  expect(rows[0]).toEqual({ papers: uniquePapers, distinct: uniquePapers });
  expect(await count(db, 'sightings')).toBe(JOBS * PER_JOB);
}

const processorEnv = (databaseUrl: string, redisUrl: string, prefix: string, healthPort: number) => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  PAPERBOY_QUEUE_PREFIX: prefix,
  PAPERBOY_ENRICH: 'none',
  PAPERBOY_PROCESSOR_CONCURRENCY: '2',
  PAPERBOY_JOB_LOCK_MS: '5000',
  PAPERBOY_SHUTDOWN_TIMEOUT_MS: '5000',
  PAPERBOY_HEALTH_PORT: String(healthPort),
  PAPERBOY_SCHEDULES: '0',
  LOG_LEVEL: 'info',
});

async function readyz(port: number): Promise<{ status: number; body: { checks?: Record<string, string> } }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks?: Record<string, string> } };
  } catch {
    return { status: 0, body: {} };
  }
}

describe('a Postgres restart under a working processor', () => {
  let pg: PrivatePostgres | undefined;
  let db: Db | undefined;
  const redisUrl = requireEnv('TEST_REDIS_URL');
  const prefix = testQueuePrefix();
  const redis = createRedis(redisUrl, 'producer');
  const queues = new Queues(redis, { prefix, fetchAttempts: 1 });

  afterAll(async () => {
    await queues.close();
    redis.disconnect();
    await db?.destroy().catch(() => {});
    pg?.destroy();
    await deleteRedisPrefix(redisUrl, prefix);
  });

  it('keeps the process alive, says so on /readyz, and stores every paper exactly once', async () => {
    pg = await startPrivatePostgres();
    db = createDb(pg.url);
    await migrateToLatest(db);
    await enqueue(queues);
    const healthPort = await freePort();
    const processor = spawnService(
      'services/processor/src/main.ts',
      processorEnv(pg.url, redisUrl, prefix, healthPort),
    );
    try {
      await until(async () => (await count(db!, 'sightings')) > 0, 30_000, 'the processor to store something');
      pg.stopImmediate();
      // The outage, seen from the process: /readyz answers 503 naming Postgres.
      let seen: { status: number; body: { checks?: Record<string, string> } } = { status: 0, body: {} };
      await until(
        async () => {
          // On the old code the processor died here ("Connection terminated unexpectedly").
          if (processor.exitCode !== null)
            throw new Error(`the processor died in the outage:\n${processor.output().slice(-2000)}`);
          seen = await readyz(healthPort);
          return seen.status === 503;
        },
        20_000,
        '/readyz to report the outage',
      );
      expect(seen.body.checks?.postgres).not.toBe('ok');
      expect(seen.body.checks?.redis).toBe('ok');
      await sleep(12_000);
      expect(processor.exitCode, processor.output()).toBeNull();
      pg.start();
      await until(
        async () => (await count(db!, 'sightings').catch(() => -1)) === JOBS * PER_JOB,
        60_000,
        'every entry to be stored',
      );
      await until(
        async () => (await queues.get('ingest').getJobCounts('completed')).completed === JOBS,
        20_000,
        'every job completed',
      );
      await expectExact(db);
      expect((await queues.get('ingest').getJobCounts('failed')).failed).toBe(0);
      await until(async () => (await readyz(healthPort)).status === 200, 20_000, '/readyz to recover');
      expect(processor.exitCode, processor.output()).toBeNull();
    } finally {
      processor.kill('SIGTERM');
      await exited(processor);
    }
  }, 150_000);
});

describe('a Redis restart (from its AOF) under a working processor', () => {
  let t: TestDatabase | undefined;
  let r: PrivateRedis | undefined;
  const prefix = testQueuePrefix();

  afterAll(async () => {
    await t?.drop();
    await r?.close();
  });

  it('keeps the process alive; it reconnects and finishes every job exactly once', async () => {
    t = await createTestDatabase();
    r = await startPrivateRedis({ aof: true });
    const redis = createRedis(r.url, 'producer');
    const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
    await enqueue(queues);
    const healthPort = await freePort();
    const processor = spawnService('services/processor/src/main.ts', processorEnv(t.url, r.url, prefix, healthPort));
    try {
      await until(async () => (await count(t!.db, 'sightings')) > 0, 30_000, 'the processor to store something');
      await r.kill();
      await until(
        async () => (await readyz(healthPort)).body.checks?.redis !== 'ok',
        20_000,
        '/readyz to report Redis down',
      );
      await sleep(5_000);
      expect(processor.exitCode, processor.output()).toBeNull();
      await r.start();
      await until(async () => (await count(t!.db, 'sightings')) === JOBS * PER_JOB, 60_000, 'every entry to be stored');
      await until(
        async () => (await queues.get('ingest').getJobCounts('completed')).completed === JOBS,
        30_000,
        'every job completed',
      );
      await expectExact(t.db);
      expect((await queues.get('ingest').getJobCounts('failed')).failed).toBe(0);
      expect(processor.exitCode, processor.output()).toBeNull();
    } finally {
      processor.kill('SIGTERM');
      await exited(processor);
      await queues.close();
      redis.disconnect();
    }
  }, 150_000);
});
