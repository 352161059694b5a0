import { loadConfig } from '@paperboy/config';
import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import { createTransport, type MailTransport } from '@paperboy/mail';
import { createMetrics } from '@paperboy/metrics';
import { eventTypes } from '@paperboy/pipeline';
import {
  createTestDatabase,
  outboxEvents,
  type SmtpTestServer,
  seedSendDigestPapers,
  startSmtpTestServer,
  type TestDatabase,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendDigestsHandler } from './handlers/send-digests.handler.js';
import { announceFinishedPeriods, sweepPeriods } from './period-events.js';

// digest.period_sent on a real Postgres and SMTP server: one event per period, once every delivery
// of the period is finished and no subscriber is still to be planned for it.

let t: TestDatabase;
let smtp: SmtpTestServer;
let transport: MailTransport;
const logger = pino({ level: 'silent' });
const metrics = createMetrics({ defaultMetrics: false });
const job = { queueName: 'notify', id: 'test', name: 'send-digests', data: {} } as never;
let run = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedSendDigestPapers(t.db);
  smtp = await startSmtpTestServer();
  transport = createTransport({ smtpUrl: smtp.url, outboxDir: '/tmp/unused', maxConnections: 4 });
});
afterAll(async () => {
  await transport?.close();
  await smtp?.close();
  await t?.drop();
});

const handler = () =>
  createSendDigestsHandler({
    db: t.db,
    logger,
    config: loadConfig({
      SMTP_URL: smtp.url,
      PAPERBOY_SECRET: 'period-events-test-secret-Hw4Pz8Qm2Ty6Rc1',
      PAPERBOY_PUBLIC_URL: 'https://localhost:3000',
    }),
    transport,
    metrics,
  });

/** `n` active daily subscribers in `timeZone`, each with a planned delivery for `periodKey`. */
async function plan(n: number, periodKey: string, timeZone = 'UTC'): Promise<number[]> {
  run += 1;
  const subscribers = new SubscriberRepository(t.db);
  const due = [];
  for (let i = 0; i < n; i++) {
    const email = `p${run}-${i}@example.org`;
    const { id } = await subscribers.subscribe(email, { topics: ['llm'], frequency: 'daily', timeZone }, 'active');
    due.push({ id, email, periodKey });
  }
  return (await new DigestRepository(t.db).planDeliveries(due)).map((d) => d.deliveryId);
}

const periodEvents = async (periodKey: string) =>
  (await outboxEvents(t.db, { types: ['digest.period_sent'] }))
    .filter((e) => (e.data as { periodKey: string }).periodKey === periodKey)
    .map((e) => {
      expect(eventTypes['digest.period_sent'].data.safeParse(e.data).success).toBe(true);
      return { data: e.data, dedupeKey: e.dedupeKey };
    });

const localDay = (timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

describe('digest.period_sent', () => {
  // First, while the database holds only these subscribers: whoever is still to be planned keeps the period open.
  it('waits for subscribers whose day has not come yet (a time zone behind), then announces the whole period', async () => {
    // UTC+14 and UTC-11: 25 hours apart, so their local days always differ.
    const periodKey = `daily-${localDay('Pacific/Kiritimati')}`;
    const early = await plan(2, periodKey, 'Pacific/Kiritimati');
    const late = await new SubscriberRepository(t.db).subscribe(
      `late-${Date.now()}@example.org`,
      { topics: ['llm'], frequency: 'daily', timeZone: 'Pacific/Pago_Pago' },
      'active',
    );
    await handler()({ deliveryIds: early }, job);
    expect(await periodEvents(periodKey)).toEqual([]);
    expect(await sweepPeriods(t.db, metrics)).toBe(0);

    // The late subscriber's day comes: planned and sent, the period is done.
    const [lateDelivery] = await new DigestRepository(t.db).planDeliveries([
      { id: late.id, email: 'late@example.org', periodKey },
    ]);
    await handler()({ deliveryIds: [lateDelivery!.deliveryId] }, job);
    expect(await periodEvents(periodKey)).toEqual([
      {
        data: { frequency: 'daily', periodKey, deliveries: 3, sent: 3, skipped: 0, failed: 0 },
        dedupeKey: `digest.period_sent:daily:${periodKey}`,
      },
    ]);
  });

  it('announces a period once when its chunks finish at the same moment', async () => {
    const periodKey = 'daily-2026-11-02';
    const ids = await plan(16, periodKey);
    const chunks = Array.from({ length: 8 }, (_, i) => ids.slice(i * 2, i * 2 + 2));
    const send = handler();
    await Promise.all(chunks.map((deliveryIds) => send({ deliveryIds }, job)));
    const events = await periodEvents(periodKey);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ deliveries: 16, sent: 16 });
  });

  it('announces a period once when its last two deliveries are finished by two transactions open at once', async () => {
    const periodKey = 'daily-2026-11-04';
    const ids = await plan(2, periodKey);
    await new SubscriberRepository(t.db).claimDeliveries(ids);
    // Both transactions finish their delivery before either asks whether the period is done: each
    // sees the other's still claimed, and only the period lock lets the second see the first's commit.
    let arrived = 0;
    let bothFinished!: () => void;
    const finished = new Promise<void>((resolve) => {
      bothFinished = resolve;
    });
    const finish = (id: number) =>
      t.db.transaction().execute(async (trx) => {
        await new SubscriberRepository(trx).finishDelivery(id, { status: 'sent' });
        if (++arrived === 2) bothFinished();
        await finished;
        return announceFinishedPeriods(trx, [id]);
      });
    const written = await Promise.all(ids.map(finish));
    expect(written.map((w) => w['digest.period_sent'] ?? 0).sort()).toEqual([0, 1]);
    expect(await periodEvents(periodKey)).toHaveLength(1);
  });

  it('does not announce a period with a delivery still planned; the planner sweep announces one finished elsewhere', async () => {
    const periodKey = 'daily-2026-11-03';
    const ids = await plan(3, periodKey);
    await handler()({ deliveryIds: ids.slice(0, 2) }, job);
    expect(await periodEvents(periodKey)).toEqual([]);
    // The last one is finished without the senders (an unsubscribe, an operator): the sweep finds the period done.
    await new SubscriberRepository(t.db).claimDeliveries([ids[2]!]);
    await new SubscriberRepository(t.db).finishDelivery(ids[2]!, { status: 'skipped', error: 'unsubscribed' });
    expect(await periodEvents(periodKey)).toEqual([]);
    expect(await sweepPeriods(t.db, metrics)).toBe(1);
    expect(await sweepPeriods(t.db, metrics)).toBe(0);
    expect((await periodEvents(periodKey)).map((e) => e.data)).toEqual([
      { frequency: 'daily', periodKey, deliveries: 3, sent: 2, skipped: 1, failed: 0 },
    ]);
  });
});
