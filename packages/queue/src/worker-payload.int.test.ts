import { deleteRedisPrefix, requireEnv, testQueuePrefix } from '@paperboy/test-utils';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from './connection.js';
import { type CrawlPagePayload, defaultJobOptions } from './jobs.js';
import { createWorker } from './queues.js';

// The worker side of payload validation on a real Redis: a crawl-page job's payload, as stored, is
// judged before its handler runs (the quick check or the schema), whoever wrote it.

const redisUrl = requireEnv('TEST_REDIS_URL');
const prefix = testQueuePrefix();
const producer = createRedis(redisUrl, 'producer');
// Written straight through BullMQ: Queues would refuse the bad payloads before Redis.
const raw = new Queue('crawl', { connection: producer, prefix });

afterAll(async () => {
  await raw.close();
  producer.disconnect();
  await deleteRedisPrefix(redisUrl, prefix);
});

describe('a crawl-page worker and the payload as stored', () => {
  it('hands a valid page to its handler as the schema returns it, and fails an invalid one for good without running it', async () => {
    const seen: CrawlPagePayload[] = [];
    const worker = createWorker(
      'crawl',
      {
        'crawl-page': async (payload) => {
          seen.push(payload);
          return { crawlId: 1 } as never;
        },
        'crawl-source': async () => ({}) as never,
        'prune-archive': async () => ({}) as never,
        'reconcile-crawls': async () => ({}) as never,
      },
      { prefix, concurrency: 1, connection: createRedis(redisUrl, 'worker') },
    );
    const opts = { ...defaultJobOptions('crawl-page', { fetchAttempts: 3 }), attempts: 3 };
    const page = { source: 'hf-papers', url: 'http://127.0.0.1:1/papers/1', trigger: 'cli', throttled: 1 };
    const valid = await raw.add('crawl-page', page, opts);
    const extra = await raw.add('crawl-page', { ...page, url: 'http://127.0.0.1:1/papers/2', note: 'x' }, opts);
    const badUrl = await raw.add('crawl-page', { ...page, url: 'not a url' }, opts);
    const badCount = await raw.add('crawl-page', { ...page, throttled: 0.5 }, opts);
    void worker.run();
    try {
      await expect
        .poll(() => raw.getJobCounts('completed', 'failed'), { timeout: 15_000 })
        .toEqual({
          completed: 2,
          failed: 2,
        });
    } finally {
      await worker.close();
      await worker.disconnect();
    }
    expect(seen).toEqual([page, { ...page, url: 'http://127.0.0.1:1/papers/2' }]); // the unknown field stripped
    for (const id of [badUrl.id!, badCount.id!]) {
      const job = (await raw.getJob(id))!;
      expect(job.failedReason).toMatch(/^invalid payload for crawl-page/);
      expect(job.attemptsMade).toBe(1); // unrecoverable: not retried
    }
    expect((await raw.getJob(valid.id!))!.finishedOn).toBeTruthy();
    expect((await raw.getJob(extra.id!))!.finishedOn).toBeTruthy();
  });
});
