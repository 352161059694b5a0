import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StuckDeliveryRepository } from './stuck-delivery.repository.js';
import { SubscriberRepository } from './subscriber.repository.js';

let t: TestDatabase;
let stuck: StuckDeliveryRepository;
let subscribers: SubscriberRepository;
beforeAll(async () => {
  t = await createTestDatabase();
  stuck = new StuckDeliveryRepository(t.db);
  subscribers = new SubscriberRepository(t.db);
});
afterAll(async () => t?.drop());

/** A delivery claimed `minutesAgo` minutes ago (the claim's time set as a fact of the data, not waited for). */
async function claimed(email: string, minutesAgo: number, period = 'daily-2026-12-06'): Promise<number> {
  const { id } = await subscribers.subscribe(email, { topics: [], frequency: 'daily' }, 'active');
  const deliveryId = (await subscribers.planDelivery(id, period))!;
  expect(await subscribers.claimDelivery(deliveryId)).not.toBeNull();
  await sql`UPDATE deliveries SET claimed_at = now() - ${minutesAgo} * interval '1 minute' WHERE id = ${deliveryId}`.execute(
    t.db,
  );
  return deliveryId;
}

const statusOf = async (id: number) =>
  await t.db
    .selectFrom('deliveries')
    .select(['status', 'attempts', 'error'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe('StuckDeliveryRepository', () => {
  it('counts and lists deliveries claimed longer than the threshold, not fresh claims nor finished ones', async () => {
    const old = await claimed('old@example.org', 60);
    const mid = await claimed('mid@example.org', 20);
    await claimed('fresh@example.org', 1);
    const done = await claimed('done@example.org', 120);
    await subscribers.finishDelivery(done, { status: 'sent', messageId: '<m@x>' });
    const { id: plannedOnly } = await subscribers.subscribe(
      'planned@example.org',
      { topics: [], frequency: 'daily' },
      'active',
    );
    await subscribers.planDelivery(plannedOnly, 'daily-2026-12-06');

    expect(await stuck.countStuck(15)).toBe(2);
    expect(await stuck.countStuck(30)).toBe(1);
    expect(await stuck.countStuck(24 * 60)).toBe(0);
    const listed = await stuck.listStuck(15);
    expect(listed.map((d) => [d.deliveryId, d.email, d.periodKey, d.attempts, d.subscriberStatus])).toEqual([
      [old, 'old@example.org', 'daily-2026-12-06', 1, 'active'],
      [mid, 'mid@example.org', 'daily-2026-12-06', 1, 'active'],
    ]);
    expect(listed[0]!.claimedAt).toBeInstanceOf(Date);

    const { rows: view } = await sql<{ delivery_id: number; claimed_minutes: number }>`
      SELECT delivery_id, claimed_minutes FROM dashboard.claimed_deliveries WHERE delivery_id IN (${old}, ${mid})`.execute(
      t.db,
    );
    expect(view).toEqual([
      { delivery_id: old, claimed_minutes: 60 },
      { delivery_id: mid, claimed_minutes: 20 },
    ]);

    // Clean up for the next test: these two are finished.
    for (const id of [old, mid]) await subscribers.finishDelivery(id, { status: 'sent' });
    await sql`UPDATE deliveries SET status = 'sent' WHERE status = 'claimed'`.execute(t.db);
  });

  it('releases each stuck delivery once, even to two operators at once; skips those of subscribers gone since', async () => {
    const a = await claimed('a@example.org', 30);
    const b = await claimed('b@example.org', 30);
    const gone = await claimed('gone@example.org', 30);
    const fresh = await claimed('busy@example.org', 2);
    const goneSubscriber = (await subscribers.findByEmail('gone@example.org'))!;
    await subscribers.unsubscribe(goneSubscriber.id);

    expect(await stuck.skipStuckOfInactive(15)).toBe(1);
    expect(await statusOf(gone)).toMatchObject({
      status: 'skipped',
      error: 'stuck, not re-sent: subscriber unsubscribed',
    });

    const [first, second] = await Promise.all([
      t.db.transaction().execute((trx) => new StuckDeliveryRepository(trx).releaseStuck(15)),
      t.db.transaction().execute((trx) => new StuckDeliveryRepository(trx).releaseStuck(15)),
    ]);
    expect([...first!, ...second!].map((r) => r.deliveryId).sort()).toEqual([a, b].sort());
    expect(await statusOf(a)).toMatchObject({ status: 'planned', attempts: 1 });
    expect(await statusOf(fresh)).toMatchObject({ status: 'claimed' });
    // Released: claimable again, once.
    expect(await subscribers.claimDelivery(a)).toMatchObject({ email: 'a@example.org' });
    expect(await subscribers.claimDelivery(a)).toBeNull();
    expect(await stuck.releaseStuck(15)).toEqual([]); // b waits, planned, for its send job
    expect(await stuck.countStuck(15)).toBe(0);
  });
});
