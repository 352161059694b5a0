import { StuckDeliveryRepository, SubscriberRepository } from '@paperboy/db';
import { createQueueEvents, createRedis, type PlanDigestsResult, Queues } from '@paperboy/queue';
import { type SmtpTestServer, seedDigestPapers, startSmtpTestServer, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, spawnService, until } from './helpers.js';

// A notifier killed (SIGKILL) in the middle of a send-digests chunk, between the chunk's claim and
// its finish: the documented cost (send-digests.handler.ts) is that chunk. Its deliveries stay
// claimed, are listed as stuck, and no notifier sends any of them again by itself, not even the one
// that picks the killed job up.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a notifier killed mid-chunk', () => {
  it("leaves the chunk's claimed deliveries stuck: none sent again by the job's retry on another notifier", async () => {
    const testEnv = testEnvironment();
    const { prefix, redisUrl } = testEnv;
    const t = await testEnv.start();
    // The first 3 messages' DATA is never answered: the 3 pooled connections hang inside their
    // transactions, the chunk's 7 other mails wait behind them (in the pool, or for one of the
    // process's 6 send slots), all 10 claimed.
    const smtp: SmtpTestServer = await startSmtpTestServer({ stallData: 3 });
    const producer = createRedis(redisUrl, 'producer');
    const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
    const planEvents = createQueueEvents('planning', { prefix, redisUrl });
    const children: Array<ReturnType<typeof spawnService>> = [];
    cleanups.push(
      () => testEnv.stop(),
      () => smtp.close(),
      async () => producer.disconnect(),
      () => queues.close(),
      () => planEvents.close(),
      async () => {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    );
    await planEvents.waitUntilReady();
    await seedDigestPapers(t.db);
    const subscribers = new SubscriberRepository(t.db);
    for (let i = 0; i < 10; i++)
      await subscribers.subscribe(`reader${i}@example.org`, { topics: ['llm'], frequency: 'daily' }, 'active');
    const env = {
      ...testEnv.processEnv(),
      SMTP_URL: smtp.url,
      PAPERBOY_SECRET: 'e2e-secret-Jw3Kc8Tn5Rb2Xv7Hq4Md9Ls',
      PAPERBOY_SCHEDULES: '0',
      PAPERBOY_MAIL_CHUNK_SIZE: '10',
      PAPERBOY_SMTP_CONNECTIONS: '3',
      PAPERBOY_JOB_LOCK_MS: '1000', // the killed notifier's job is found stalled and retried soon
      LOG_LEVEL: 'info',
    };
    const first = spawnService('services/notifier/src/main.ts', env);
    children.push(first);
    const plan = await queues.add('plan-digests', { frequency: 'daily', force: true });
    const planned = (await plan.waitUntilFinished(planEvents, 60_000)) as PlanDigestsResult;
    expect(planned).toMatchObject({ planned: 10, sendJobIds: [expect.any(String)] });
    try {
      await until(async () => smtp.stalled === 3, 60_000, `the notifier to reach DATA\n${first.output()}`);
    } finally {
      first.kill('SIGKILL');
    }
    expect(await exited(first)).toMatchObject({ signal: 'SIGKILL' });
    const statuses = async () =>
      (
        await sql<{
          status: string;
          n: number;
        }>`SELECT status, count(*)::int AS n FROM deliveries GROUP BY status`.execute(t.db)
      ).rows;
    expect(await statuses()).toEqual([{ status: 'claimed', n: 10 }]);

    // Another notifier picks the killed chunk's job up (stalled) and retries it: it claims nothing.
    const second = spawnService('services/notifier/src/main.ts', env);
    children.push(second);
    const job = await queues.getJob('send-digests', planned.sendJobIds[0]!);
    await until(
      async () => (await job!.getState()) === 'completed',
      60_000,
      `the chunk's retry to finish\n${second.output()}`,
    );
    expect((await queues.getJob('send-digests', planned.sendJobIds[0]!))!.returnvalue).toMatchObject({
      claimed: 0,
      sent: 0,
    });
    second.kill('SIGTERM');
    await exited(second);
    expect(smtp.messages).toHaveLength(0);
    expect(await statuses()).toEqual([{ status: 'claimed', n: 10 }]);
    // Listed as stuck once past the threshold (0 minutes here), for `digest stuck` / `resend-stuck --yes`.
    expect(await new StuckDeliveryRepository(t.db).listStuck(0)).toHaveLength(10);
  }, 180_000);
});
