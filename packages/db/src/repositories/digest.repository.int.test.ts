import { createTestDatabase, seedDigestPapers, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestRepository } from './digest.repository.js';
import { SubscriberRepository } from './subscriber.repository.js';

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
    const hour = new Date().getUTCHours();
    await subscribers.subscribe('due@example.org', { topics: ['llm'], frequency: 'daily', sendHour: 0 }, 'active');
    await subscribers.subscribe('later@example.org', { topics: ['llm'], frequency: 'daily', sendHour: Math.min(hour + 1, 23), timeZone: 'UTC' }, 'active');
    await subscribers.subscribe('tokyo@example.org', { topics: ['llm'], frequency: 'daily', sendHour: 0, timeZone: 'Asia/Tokyo' }, 'active');
    await subscribers.subscribe('pending@example.org', { topics: ['llm'], frequency: 'daily', sendHour: 0 }, 'pending');
    const pages: string[][] = [];
    for await (const page of digests.streamDueSubscribers('daily', { force: false, pageSize: 1 })) pages.push(page.map((s) => s.email));
    const due = pages.flat();
    expect(due).toContain('due@example.org');
    expect(due).toContain('tokyo@example.org');
    expect(due).not.toContain('pending@example.org');
    if (hour < 23) expect(due).not.toContain('later@example.org');
    expect(pages.every((p) => p.length === 1)).toBe(true);

    const all: Array<{ id: number; email: string; periodKey: string }> = [];
    for await (const page of digests.streamDueSubscribers('daily', { force: true })) all.push(...page);
    expect(all.map((s) => s.email).sort()).toEqual(['due@example.org', 'later@example.org', 'tokyo@example.org']);
    const tokyo = all.find((s) => s.email === 'tokyo@example.org')!;
    const tokyoDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
    expect(tokyo.periodKey).toBe(`daily-${tokyoDate}`);
    expect(await digests.planDeliveries(all)).toHaveLength(3);
    expect(await digests.planDeliveries(all)).toHaveLength(0); // a second planner run adds nothing
  });

  it('ranks candidate papers once: score order, labels before computed topics', async () => {
    const ranked = await digests.rankedCandidates();
    expect(ranked.map((p) => p.score)).toEqual([...ranked.map((p) => p.score)].sort((a, b) => b - a));
    expect(ranked.find((p) => p.topics.includes('vision') && p.upvotes === 60)?.topics).toEqual(['vision']); // labelled
    expect(ranked.some((p) => p.upvotes === 500)).toBe(false); // seen 20 days ago
  });
});
