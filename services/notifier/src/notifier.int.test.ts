import { loadConfig } from '@paperboy/config';
import { SubscriberRepository } from '@paperboy/db';
import { createTransport } from '@paperboy/mail';
import { createQueueEvents, createRedis, type PlanDigestsResult, Queues, type Worker } from '@paperboy/queue';
import { type SmtpTestServer, seedDigestPapers, startSmtpTestServer, testEnvironment } from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifierWorkers } from './notifier.js';

// The notifier's two workers on a real Redis and Postgres: planners on `planning`, sends on `notify`.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(perMinute: number, chunkSize = 100) {
  const testEnv = testEnvironment();
  const { prefix, redisUrl } = testEnv;
  const t = await testEnv.start();
  const smtp: SmtpTestServer = await startSmtpTestServer();
  const config = loadConfig({
    SMTP_URL: smtp.url,
    PAPERBOY_SECRET: 'notifier-test-secret-Gk2Mv7Bx4Zt9Wp',
    PAPERBOY_MAIL_PER_MINUTE: String(perMinute),
    PAPERBOY_NOTIFY_CONCURRENCY: '2',
    PAPERBOY_MAIL_CHUNK_SIZE: String(chunkSize),
    PAPERBOY_QUEUE_PREFIX: prefix,
  });
  const producer = createRedis(redisUrl, 'producer');
  const connection = createRedis(redisUrl, 'worker');
  const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
  const transport = createTransport({ smtpUrl: smtp.url, outboxDir: '/tmp/unused', pool: false });
  const workers: Worker[] = createNotifierWorkers({
    db: t.db,
    logger: pino({ level: 'silent' }),
    config,
    connection,
    queues,
    transport,
  });
  for (const worker of workers) void worker.run();
  const planEvents = createQueueEvents('planning', { prefix, redisUrl });
  const notifyEvents = createQueueEvents('notify', { prefix, redisUrl });
  await Promise.all([planEvents.waitUntilReady(), notifyEvents.waitUntilReady()]);
  cleanups.push(
    () => testEnv.stop(),
    () => smtp.close(),
    async () => {
      producer.disconnect();
      connection.disconnect();
    },
    () => transport.close(),
    () => queues.close(),
    () => Promise.all([planEvents.close(), notifyEvents.close()]),
    () => Promise.all(workers.map((w) => w.close(true))),
  );
  await seedDigestPapers(t.db);
  const subscribers = new SubscriberRepository(t.db);
  const subscribe = async (n: number, frequency: 'daily' | 'weekly') => {
    for (let i = 0; i < n; i++)
      await subscribers.subscribe(`${frequency}-${i}@example.org`, { topics: ['llm'], frequency }, 'active');
  };
  return { t, smtp, queues, planEvents, notifyEvents, subscribe };
}

describe('notifier workers', () => {
  it('plans digests while sends wait for the mail rate limit: planning does not queue behind sends', async () => {
    // One mail a minute, one digest a job: the sends pile up.
    const { smtp, queues, planEvents, subscribe } = await setup(1, 1);
    await subscribe(20, 'daily');
    const daily = await queues.add('plan-digests', { frequency: 'daily', force: true });
    expect(((await daily.waitUntilFinished(planEvents, 20_000)) as PlanDigestsResult).planned).toBe(20);

    await subscribe(3, 'weekly');
    const weekly = await queues.add('plan-digests', { frequency: 'weekly', force: true });
    // On one queue with the sends, this planner would wait behind 18 rate-limited jobs: 18 minutes.
    expect(((await weekly.waitUntilFinished(planEvents, 20_000)) as PlanDigestsResult).planned).toBe(3);
    const counts = await queues.get('notify').getJobCounts('waiting', 'delayed', 'prioritized');
    const queued = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(queued).toBeGreaterThanOrEqual(18); // the sends it overtook are still there
    expect(smtp.messages.length).toBeLessThanOrEqual(2);
  }, 60_000);

  it('counts the rate limit in mails: one job of 5 digests under a limit of 3 a minute waits, unclaimed, for the next minute', async () => {
    const { smtp, queues, planEvents, subscribe } = await setup(3, 100);
    await subscribe(5, 'daily');
    const daily = await queues.add('plan-digests', { frequency: 'daily', force: true });
    const planned = (await daily.waitUntilFinished(planEvents, 20_000)) as PlanDigestsResult;
    expect(planned).toMatchObject({ planned: 5, sendJobIds: [expect.any(String)] });
    // The chunk's job waits, unclaimed, for the next minute's mails: none of its 5 is sent meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(smtp.messages).toHaveLength(0);
    const job = await queues.getJob('send-digests', planned.sendJobIds[0]!);
    expect(await job!.getState()).toBe('active');
  }, 30_000);
});
