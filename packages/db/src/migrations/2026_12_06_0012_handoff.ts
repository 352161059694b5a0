import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 10, the Postgres→Redis hand-off. A fetch was recorded (with its ETag and content hash)
// before its ingest batches were enqueued: when the enqueue failed, the retry's conditional GET
// answered 304 and the papers were lost. A fetch now counts as seen (its validators used for the
// conditional GET and the "unchanged" check) only once its batches are in the queue:
// `enqueued_at` is set after the enqueue succeeds. `batch_size` records how the entries were
// chunked, so the reconciler can rebuild exactly the missing chunks from the archived body.
//
// Crawl identity: `crawls.job_key` came from BullMQ job ids, which restart at 1 when Redis is
// emptied; a new crawl then took over an old crawl's row. The crawl row's own id (issued by
// Postgres, carried on the job) is now the identity, and `job_key` is informational, not unique.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('page_fetches')
    .addColumn('enqueued_at', 'timestamptz')
    .addColumn('batch_size', 'integer')
    .execute();
  // Fetches before this migration were recorded under the old rule: taken as enqueued, as they were treated.
  await sql`UPDATE page_fetches SET enqueued_at = fetched_at`.execute(db);
  // The reconciler's look-up: recent fetches whose batches were enqueued, by when.
  await sql`CREATE INDEX page_fetches_enqueued_at ON page_fetches (enqueued_at) WHERE batch_size IS NOT NULL`.execute(db);

  await sql`ALTER TABLE crawls DROP CONSTRAINT crawls_job_key_key`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS page_fetches_enqueued_at`.execute(db);
  await db.schema.alterTable('page_fetches').dropColumn('enqueued_at').dropColumn('batch_size').execute();
  // Keys repeated since up() cannot be made unique again: keep the newest crawl's.
  await sql`UPDATE crawls c SET job_key = NULL WHERE EXISTS (SELECT 1 FROM crawls n WHERE n.job_key = c.job_key AND n.id > c.id)`.execute(db);
  await sql`ALTER TABLE crawls ADD CONSTRAINT crawls_job_key_key UNIQUE (job_key)`.execute(db);
}
