import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import { createTestDatabase, seedDigestPapers, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestCandidates } from './candidates.js';

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

describe('DigestCandidates', () => {
  it('fills a digest with matching papers, best trending score first, never repeating one', async () => {
    const { id } = await subscribers.subscribe(
      'reader@example.org',
      { topics: ['llm'], frequency: 'daily', minUpvotes: 10 },
      'active',
    );
    const first = await new DigestCandidates(t.db).digestPapers(id);
    // Not the 5-upvote paper (minimum 10), not the one seen 20 days ago, not vision, not the one labelled vision.
    expect(first.map((p) => p.arxivId)).toEqual(['2611.00001']);
    const [delivery] = await digests.planDeliveries([{ id, email: 'reader@example.org', periodKey: 'daily-x' }]);
    await digests.recordDeliveredPapers(
      id,
      delivery!.deliveryId,
      first.map((p) => p.id),
    );
    expect(await new DigestCandidates(t.db).digestPapers(id)).toEqual([]);

    const vision = await subscribers.subscribe(
      'eyes@example.org',
      { topics: ['vision'], frequency: 'daily' },
      'active',
    );
    const papers = await new DigestCandidates(t.db).digestPapers(vision.id);
    expect(papers.map((p) => p.arxivId)).toEqual(['2611.00003', '2611.00005']);
    expect(papers[0]!.score).toBeGreaterThan(papers[1]!.score);
  });
});
