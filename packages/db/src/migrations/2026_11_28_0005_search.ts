import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<any>): Promise<void> {
  // Full-text search of the read API (`q`): titles and abstracts, English stemming.
  await sql`CREATE INDEX papers_search ON papers USING gin (to_tsvector('english', title || ' ' || coalesce(abstract, '')))`.execute(db);
  // Newest-first listing with a keyset cursor.
  await sql`CREATE INDEX papers_first_seen_id ON papers (first_seen_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS papers_search`.execute(db);
  await sql`DROP INDEX IF EXISTS papers_first_seen_id`.execute(db);
}
