import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// Where a paper's link and headline counts came from, so that a listing paperboy reads (written by a
// stranger) cannot replace a canonical link or count: see packages/pipeline/src/provenance.ts.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('papers')
    .addColumn('url_source', 'text')
    .addColumn('url_origin', 'text', (c) => c.check(sql`url_origin IN ('canonical', 'arxiv', 'listing', 'legacy')`))
    .addColumn('counts_source', 'text')
    .addColumn('counts_origin', 'text', (c) => c.check(sql`counts_origin IN ('canonical', 'listing', 'legacy')`))
    .execute();
  // Links stored before this migration have no known origin. On an arXiv paper, one that points
  // off arXiv and Hugging Face may have been planted by a listing: it becomes the arXiv link.
  await sql`
    UPDATE papers SET url = 'https://arxiv.org/abs/' || arxiv_id, url_origin = 'arxiv'
    WHERE arxiv_id IS NOT NULL AND (url IS NULL OR url !~ '^https://(www\\.|export\\.)?(arxiv\\.org|huggingface\\.co)/')`.execute(db);
  await sql`UPDATE papers SET url_origin = 'legacy' WHERE url IS NOT NULL AND url_origin IS NULL`.execute(db);
  await sql`UPDATE papers SET counts_origin = 'legacy' WHERE counts_seen_at IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('papers').dropColumn('url_source').dropColumn('url_origin').dropColumn('counts_source').dropColumn('counts_origin').execute();
}
