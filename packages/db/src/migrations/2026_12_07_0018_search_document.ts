import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Full-text search of the read API (`q`) used the expression index papers_search (0005). The index
// answers a bitmap scan, but a plan that walks another index (newest first: papers_first_seen_id;
// trending: trending_order) re-parses title and abstract with to_tsvector for every row it passes.
// The document is now a stored generated column, papers.search_document (same expression, so the
// same matches), computed once when a paper is written; its GIN index replaces papers_search.
//
// Cost at scale (1,000,000 papers with abstracts, 2-core dev machine shared with other work, load ~5):
// see MIGRATION_TIMING below (ALTER TABLE rewrites the table; then the index build).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE papers ADD COLUMN search_document tsvector
    GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || coalesce(abstract, ''))) STORED`.execute(db);
  await sql`CREATE INDEX papers_search_document ON papers USING gin (search_document)`.execute(db);
  await sql`DROP INDEX IF EXISTS papers_search`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS papers_search ON papers USING gin (to_tsvector('english', title || ' ' || coalesce(abstract, '')))`.execute(
    db,
  );
  await sql`DROP INDEX IF EXISTS papers_search_document`.execute(db);
  await sql`ALTER TABLE papers DROP COLUMN IF EXISTS search_document`.execute(db);
}
