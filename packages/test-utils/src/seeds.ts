import { type Kysely, sql } from 'kysely';

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
           ('2611.00005', 'Labelled as vision', 'labelled as vision', 60, now() - interval '2 hours', now())`.execute(
    db,
  );
  await sql`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
    SELECT id, CASE WHEN title LIKE 'Vision%' THEN 'vision' ELSE 'llm' END, 0.9, 0, 'v' FROM papers`.execute(db);
  await sql`INSERT INTO paper_labels (paper_id, topic_id) SELECT id, 'vision' FROM papers WHERE arxiv_id = '2611.00005'`.execute(
    db,
  );
}

/**
 * 30 papers for the read API's tests: first seen an hour apart, upvotes rising with the index
 * (3 × i), every third about diffusion (topic generative, else llm); aliases alternate between
 * hf-papers and arxiv-list; 2611.20001 has one sighting an hour ago; 2611.20002 (computed llm) is
 * labelled safety.
 */
export async function seedReadApiPapers(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, upvotes, first_seen_at, last_seen_at)
    SELECT '2611.' || (20000 + i), CASE WHEN i % 3 = 0 THEN 'Diffusion models, part ' ELSE 'Language models, part ' END || i, 'k' || i,
           CASE WHEN i % 3 = 0 THEN 'We denoise images with diffusion.' ELSE 'We pretrain transformers on text.' END,
           ARRAY['Author ' || i], i * 3, now() - (i || ' hours')::interval, now() - (i || ' minutes')::interval
    FROM generate_series(1, 30) AS i`.execute(db);
  await sql`INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
            SELECT id, CASE WHEN title LIKE 'Diffusion%' THEN 'generative' ELSE 'llm' END, 0.9, 0, 'v' FROM papers`.execute(
    db,
  );
  await sql`INSERT INTO paper_aliases (source, external_id, paper_id, first_seen_at) SELECT CASE WHEN id % 2 = 0 THEN 'hf-papers' ELSE 'arxiv-list' END, arxiv_id, id, now() FROM papers`.execute(
    db,
  );
  await sql`INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at) SELECT id, 'hf-papers', 'l', 1, upvotes, now() - interval '1 hour' FROM papers WHERE arxiv_id = '2611.20001'`.execute(
    db,
  );
  // A manual label wins over the computed topic, in the API as everywhere (paper 2611.20002: computed llm).
  await sql`INSERT INTO paper_labels (paper_id, topic_id) SELECT id, 'safety' FROM papers WHERE arxiv_id = '2611.20002'`.execute(
    db,
  );
}

/**
 * `count` papers numbered i = 1..count: arXiv id `${arxivPrefix}${arxivBase + i}`, title
 * `${title}${i}`, title key `${titleKey}${i}`, upvotes i, first seen i `step`s ago (hours or
 * minutes), last seen now; with `authors`, one author 'A i'.
 */
export async function seedNumberedPapers(
  db: Kysely<any>,
  options: {
    count: number;
    arxivPrefix: string;
    arxivBase: number;
    title: string;
    titleKey: string;
    step: 'hours' | 'minutes';
    authors?: boolean;
  },
): Promise<void> {
  const { count, arxivPrefix, arxivBase, title, titleKey, step, authors = false } = options;
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, authors, upvotes, first_seen_at, last_seen_at)
    SELECT ${arxivPrefix}::text || (${arxivBase}::int + i), ${title}::text || i, ${titleKey}::text || i,
           CASE WHEN ${authors}::boolean THEN ARRAY['A ' || i] ELSE '{}'::text[] END,
           i, now() - (i || ${` ${step}`}::text)::interval, now()
    FROM generate_series(1, ${count}::int) AS i`.execute(db);
}

/**
 * Two papers for the digest sender's tests, seen now, topic llm: '2611.00001' with a hostile title
 * (markup, quotes, a CR/LF header injection), 50 upvotes; '2611.00002', 10 upvotes.
 */
export async function seedSendDigestPapers(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, upvotes, first_seen_at, last_seen_at)
    VALUES ('2611.00001', ${'Attention <script>alert(1)</script> "quoted"\r\nBcc: evil@example.com'}, 'attention', 'An abstract about language models.', '{Ada Lovelace}', 50, now(), now()),
           ('2611.00002', 'Second paper on LLMs', 'second', 'Another one.', '{Alan Turing}', 10, now(), now())`.execute(
    db,
  );
  await sql`INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version) SELECT id, 'llm', 0.9, 0, 'v' FROM papers`.execute(
    db,
  );
}
