import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  await db.schema
    .createTable('papers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('arxiv_id', 'text', (c) => c.unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('title_key', 'text', (c) => c.notNull())
    .addColumn('abstract', 'text')
    .addColumn('authors', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('author_keys', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('categories', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('url', 'text')
    .addColumn('published_at', 'timestamptz')
    .addColumn('upvotes', 'integer')
    .addColumn('comments', 'integer')
    .addColumn('counts_seen_at', 'timestamptz')
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // A paper without an arXiv id is identified by its normalized title: the database,
  // not the code, guarantees there is only one such paper per title.
  await sql`CREATE UNIQUE INDEX papers_title_key_without_arxiv_id ON papers (title_key) WHERE arxiv_id IS NULL`.execute(db);
  await sql`CREATE INDEX papers_title_key ON papers (title_key)`.execute(db);
  // Trigram index for near-duplicate titles. On an expression (title_key is already lower case) so
  // that the planner never picks it for the exact-title look-ups, which the btree answers far faster.
  await sql`CREATE INDEX papers_title_key_trgm ON papers USING gin (lower(title_key) gin_trgm_ops)`.execute(db);

  await db.schema
    .createTable('paper_aliases')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('paper_id', 'bigint', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('paper_aliases_pkey', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('paper_aliases_paper_id').on('paper_aliases').column('paper_id').execute();

  await db.schema
    .createTable('page_fetches')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('final_url', 'text')
    .addColumn('status', 'integer')
    .addColumn('bytes', 'integer')
    .addColumn('content_hash', 'text')
    .addColumn('content_type', 'text')
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('entries', 'integer')
    .addColumn('warnings', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('error', 'text')
    .execute();
  await sql`CREATE INDEX page_fetches_url_fetched_at ON page_fetches (url, fetched_at DESC)`.execute(db);
  await sql`CREATE INDEX page_fetches_source_fetched_at ON page_fetches (source, fetched_at DESC)`.execute(db);

  await db.schema
    .createTable('sightings')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('paper_id', 'bigint', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('listing', 'text', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addColumn('upvotes', 'integer')
    .addColumn('comments', 'integer')
    .addColumn('seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('fetch_id', 'bigint', (c) => c.references('page_fetches.id').onDelete('set null'))
    // One sighting per paper per listing observation: a retried job writes nothing twice.
    .addUniqueConstraint('sightings_observation', ['paper_id', 'source', 'listing', 'seen_at'])
    .execute();
  // The unique constraint's leading paper_id answers a paper's history; indexes for dashboards come with them.

  await db.schema
    .createTable('paper_topics')
    .addColumn('paper_id', 'bigint', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('topic_id', 'text', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .addColumn('position', 'smallint', (c) => c.notNull())
    .addColumn('evidence', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('taxonomy_version', 'text', (c) => c.notNull())
    .addColumn('classified_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('paper_topics_pkey', ['paper_id', 'topic_id'])
    .execute();
  await db.schema.createIndex('paper_topics_topic').on('paper_topics').columns(['topic_id', 'score']).execute();

  // Manual labels win over computed topics.
  await db.schema
    .createTable('paper_labels')
    .addColumn('paper_id', 'bigint', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('topic_id', 'text', (c) => c.notNull())
    .addColumn('labelled_by', 'text')
    .addColumn('labelled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('paper_labels_pkey', ['paper_id', 'topic_id'])
    .execute();

  // Entries a page showed that could not be used, kept with their raw data.
  await db.schema
    .createTable('rejected_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('fetch_id', 'bigint', (c) => c.references('page_fetches.id').onDelete('set null'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('listing', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('rejected_entries_observation', ['source', 'listing', 'seen_at', 'rank'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['rejected_entries', 'paper_labels', 'paper_topics', 'sightings', 'page_fetches', 'paper_aliases', 'papers']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
