import { createRedis, Queues } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createReconcileCrawlsHandler } from './reconcile-crawls.handler.js';

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const producer = createRedis(redisUrl, 'producer');
const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
const job = { queueName: 'crawl', id: 'test', name: 'reconcile-crawls', data: {} } as never;

beforeAll(async () => {
  t = await testEnv.start();
});
afterAll(async () => {
  await queues.close();
  producer.disconnect();
  await testEnv.stop();
});

// A fetcher SIGKILLed mid-crawl and restarted at once (as a supervisor does) found nothing stale at
// its start, so the crawl stayed `running` until some later start: the periodic job closes it.
it('closes crawls a dead process left running, on its schedule, not only when a fetcher starts', async () => {
  const crawl = (key: string, startedAt: Date) => ({
    source: 'hf-papers',
    url: `https://example.test/${key}`,
    trigger: 'schedule',
    job_key: key,
    started_at: startedAt,
    outcome: 'running',
  });
  await t.db
    .insertInto('crawls')
    .values([crawl('k-killed', new Date(Date.now() - 40 * 60_000)), crawl('k-live', new Date())] as never)
    .execute();
  const handler = createReconcileCrawlsHandler({
    db: t.db,
    queues,
    logger: pino({ level: 'silent' }),
    graceMs: 15 * 60_000,
    staleCrawlMs: 30 * 60_000,
  });
  await handler({}, job);
  const rows = await t.db.selectFrom('crawls').select(['job_key', 'outcome']).orderBy('job_key').execute();
  expect(rows).toEqual([
    { job_key: 'k-killed', outcome: 'failed' },
    { job_key: 'k-live', outcome: 'running' },
  ]);
});
