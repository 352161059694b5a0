import { createLogger } from '@paperboy/logger';
import { createMetrics } from '@paperboy/metrics';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createQueueEvents, createRedis, Queues, type Worker } from '@paperboy/queue';
import {
  countRows,
  deleteRedisPrefix,
  dropTable,
  insertPaperRows,
  insertPaperTopicRows,
  insertSightingRows,
  type TestDatabase,
  testEnvironment,
  testQueuePrefix,
  topicTrendRows,
} from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessorWorkers } from './processor.js';
import { DASHBOARD_REBUILD_SCHEDULER, DASHBOARD_REFRESH_SCHEDULER, syncDashboardSchedulers } from './schedulers.js';

const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const workerRedis = createRedis(redisUrl, 'worker');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const events = createQueueEvents('maintenance', { prefix, redisUrl });
let t: TestDatabase;
let workers: Worker[];
const metrics = createMetrics({ defaultMetrics: false });

beforeAll(async () => {
  t = await testEnv.start();
  workers = createProcessorWorkers({
    db: t.db,
    logger: createLogger({ level: 'silent' }),
    connection: workerRedis,
    prefix,
    concurrency: 1,
    taxonomy: loadTaxonomy(),
    nearDuplicateThreshold: 0.75,
    metrics,
  });
  for (const worker of workers) void worker.run();
  await events.waitUntilReady();
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await events.close();
  await queues.close();
  redis.disconnect();
  workerRedis.disconnect();
  await testEnv.stop();
});

describe('refresh-dashboard job', () => {
  it('is declared twice, incremental every N seconds and a full rebuild nightly, idempotently', async () => {
    // A queue no worker serves: the schedulers' first jobs must not run refreshes under the next test.
    const idlePrefix = testQueuePrefix();
    const idle = new Queues(redis, { prefix: idlePrefix, fetchAttempts: 1 });
    const queue = idle.get('maintenance');
    await Promise.all([syncDashboardSchedulers(idle, 120), syncDashboardSchedulers(idle, 120)]);
    await syncDashboardSchedulers(idle, 300); // a new interval replaces the old one
    const schedulers = (await queue.getJobSchedulers(0, -1))
      .map((s) => ({ key: s.key, every: s.every ?? null, pattern: s.pattern ?? null, data: s.template?.data ?? {} }))
      .sort((a, b) => a.key.localeCompare(b.key));
    expect(schedulers).toEqual([
      { key: DASHBOARD_REBUILD_SCHEDULER, every: null, pattern: '37 3 * * *', data: { full: true } },
      { key: DASHBOARD_REFRESH_SCHEDULER, every: 300_000, pattern: null, data: {} },
    ]);
    await idle.close();
    await deleteRedisPrefix(redisUrl, idlePrefix);
  });

  it('refreshes the precomputed views through the queue', async () => {
    const seen = new Date(Date.now() - 3_600_000);
    await insertPaperRows(t.db, [
      {
        id: 1,
        arxiv_id: '2611.30001',
        title: 'A',
        title_key: 'a',
        upvotes: 7,
        first_seen_at: seen,
        last_seen_at: seen,
      },
    ]);
    await insertPaperTopicRows(t.db, [
      { paper_id: 1, topic_id: 'llm', score: 0.9, position: 0, taxonomy_version: 'v' },
    ]);
    await insertSightingRows(t.db, [
      { paper_id: 1, source: 'hf', listing: 'daily', rank: 1, upvotes: 7, seen_at: seen },
    ]);
    expect(await topicTrendRows(t.db)).toEqual([]);

    const job = await queues.add('refresh-dashboard', {});
    expect(await job.waitUntilFinished(events)).toMatchObject({
      mode: 'incremental',
      trendDays: 1,
      newPaperDays: 1,
      trendingPapers: 1,
    });
    expect(await topicTrendRows(t.db)).toEqual([{ topic_id: 'llm', papers: 1, upvotes_sum: 7 }]);
    const full = await queues.add('refresh-dashboard', { full: true });
    expect(await full.waitUntilFinished(events)).toMatchObject({ mode: 'full', trendDays: 1 });
    const exposed = await metrics.registry.metrics();
    expect(exposed).toMatch(/paperboy_dashboard_refresh_seconds_count\{mode="incremental"\} 1/);
    expect(exposed).toMatch(/paperboy_dashboard_refresh_seconds_count\{mode="full"\} 1/);
  });

  it('fails a job with a bad payload at once, without retrying', async () => {
    const job = await queues.get('maintenance').add('refresh-dashboard', { full: 'yes' }, { attempts: 3 });
    await expect(job.waitUntilFinished(events)).rejects.toThrow(/invalid payload for refresh-dashboard/);
    const failed = await queues.get('maintenance').getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
  });

  it('creates the sightings partitions of the coming months on the full rebuild, moving their rows out of the default partition', async () => {
    const start = new Date();
    const third = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 3, 1));
    const part = `sightings_y${third.getUTCFullYear()}m${String(third.getUTCMonth() + 1).padStart(2, '0')}`;
    const count = (table: string) => countRows(t.db, table);
    // As if the month's partition had never been created: its sighting waits in the default partition.
    await dropTable(t.db, part);
    await insertSightingRows(t.db, [
      {
        paper_id: 1,
        source: 'hf',
        listing: 'daily',
        rank: 1,
        upvotes: 7,
        seen_at: new Date(third.getTime() + 86_400_000),
      },
    ]);
    expect(await count('sightings_default')).toBe(1);
    const full = await queues.add('refresh-dashboard', { full: true });
    expect(await full.waitUntilFinished(events)).toMatchObject({ mode: 'full' });
    expect(await count(part)).toBe(1);
    expect(await count('sightings_default')).toBe(0);
  });
});
