import { createTestDatabase, seedDigestPapers, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestRepository } from './digest.repository.js';
import { SubscriberRepository } from './subscriber.repository.js';
import { TimeZoneRepository } from './time-zone.repository.js';

let t: TestDatabase;
let digests: DigestRepository;
let subscribers: SubscriberRepository;

beforeAll(async () => {
  t = await createTestDatabase();
  digests = new DigestRepository(t.db);
  subscribers = new SubscriberRepository(t.db);
  await seedDigestPapers(t.db);
});
afterAll(async () => t?.drop());

describe('DigestRepository', () => {
  it('plans one delivery per subscriber and period, streaming due subscribers in pages', async () => {
    // 'later' lives where it is now noon (12:00-12:59 local, whatever the UTC hour) and wants its
    // digest at 18:00: never due during this test, so the assertion below holds at every hour of
    // the day (it used to be skipped from 23:00 UTC, and when an hour began mid-test).
    const offset = 12 - new Date().getUTCHours(); // -11 .. +12 hours from UTC
    const noonZone = offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`; // Etc/GMT-5 is UTC+5
    await subscribers.subscribe('due@example.org', { topics: ['llm'], frequency: 'daily', sendHour: 0 }, 'active');
    await subscribers.subscribe(
      'later@example.org',
      { topics: ['llm'], frequency: 'daily', sendHour: 18, timeZone: noonZone },
      'active',
    );
    await subscribers.subscribe(
      'tokyo@example.org',
      { topics: ['llm'], frequency: 'daily', sendHour: 0, timeZone: 'Asia/Tokyo' },
      'active',
    );
    await subscribers.subscribe('pending@example.org', { topics: ['llm'], frequency: 'daily', sendHour: 0 }, 'pending');
    const pages: string[][] = [];
    for await (const page of digests.streamDueSubscribers('daily', { force: false, pageSize: 1 }))
      pages.push(page.map((s) => s.email));
    const due = pages.flat();
    expect(due).toContain('due@example.org');
    expect(due).toContain('tokyo@example.org');
    expect(due).not.toContain('pending@example.org');
    expect(due).not.toContain('later@example.org');
    expect(pages.every((p) => p.length === 1)).toBe(true);

    const all: Array<{ id: number; email: string; periodKey: string }> = [];
    const before = new Date();
    for await (const page of digests.streamDueSubscribers('daily', { force: true })) all.push(...page);
    const after = new Date();
    expect(all.map((s) => s.email).sort()).toEqual(['due@example.org', 'later@example.org', 'tokyo@example.org']);
    const tokyo = all.find((s) => s.email === 'tokyo@example.org')!;
    // Tokyo's date at the planner's now(), which lies between these two readings: they differ only
    // when Tokyo's midnight (15:00 UTC) passed meanwhile, and then either date is right.
    const tokyoDate = (at: Date) => `daily-${new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(at)}`;
    expect([tokyoDate(before), tokyoDate(after)]).toContain(tokyo.periodKey);
    expect(await digests.planDeliveries(all)).toHaveLength(3);
    expect(await digests.planDeliveries(all)).toHaveLength(0); // a second planner run adds nothing
  });

  it('ranks candidate papers once: score order, labels before computed topics', async () => {
    const ranked = await digests.rankedCandidates();
    expect(ranked.map((p) => p.score)).toEqual([...ranked.map((p) => p.score)].sort((a, b) => b - a));
    expect(ranked.find((p) => p.topics.includes('vision') && p.upvotes === 60)?.topics).toEqual(['vision']); // labelled
    expect(ranked.some((p) => p.upvotes === 500)).toBe(false); // seen 20 days ago
  });

  it('a time zone Intl accepts but Postgres does not (a row written before validation) is skipped and reported, not fatal', async () => {
    // Zones this Node accepts and Postgres 15 refuses; written straight into the table, as old code could.
    const { rows } = await sql<{ id: number }>`
      INSERT INTO subscribers (email, status, confirmed_at) VALUES ('pacific-new@example.org', 'active', now()), ('saskatchewan@example.org', 'active', now())
      RETURNING id`.execute(t.db);
    await sql`
      INSERT INTO subscriber_preferences (subscriber_id, topics, frequency, send_hour, time_zone)
      VALUES (${rows[0]!.id}, '{llm}', 'weekly', 0, 'US/Pacific-New'), (${rows[1]!.id}, '{llm}', 'weekly', 0, 'Canada/East-Saskatchewan')`.execute(
      t.db,
    );
    await subscribers.subscribe(
      'weekly-ok@example.org',
      { topics: ['llm'], frequency: 'weekly', timeZone: 'Europe/Paris' },
      'active',
    );
    await subscribers.subscribe(
      'weekly-lower@example.org',
      { topics: ['llm'], frequency: 'weekly', timeZone: 'america/new_york' },
      'active',
    );
    const due: string[] = [];
    for await (const page of digests.streamDueSubscribers('weekly', { force: true }))
      due.push(...page.map((s) => s.email));
    expect(due.sort()).toEqual(['weekly-lower@example.org', 'weekly-ok@example.org']);
    // Not forced: the local hour is computed for every row; the bad ones must not make it throw.
    for await (const page of digests.streamDueSubscribers('weekly', { force: false }))
      expect(page.map((s) => s.email)).not.toContain('pacific-new@example.org');
    expect(await digests.unknownTimeZones('weekly')).toEqual([
      { subscriberId: rows[0]!.id, timeZone: 'US/Pacific-New' },
      { subscriberId: rows[1]!.id, timeZone: 'Canada/East-Saskatchewan' },
    ]);
    expect(await digests.unknownTimeZones('daily')).toEqual([]);
  });

  it('knows which time zones a subscriber may choose: those Postgres and Intl both know', async () => {
    const zones = new TimeZoneRepository(t.db);
    expect(await zones.isKnown('Europe/Paris')).toBe(true);
    expect(await zones.isKnown('europe/paris')).toBe(true);
    expect(await zones.isKnown('UTC')).toBe(true);
    expect(await zones.isKnown('US/Pacific-New')).toBe(false); // Intl accepts it
    expect(await zones.isKnown('Canada/East-Saskatchewan')).toBe(false);
    expect(await zones.isKnown('Mars/Olympus')).toBe(false);
    expect(await zones.isKnown('Factory')).toBe(false); // Postgres knows it, Intl does not
    expect(await zones.isKnown('')).toBe(false);
  });
});
