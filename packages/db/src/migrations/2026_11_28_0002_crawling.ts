import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<any>): Promise<void> {
  // Conditional GET state and the adapter that read the page, per fetch.
  await db.schema
    .alterTable('page_fetches')
    .addColumn('adapter', 'text')
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('not_modified', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('crawl_id', 'bigint')
    .execute();

  // Raw archive: each distinct body once, compressed, kept until it has not been fetched for the retention period.
  await db.schema
    .createTable('page_bodies')
    .addColumn('content_hash', 'text', (c) => c.primaryKey())
    .addColumn('encoding', 'text', (c) => c.notNull())
    .addColumn('body', 'bytea', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('stored_bytes', 'integer', (c) => c.notNull())
    .addColumn('content_type', 'text')
    .addColumn('first_fetched_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_fetched_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('page_bodies_last_fetched_at').on('page_bodies').column('last_fetched_at').execute();

  // One row per crawl of one page of a source: what source health is computed from.
  await db.schema
    .createTable('crawls')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    // The crawl job (queue prefix and job id): its retries update this row instead of adding one.
    .addColumn('job_key', 'text', (c) => c.unique())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'integer')
    .addColumn('outcome', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('entries', 'integer')
    .addColumn('batches', 'integer')
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('warnings', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('duration_ms', 'integer')
    .addColumn('suspect', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('suspect_reason', 'text')
    .execute();
  await sql`CREATE INDEX crawls_source_started_at ON crawls (source, started_at DESC)`.execute(db);

  // What each ingest batch of a crawl stored; one row per batch, so a retried batch counts once.
  await db.schema
    .createTable('crawl_batches')
    .addColumn('crawl_id', 'bigint', (c) => c.notNull().references('crawls.id').onDelete('cascade'))
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('new', 'integer', (c) => c.notNull())
    .addColumn('updated', 'integer', (c) => c.notNull())
    .addColumn('merged', 'integer', (c) => c.notNull())
    .addColumn('rejected', 'integer', (c) => c.notNull())
    .addColumn('stored_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('crawl_batches_pkey', ['crawl_id', 'chunk'])
    .execute();

  // Backfills, resumable: the next date still to do.
  await db.schema
    .createTable('backfills')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('from_date', 'date', (c) => c.notNull())
    .addColumn('to_date', 'date', (c) => c.notNull())
    .addColumn('next_date', 'date', (c) => c.notNull())
    .addColumn('pages_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pages_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addUniqueConstraint('backfills_range', ['source', 'from_date', 'to_date'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['backfills', 'crawl_batches', 'crawls', 'page_bodies']) await db.schema.dropTable(table).ifExists().execute();
  await db.schema
    .alterTable('page_fetches')
    .dropColumn('adapter')
    .dropColumn('etag')
    .dropColumn('last_modified')
    .dropColumn('not_modified')
    .dropColumn('crawl_id')
    .execute();
}
