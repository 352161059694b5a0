import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestCandidates } from './candidates.js';

let t: TestDatabase;
let digests: DigestRepository;
let subscribers: SubscriberRepository;

beforeAll(async () => {
  t = await createTestDatabase();
  digests = new DigestRepository(t.db);
  subscribers = new SubscriberRepository(t.db);
  // Five papers seen in the last hours, with topics and upvotes.
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at)
    VALUES ('2611.00001', 'LLM one', 'llm one', 50, now() - interval '2 hours', now()),
           ('2611.00002', 'LLM two', 'llm two', 5, now() - interval '2 hours', now()),
           ('2611.00003', 'Vision one', 'vision one', 80, now() - interval '2 hours', now()),
           ('2611.00004', 'Old LLM', 'old llm', 500, now() - interval '30 days', now() - interval '20 days'),
           ('2611.00005', 'Labelled as vision', 'labelled as vision', 60, now() - interval '2 hours', now())`.execute(t.db);
  await sql`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
    SELECT id, CASE WHEN title LIKE 'Vision%' THEN 'vision' ELSE 'llm' END, 0.9, 0, 'v' FROM papers`.execute(t.db);
  await sql`INSERT INTO paper_labels (paper_id, topic_id) SELECT id, 'vision' FROM papers WHERE arxiv_id = '2611.00005'`.execute(t.db);
});
afterAll(async () => t?.drop());

describe('DigestCandidates', () => {
  it('fills a digest with matching papers, best trending score first, never repeating one', async () => {
    const { id } = await subscribers.subscribe('reader@example.org', { topics: ['llm'], frequency: 'daily', minUpvotes: 10 }, 'active');
    const first = await new DigestCandidates(t.db).digestPapers(id);
    // Not the 5-upvote paper (minimum 10), not the one seen 20 days ago, not vision, not the one labelled vision.
    expect(first.map((p) => p.arxivId)).toEqual(['2611.00001']);
    const [delivery] = await digests.planDeliveries([{ id, email: 'reader@example.org', periodKey: 'daily-x' }]);
    await digests.recordDeliveredPapers(id, delivery!.deliveryId, first.map((p) => p.id));
    expect(await new DigestCandidates(t.db).digestPapers(id)).toEqual([]);

    const vision = await subscribers.subscribe('eyes@example.org', { topics: ['vision'], frequency: 'daily' }, 'active');
    const papers = await new DigestCandidates(t.db).digestPapers(vision.id);
    expect(papers.map((p) => p.arxivId)).toEqual(['2611.00003', '2611.00005']);
    expect(papers[0]!.score).toBeGreaterThan(papers[1]!.score);
  });
});
