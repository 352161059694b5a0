import { SubscriberRepository } from '@paperboy/db';
import { createQueueEvents, createRedis, type PlanDigestsResult, Queues } from '@paperboy/queue';
import { seedDigestPapers, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type HeldSmtpServer, startHeldSmtpServer } from './held-smtp.js';
import { exited, spawnService, until } from './helpers.js';

// SIGTERM to a notifier process while a digest is mid-SMTP-transaction (the server has the
// message and holds its reply). The documented rule (send-digests.handler.ts): a delivery is
// claimed before the SMTP transaction and never claimed again, so a digest goes out at most once.
// - With time before the shutdown deadline, the send finishes: one mail, the delivery `sent`.
// - Past the deadline, the worker is forced: the delivery stays `claimed` (the server may have
//   the mail), and the job, retried by another notifier, sends nothing more.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const testEnv = testEnvironment();
  const { prefix, redisUrl } = testEnv;
  const t = await testEnv.start();
  const smtp: HeldSmtpServer = await startHeldSmtpServer();
  const producer = createRedis(redisUrl, 'producer');
  const queues = new Queues(producer, { prefix, fetchAttempts: 3 });
  const planEvents = createQueueEvents('planning', { prefix, redisUrl });
  await planEvents.waitUntilReady();
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
  await seedDigestPapers(t.db);
  await new SubscriberRepository(t.db).subscribe(
    'reader@example.org',
    { topics: ['llm'], frequency: 'daily' },
    'active',
  );
  const notifier = (shutdownMs: number) => {
    const child = spawnService('services/notifier/src/main.ts', {
      ...testEnv.processEnv(),
      SMTP_URL: smtp.url,
      PAPERBOY_SECRET: 'e2e-secret-Qm4Vx8Lr2Hk6Nw9Tb3Jd5Zp',
      PAPERBOY_SCHEDULES: '0', // this test plans the digest itself
      PAPERBOY_SHUTDOWN_TIMEOUT_MS: String(shutdownMs),
      PAPERBOY_JOB_LOCK_MS: '1000', // a forced job is found stalled and retried soon
      LOG_LEVEL: 'info',
    });
    children.push(child);
    return child;
  };
  const planOne = async () => {
    const job = await queues.add('plan-digests', { frequency: 'daily', force: true });
    expect(((await job.waitUntilFinished(planEvents, 30_000)) as PlanDigestsResult).planned).toBe(1);
  };
  const deliveries = async () =>
    (await sql<{ status: string }>`SELECT status FROM deliveries ORDER BY id`.execute(t.db)).rows.map((r) => r.status);
  return { t, smtp, queues, notifier, planOne, deliveries };
}

describe('SIGTERM to a notifier mid-send', () => {
  it('within the deadline: the send finishes, one mail, the delivery sent; nothing is sent again', async () => {
    const { smtp, queues, notifier, planOne, deliveries } = await setup();
    const first = notifier(60_000);
    await until(async () => first.output().includes('notifier started'), 30_000, 'the notifier to start');
    await planOne();
    await until(async () => smtp.held === 1, 30_000, 'the digest to reach the SMTP server');
    expect(await deliveries()).toEqual(['claimed']);

    first.kill('SIGTERM');
    await until(async () => first.output().includes('shutting down'), 30_000, 'the notifier to begin its shutdown');
    expect(first.exitCode).toBe(null); // it waits for the send in flight
    smtp.release();
    const { code } = await exited(first);
    expect(code, first.output().slice(-2000)).toBe(0);
    expect(first.output()).not.toMatch(/did not finish its jobs before the deadline/);
    expect(smtp.received).toEqual(['reader@example.org']);
    expect(await deliveries()).toEqual(['sent']);
    expect(
      await queues.get('notify').getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed'),
    ).toMatchObject({ completed: 1, failed: 0, active: 0, waiting: 0, delayed: 0 });

    // Another notifier and another forced plan: the period's digest is not planned or sent again.
    const second = notifier(60_000);
    await until(async () => second.output().includes('notifier started'), 30_000, 'the second notifier to start');
    const job = await queues.add('plan-digests', { frequency: 'daily', force: true });
    await until(async () => (await job.getState()) === 'completed', 30_000, 'the second plan');
    second.kill('SIGTERM');
    expect((await exited(second)).code).toBe(0);
    expect(smtp.received).toEqual(['reader@example.org']);
    expect(await deliveries()).toEqual(['sent']);
  }, 120_000);

  // Before: the forced notifier lingered until nodemailer's socket timeout ended the held send,
  // took that timeout for a transient failure, released the claim, and the retry mailed the
  // digest a second time. A failure with no reply may hide a delivery: it now stays claimed, and
  // the job fails as "outcome unknown" (not retried). The process still waits for the held send
  // to end (the transport's 60 s socket timeout) before it exits.
  it('past the deadline: the delivery is left claimed, and nothing sends it again', async () => {
    const { smtp, queues, notifier, planOne, deliveries } = await setup();
    const first = notifier(500); // the held reply outlasts it
    await until(async () => first.output().includes('notifier started'), 30_000, 'the notifier to start');
    await planOne();
    await until(async () => smtp.held === 1, 30_000, 'the digest to reach the SMTP server');

    first.kill('SIGTERM');
    await exited(first);
    expect(first.output()).toMatch(/did not finish its jobs before the deadline/);
    expect(first.output()).toMatch(/outcome unknown/);
    expect(await deliveries()).toEqual(['claimed']);
    const notify = queues.get('notify');
    const [failed] = await notify.getFailed(0, -1);
    expect(failed?.failedReason).toMatch(/outcome unknown, left claimed/);

    // The server now answers at once; a second notifier finds nothing to send.
    smtp.release();
    const second = notifier(60_000);
    await until(async () => second.output().includes('notifier started'), 30_000, 'the second notifier to start');
    second.kill('SIGTERM');
    expect((await exited(second)).code).toBe(0);
    expect(smtp.received).toEqual(['reader@example.org']); // the one the first notifier sent, never acknowledged
    expect(await deliveries()).toEqual(['claimed']);
    expect(await notify.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).toMatchObject({
      completed: 0,
      failed: 1,
      waiting: 0,
      active: 0,
      delayed: 0,
    });
  }, 180_000);
});
