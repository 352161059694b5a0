import { sql, type Kysely } from 'kysely';

/**
 * Five papers for digest tests, seen in the last hours unless said: "LLM one" (50 upvotes),
 * "LLM two" (5), "Vision one" (80), "Old LLM" (500, last seen 20 days ago), and "Labelled as
 * vision" (60, computed llm, labelled vision).
 */
export async function seedDigestPapers(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at)
    VALUES ('2611.00001', 'LLM one', 'llm one', 50, now() - interval '2 hours', now()),
           ('2611.00002', 'LLM two', 'llm two', 5, now() - interval '2 hours', now()),
           ('2611.00003', 'Vision one', 'vision one', 80, now() - interval '2 hours', now()),
           ('2611.00004', 'Old LLM', 'old llm', 500, now() - interval '30 days', now() - interval '20 days'),
           ('2611.00005', 'Labelled as vision', 'labelled as vision', 60, now() - interval '2 hours', now())`.execute(db);
  await sql`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
    SELECT id, CASE WHEN title LIKE 'Vision%' THEN 'vision' ELSE 'llm' END, 0.9, 0, 'v' FROM papers`.execute(db);
  await sql`INSERT INTO paper_labels (paper_id, topic_id) SELECT id, 'vision' FROM papers WHERE arxiv_id = '2611.00005'`.execute(db);
}
