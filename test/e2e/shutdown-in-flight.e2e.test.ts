import { createRedis, Queues } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, overlappingIngestJobs, spawnService, until } from './helpers.js';

// SIGTERM while a processor has batches in hand (processor-crash.e2e covers SIGKILL, and SIGTERM
// of an idle process): the batches it holds are finished and recorded before it exits, nothing
// is half-stored, and a second processor finishes the rest with nothing lost or duplicated.

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });

const JOBS = 80;
const PER_JOB = 100; // big batches: each takes a while, so the signal lands while some are active
const STEP = 60;
const uniquePapers = (JOBS - 1) * STEP + PER_JOB;

beforeAll(async () => {
  t = await testEnv.start();
  await queues.addBulk(
    'ingest-entries',
    overlappingIngestJobs('sigterm-test', {
      jobs: JOBS,
      perJob: PER_JOB,
      step: STEP,
      firstId: 20000,
      title: 'sparse attention for long-context language modeling',
      abstract: 'We study attention over long inputs. '.repeat(30),
    }),
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
  PAPERBOY_SHUTDOWN_TIMEOUT_MS: '60000', // generous: this test is about a graceful stop, not the deadline
  PAPERBOY_SCHEDULES: '0',
  LOG_LEVEL: 'info',
});

const sightings = async () =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM sightings`.execute(t.db)).rows[0]!.n;

describe('SIGTERM to a processor mid-batch', () => {
  it('finishes the batches it holds, half-stores none, and a second processor loses and duplicates nothing', async () => {
    const ingest = queues.get('ingest');
    const first = spawnService('services/processor/src/main.ts', env());
    let inFlight: string[] = [];
    try {
      // Mid-run: some batches stored, and jobs active in Redis at the moment of the signal.
      await until(async () => (await sightings()) > 0, 30_000, 'the first processor to store something');
      await until(
        async () => {
          inFlight = (await ingest.getActive()).map((job) => job.id!);
          return inFlight.length > 0;
        },
        30_000,
        'a batch in flight',
      );
      first.kill('SIGTERM');
    } catch (error) {
      first.kill('SIGKILL');
      throw error;
    }
    const { code } = await exited(first);
    expect(code, first.output().slice(-2000)).toBe(0);
    expect(first.output()).not.toMatch(/did not finish its jobs before the deadline/);

    // At exit: the batches in hand at the signal were completed, nothing is left active, and the
    // rows stored are exactly those of the completed batches (one transaction a batch).
    const completed = await ingest.getCompleted(0, -1);
    const completedIds = new Set(completed.map((job) => job.id!));
    for (const id of inFlight) expect(completedIds.has(id), `batch ${id}, active at SIGTERM`).toBe(true);
    expect(await ingest.getActiveCount()).toBe(0);
    expect(completed.length).toBeLessThan(JOBS); // it really stopped mid-run
    expect(await sightings()).toBe(completed.length * PER_JOB);
    const stored = await sql<{ listing: string }>`SELECT DISTINCT listing FROM sightings ORDER BY 1`.execute(t.db);
    expect(stored.rows.map((r) => r.listing).sort()).toEqual(
      completed.map((job) => (job.data as { listing: string }).listing).sort(),
    );

    const second = spawnService('services/processor/src/main.ts', env());
    try {
      await until(
        async () => (await ingest.getJobCounts('completed')).completed === JOBS,
        90_000,
        'every batch completed',
      );
      expect(await ingest.getJobCounts('failed', 'waiting', 'active', 'delayed')).toMatchObject({
        failed: 0,
        waiting: 0,
        active: 0,
        delayed: 0,
      });
    } finally {
      second.kill('SIGTERM');
      expect((await exited(second)).code).toBe(0);
    }
    expect(await sightings()).toBe(JOBS * PER_JOB);
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
  }, 150_000);
});
