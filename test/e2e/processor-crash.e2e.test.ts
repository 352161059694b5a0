import { createRedis, Queues } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, overlappingIngestJobs, spawnService, until } from './helpers.js';

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });

const JOBS = 120;
const PER_JOB = 50;
const STEP = 30; // windows overlap: most papers appear in two jobs
const uniquePapers = (JOBS - 1) * STEP + PER_JOB;

beforeAll(async () => {
  t = await testEnv.start();
  await queues.addBulk(
    'ingest-entries',
    overlappingIngestJobs('crash-test', { jobs: JOBS, perJob: PER_JOB, step: STEP }),
  );
});

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

const env = () => ({
  ...testEnv.processEnv(),
  PAPERBOY_PROCESSOR_CONCURRENCY: '2',
  PAPERBOY_JOB_LOCK_MS: '2000',
  PAPERBOY_SHUTDOWN_TIMEOUT_MS: '5000',
  LOG_LEVEL: 'info',
});

const sightings = async () =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM sightings`.execute(t.db)).rows[0]!.n;

describe('a processor killed mid-batch', () => {
  it('loses nothing and duplicates nothing once another processor takes over', async () => {
    const first = spawnService('services/processor/src/main.ts', env());
    await until(async () => (await sightings()) > 0, 30_000, 'the first processor to store something');
    first.kill('SIGKILL');
    expect((await exited(first)).signal).toBe('SIGKILL');
    const atKill = await sightings();
    expect(atKill).toBeLessThan(JOBS * PER_JOB);

    const second = spawnService('services/processor/src/main.ts', env());
    try {
      await until(async () => (await sightings()) === JOBS * PER_JOB, 90_000, 'every entry to be stored');
      const counts = await queues.get('ingest').getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      await until(
        async () => (await queues.get('ingest').getJobCounts('completed')).completed === JOBS,
        10_000,
        'all jobs completed',
      );
      expect(counts.failed).toBe(0);
    } finally {
      second.kill('SIGTERM');
      const { code } = await exited(second);
      expect(code).toBe(0);
      expect(second.output()).toMatch(/stopped/);
    }
    const papers = await sql<{
      n: number;
      ids: number;
    }>`SELECT count(*)::int AS n, count(DISTINCT arxiv_id)::int AS ids FROM papers`.execute(t.db);
    expect(papers.rows[0]).toEqual({ n: uniquePapers, ids: uniquePapers });
    const dupes = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (SELECT paper_id, listing FROM sightings GROUP BY 1, 2 HAVING count(*) > 1) d`.execute(
      t.db,
    );
    expect(dupes.rows[0]!.n).toBe(0);
    // The paper keeps the counts of its latest sighting.
    const last = await sql<{ upvotes: number }>`SELECT upvotes FROM papers WHERE arxiv_id = '2608.10030'`.execute(t.db);
    expect(last.rows[0]!.upvotes).toBe(1);
  }, 150_000);
});

describe('SIGTERM', () => {
  it('closes workers before the database and Redis, within the deadline', async () => {
    const child = spawnService('services/processor/src/main.ts', env());
    await until(async () => child.output().includes('processor started'), 30_000, 'the processor to start');
    child.kill('SIGTERM');
    const { code } = await exited(child);
    expect(code).toBe(0);
    const log = child.output();
    // Within the deadline, said by the process itself rather than a wall-clock bound: no worker
    // had to be forced (the deadline is the Lifecycle unit test's subject).
    expect(log).not.toMatch(/did not finish its jobs before the deadline/);
    expect(log.indexOf('shutting down')).toBeGreaterThan(-1);
    expect(log.indexOf('stopped')).toBeGreaterThan(log.indexOf('shutting down'));
  }, 60_000);
});
