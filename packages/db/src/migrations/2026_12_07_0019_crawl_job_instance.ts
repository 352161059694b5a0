import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 12, the 304 re-crawl. A crawl's retries found its row by the id its first attempt wrote
// onto the job (`job.updateData`: a Redis round trip, and the payload serialized again, on every
// crawl of a page). The job itself now names its crawl: `crawls.job_instance` is the queue, the job
// id and the job's creation time in ms (BullMQ sets it once, when the job is stored; retries and
// delays keep it). Job ids restart when Redis is emptied, their creation times do not repeat, so
// a retry finds its row by this key (INSERT … ON CONFLICT) and a new job never takes an old row.
// Rows before this migration have none (NULL, never a conflict); `job_key` stays informational.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE crawls ADD COLUMN job_instance text`.execute(db);
  await sql`ALTER TABLE crawls ADD CONSTRAINT crawls_job_instance_key UNIQUE (job_instance)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE crawls DROP COLUMN IF EXISTS job_instance`.execute(db);
}
