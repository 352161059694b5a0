import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Full-text search of the read API (`q`) used the expression index papers_search (0005). The index
// answers a bitmap scan, but a plan that walks another index (newest first: papers_first_seen_id;
// trending: trending_order) re-parses title and abstract with to_tsvector for every row it passes.
// The document is now a stored generated column, papers.search_document (same expression, so the
// same matches), computed once when a paper is written; its GIN index replaces papers_search.
//
// Cost at scale, measured 2026-12-07 on the bench data set (1,000,000 papers with abstracts, 20,000,000
// sightings; 2-core dev machine shared with other work, load 4 to 8): 412 s under an exclusive lock on
// papers (ALTER TABLE computes every document and rewrites the table and its indexes, then the GIN
// build); ANALYZE papers 1 s. Run it while nothing ingests; readers of papers wait meanwhile.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE papers ADD COLUMN search_document tsvector
    GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || coalesce(abstract, ''))) STORED`.execute(db);
  await sql`CREATE INDEX papers_search_document ON papers USING gin (search_document)`.execute(db);
  await sql`DROP INDEX IF EXISTS papers_search`.execute(db);
  // Statistics of the new column, so the planner estimates how many rows a search matches.
  await sql`ANALYZE papers`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS papers_search ON papers USING gin (to_tsvector('english', title || ' ' || coalesce(abstract, '')))`.execute(
    db,
  );
  await sql`DROP INDEX IF EXISTS papers_search_document`.execute(db);
  await sql`ALTER TABLE papers DROP COLUMN IF EXISTS search_document`.execute(db);
}
