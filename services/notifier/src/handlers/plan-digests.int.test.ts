import { SubscriberRepository } from '@paperboy/db';
import { createRedis, Queues } from '@paperboy/queue';
import {
  backdateDelivery,
  insertPreferencesRow,
  insertSubscriberRow,
  type TestDatabase,
  testEnvironment,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanDigestsHandler } from './plan-digests.handler.js';

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const producer = createRedis(redisUrl, 'producer');
const queues = new Queues(producer, { prefix, fetchAttempts: 1 });
const job = { queueName: 'planning', id: 'test', name: 'plan-digests', data: {} } as never;

beforeAll(async () => {
  t = await testEnv.start();
});
afterAll(async () => {
  await queues.close();
  producer.disconnect();
  await testEnv.stop();
});

describe('plan-digests', () => {
  it('skips and reports a subscriber whose time zone Postgres does not know; the others are planned', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const good = await Promise.all(
      ['one@example.org', 'two@example.org'].map((email) =>
        subscribers.subscribe(email, { topics: ['llm'], frequency: 'daily', timeZone: 'Europe/Berlin' }, 'active'),
      ),
    );
    // A row written before time zones were validated: Intl accepts the name, Postgres does not.
    const badId = await insertSubscriberRow(t.db, {
      email: 'bad-zone@example.org',
      status: 'active',
      confirmed_at: new Date(),
    });
    await insertPreferencesRow(t.db, {
      subscriber_id: badId,
      topics: ['llm'],
      frequency: 'daily',
      time_zone: 'US/Pacific-New',
    });

    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const result = await createPlanDigestsHandler({ db: t.db, queues, logger })(
      { frequency: 'daily', force: true },
      job,
    );

    expect(result.planned).toBe(2);
    expect(result.unknownTimeZones).toBe(1);
    const planned = await t.db.selectFrom('deliveries').select('subscriber_id').orderBy('subscriber_id').execute();
    expect(planned.map((d) => d.subscriber_id)).toEqual(good.map((s) => s.id).sort((a, b) => a - b));
    const warning = lines.find((l) => l.level === 40);
    expect(warning).toMatchObject({ subscriberId: badId, timeZone: 'US/Pacific-New' });
    // One send-digests job for the page's two deliveries.
    const waiting = await queues.get('notify').getJobs(['waiting']);
    expect(waiting.map((j) => j.name)).toEqual(['send-digests']);
    expect(waiting[0]!.id).toBe(result.sendJobIds[0]);
    expect((waiting[0]!.data.deliveryIds as number[]).length).toBe(2);
  });

  it('fans out one send-digests job per chunk of new deliveries (PAPERBOY_MAIL_CHUNK_SIZE)', async () => {
    const subscribers = new SubscriberRepository(t.db);
    for (let i = 0; i < 7; i++)
      await subscribers.subscribe(`chunked-${i}@example.org`, { topics: ['llm'], frequency: 'weekly' }, 'active');
    const result = await createPlanDigestsHandler({
      db: t.db,
      queues,
      logger: pino({ level: 'silent' }),
      chunkSize: 3,
    })({ frequency: 'weekly', force: true }, job);
    expect(result.planned).toBe(7);
    expect(result.sendJobIds).toHaveLength(3);
    const jobs = await Promise.all(result.sendJobIds.map((id) => queues.getJob('send-digests', id)));
    expect(jobs.map((j) => j!.data.deliveryIds.length)).toEqual([3, 3, 1]);
    const all = jobs.flatMap((j) => j!.data.deliveryIds);
    expect(new Set(all).size).toBe(7);
  });

  it('offers again the send job of a delivery left planned (its job never reached Redis): it is sent once, not planned twice', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const { id } = await subscribers.subscribe(
      'lost-job@example.org',
      { topics: ['llm'], frequency: 'weekly' },
      'active',
    );
    const deliveryId = (await subscribers.planDelivery(id, 'weekly-2026-W50'))!; // planned, and its addBulk failed
    const notify = queues.get('notify');
    const holding = async () =>
      (await notify.getJobs(['waiting', 'delayed'])).filter((j) =>
        ((j.data.deliveryIds as number[] | undefined) ?? []).includes(deliveryId),
      );
    const plan = () =>
      createPlanDigestsHandler({ db: t.db, queues, logger: pino({ level: 'silent' }) })({ frequency: 'weekly' }, job);
    await plan();
    expect(await holding()).toEqual([]); // just planned: its job may still be on its way
    await backdateDelivery(t.db, deliveryId, { plannedMinutes: 11 });
    expect((await plan()).reoffered).toBeGreaterThanOrEqual(1);
    const [offered] = await holding();
    expect(offered?.name).toBe('send-digests');
    await plan(); // offered again while it waits: the same chunk, the same job id, still one job
    expect((await holding()).map((j) => j.id)).toEqual([offered!.id]);
  });

  it('warns about stuck deliveries (claimed longer than the threshold) on every run, with what to do', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const { id } = await subscribers.subscribe('stuck@example.org', { topics: ['llm'], frequency: 'weekly' }, 'active');
    const deliveryId = (await subscribers.planDelivery(id, 'weekly-2026-W49'))!;
    await subscribers.claimDelivery(deliveryId); // its notifier died after the claim
    const run = async () => {
      const lines: Array<Record<string, unknown>> = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      await createPlanDigestsHandler({ db: t.db, queues, logger, stuckMinutes: 15 })({ frequency: 'weekly' }, job);
      return lines.filter((l) => l.stuckDeliveries !== undefined);
    };
    expect(await run()).toEqual([]); // claimed just now: a send may be in flight
    await backdateDelivery(t.db, deliveryId, { claimedMinutes: 16 });
    const [warning] = await run();
    expect(warning).toMatchObject({ level: 40, stuckDeliveries: 1, olderThanMinutes: 15 });
    expect(warning!.msg).toMatch(/paperboy digest resend-stuck --yes/);
  });
});
