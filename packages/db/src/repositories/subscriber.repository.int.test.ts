import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscriberRepository } from './subscriber.repository.js';

let t: TestDatabase;
let repo: SubscriberRepository;
beforeAll(async () => {
  t = await createTestDatabase();
  repo = new SubscriberRepository(t.db);
});
afterAll(async () => t?.drop());

describe('SubscriberRepository', () => {
  it('subscribes once per address; a known address keeps its status', async () => {
    const first = await repo.subscribe('ada@example.org', { topics: ['llm'], frequency: 'daily' }, 'pending');
    expect(first).toMatchObject({ status: 'pending', created: true });
    const again = await repo.subscribe('ada@example.org', { topics: ['vision'], frequency: 'weekly' }, 'pending');
    expect(again).toMatchObject({ id: first.id, status: 'pending', created: false });
    expect(await repo.confirm(first.id)).toBe(true);
    expect(await repo.confirm(first.id)).toBe(false);
    const prefs = await t.db
      .selectFrom('subscriber_preferences')
      .selectAll()
      .where('subscriber_id', '=', first.id)
      .executeTakeFirstOrThrow();
    expect(prefs).toMatchObject({ topics: ['vision'], frequency: 'weekly', send_hour: 8, time_zone: 'UTC' });
  });

  it('plans one delivery per subscriber and period, and claims it at most once, even when racing', async () => {
    const { id } = await repo.subscribe('grace@example.org', { topics: [], frequency: 'daily' }, 'active');
    const planned = await repo.planDelivery(id, 'daily-2026-11-28');
    expect(planned).not.toBeNull();
    expect(await repo.planDelivery(id, 'daily-2026-11-28')).toBeNull();
    const claims = await Promise.all(Array.from({ length: 8 }, () => repo.claimDelivery(planned!)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await repo.releaseDelivery(planned!, 'SMTP 451 try later');
    expect(await repo.claimDelivery(planned!)).toMatchObject({
      email: 'grace@example.org',
      periodKey: 'daily-2026-11-28',
    });
    await repo.finishDelivery(planned!, { status: 'sent', messageId: '<x@y>', response: '250 ok' });
    expect(await repo.claimDelivery(planned!)).toBeNull();
    const row = await t.db.selectFrom('deliveries').selectAll().where('id', '=', planned!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', attempts: 2, message_id: '<x@y>' });
  });

  it('an unsubscribe skips planned deliveries and blocks claims', async () => {
    const { id } = await repo.subscribe('alan@example.org', { topics: [], frequency: 'daily' }, 'active');
    const planned = await repo.planDelivery(id, 'daily-2026-11-29');
    await repo.unsubscribe(id);
    await repo.unsubscribe(id);
    expect(await repo.claimDelivery(planned!)).toBeNull();
    const row = await t.db
      .selectFrom('deliveries')
      .select(['status', 'error'])
      .where('id', '=', planned!)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'skipped', error: 'unsubscribed' });
    expect((await repo.findByEmail('alan@example.org'))?.status).toBe('unsubscribed');
  });
});
