import { createRedis, Queues } from '@paperboy/queue';
import {
  blockEventInserts,
  outboxEvents,
  type TestDatabase,
  testEnvironment,
  unblockEventInserts,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, overlappingIngestJobs, spawnService, until } from './helpers.js';

// Issue 15's "done when": an event exists exactly when its change committed. A processor is
// killed (SIGKILL) while its batch transaction has written the papers and sits inside the outbox
// insert (a trigger on `events` sleeps): Postgres must then hold neither the papers nor the events,
// and the redelivered job must store the batch once with its events once. And the other way: an
// outbox insert that fails leaves the papers unstored and the job retried.

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const PER_JOB = 20;

beforeAll(async () => {
  t = await testEnv.start();
  // A backend notices its client is gone during a long statement (pg_sleep here) and aborts, as
  // after a crash of the machine; without it, it would notice only when answering, 60 s later.
  const { rows } = await sql<{ name: string }>`SELECT current_database() AS name`.execute(t.db);
  await sql.raw(`ALTER DATABASE "${rows[0]!.name}" SET client_connection_check_interval = '200ms'`).execute(t.db);
});

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

const env = () => ({
  ...testEnv.processEnv(),
  PAPERBOY_PROCESSOR_CONCURRENCY: '1',
  PAPERBOY_JOB_LOCK_MS: '2000',
  PAPERBOY_SHUTDOWN_TIMEOUT_MS: '5000',
  LOG_LEVEL: 'info',
});

const count = async (table: 'papers' | 'events', where = sql`true`) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${where}`.execute(t.db)).rows[0]!
    .n;

const papersOf = (name: string) => count('papers', sql`title LIKE ${`%${name}%`}`);

/** Backends of the test database sleeping in the outbox trigger. */
const sleepers = async () =>
  (
    await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()`.execute(t.db)
  ).rows[0]!.n;

/** One ingest job of PER_JOB new papers, their titles ending with `name`. */
async function enqueue(name: string, firstId: number) {
  await queues.addBulk(
    'ingest-entries',
    overlappingIngestJobs(name, {
      jobs: 1,
      perJob: PER_JOB,
      step: PER_JOB,
      firstId,
      title: `outbox atomicity ${name}`,
    }),
  );
}

const createdEvents = async (name: string) =>
  (await outboxEvents(t.db, { types: ['paper.created'] })).filter((e) =>
    (e.data as { paper: { title: string } }).paper.title.endsWith(name),
  );

describe('the outbox is written in the transaction of its change', () => {
  it('a processor killed inside the outbox insert leaves neither papers nor events; the redelivered job stores both once', async () => {
    await blockEventInserts(t.db, { sleepSeconds: 60 });
    await enqueue('killed', 40000);
    const first = spawnService('services/processor/src/main.ts', env());
    let second: ReturnType<typeof spawnService> | undefined;
    try {
      await until(async () => (await sleepers()) === 1, 60_000, 'the batch to reach the outbox insert');
      // The papers are written, not committed: nobody else sees them, nor any event.
      expect(await papersOf('killed')).toBe(0);
      first.kill('SIGKILL');
      expect((await exited(first)).signal).toBe('SIGKILL');
      await until(async () => (await sleepers()) === 0, 10_000, 'Postgres to abort the dead client’s transaction');
      expect(await papersOf('killed')).toBe(0);
      expect(await createdEvents('killed')).toEqual([]);

      await unblockEventInserts(t.db);
      second = spawnService('services/processor/src/main.ts', env());
      await until(
        async () => (await queues.get('ingest').getJobCounts('completed')).completed === 1,
        60_000,
        'the stalled job to be redelivered and stored',
      );
      expect(await papersOf('killed')).toBe(PER_JOB);
      const events = await createdEvents('killed');
      expect(events).toHaveLength(PER_JOB);
      expect(new Set(events.map((e) => e.paperId)).size).toBe(PER_JOB);
      // One transaction wrote them all.
      expect(new Set(events.map((e) => e.position.tx)).size).toBe(1);
    } finally {
      first.kill('SIGKILL');
      await unblockEventInserts(t.db);
      if (second) {
        second.kill('SIGTERM');
        await exited(second);
      }
    }
  }, 180_000);

  it('an outbox insert that fails leaves the papers unstored and the job retried, then stored with its events', async () => {
    await blockEventInserts(t.db, { error: 'outbox refused (test)' });
    const processor = spawnService('services/processor/src/main.ts', env());
    try {
      await enqueue('refused', 41000);
      await until(async () => processor.output().includes('outbox refused (test)'), 60_000, 'an attempt to fail');
      expect(await papersOf('refused')).toBe(0);
      expect(await createdEvents('refused')).toEqual([]);
      await unblockEventInserts(t.db);
      await until(
        async () => (await queues.get('ingest').getJobCounts('completed')).completed === 2,
        60_000,
        'the retried job to be stored',
      );
      expect(await papersOf('refused')).toBe(PER_JOB);
      expect(await createdEvents('refused')).toHaveLength(PER_JOB);
      expect((await queues.get('ingest').getJobCounts('failed')).failed).toBe(0);
    } finally {
      await unblockEventInserts(t.db);
      processor.kill('SIGTERM');
      await exited(processor);
    }
  }, 120_000);
});
