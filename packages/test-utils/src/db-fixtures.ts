import type { Database, NewCrawlRow, NewPaperRow, NewPaperTopic, NewSighting, NewSubscriber } from '@paperboy/db';
import { type Insertable, type Kysely, sql } from 'kysely';

// What the services' tests do to the database besides calling repositories: seed rows, move a
// timestamp back, count rows, break a table on purpose. Kept here so that no SQL lives in the
// services (the issue-11 rule: `grep -rn 'sql\`' services packages/cli` finds nothing).

type Db = Kysely<Database>;

export async function insertPaperRows(db: Db, rows: readonly NewPaperRow[]): Promise<number[]> {
  const inserted = await db
    .insertInto('papers')
    .values([...rows])
    .returning('id')
    .execute();
  return inserted.map((r) => r.id);
}

export async function deletePaperByArxivId(db: Db, arxivId: string): Promise<void> {
  await db.deleteFrom('papers').where('arxiv_id', '=', arxivId).execute();
}

export async function setPaperUpvotes(db: Db, arxivId: string, upvotes: number): Promise<void> {
  await db.updateTable('papers').set({ upvotes }).where('arxiv_id', '=', arxivId).execute();
}

export async function insertPaperTopicRows(db: Db, rows: readonly NewPaperTopic[]): Promise<void> {
  await db
    .insertInto('paper_topics')
    .values([...rows])
    .execute();
}

export async function insertSightingRows(db: Db, rows: readonly NewSighting[]): Promise<void> {
  await db
    .insertInto('sightings')
    .values([...rows])
    .execute();
}

export async function insertCrawlRow(db: Db, row: NewCrawlRow): Promise<void> {
  await db.insertInto('crawls').values(row).execute();
}

/** A subscriber row as given, bypassing the repository's checks (e.g. a row written by an older version). */
export async function insertSubscriberRow(db: Db, row: NewSubscriber): Promise<number> {
  const { id } = await db.insertInto('subscribers').values(row).returning('id').executeTakeFirstOrThrow();
  return id;
}

/** Preferences as given, bypassing validation (e.g. a time zone Postgres does not know). */
export async function insertPreferencesRow(db: Db, row: Insertable<Database['subscriber_preferences']>): Promise<void> {
  await db.insertInto('subscriber_preferences').values(row).execute();
}

export async function setPreferenceTopics(db: Db, subscriberId: number, topics: string[]): Promise<void> {
  await db.updateTable('subscriber_preferences').set({ topics }).where('subscriber_id', '=', subscriberId).execute();
}

/** As if a delivery had been planned and/or claimed that many minutes ago. */
export async function backdateDelivery(
  db: Db,
  deliveryId: number,
  ago: { plannedMinutes?: number; claimedMinutes?: number },
): Promise<void> {
  const minutesAgo = (minutes: number) => sql<Date>`now() - ${minutes} * interval '1 minute'`;
  await db
    .updateTable('deliveries')
    .set({
      ...(ago.plannedMinutes === undefined ? {} : { planned_at: minutesAgo(ago.plannedMinutes) }),
      ...(ago.claimedMinutes === undefined ? {} : { claimed_at: minutesAgo(ago.claimedMinutes) }),
    })
    .where('id', '=', deliveryId)
    .execute();
}

/** As if a subscriber's confirmation-mail window had opened that many minutes ago. */
export async function backdateConfirmationWindow(db: Db, subscriberId: number, minutes: number): Promise<void> {
  await db
    .updateTable('subscribers')
    .set({ confirmation_window_at: sql<Date>`now() - ${minutes} * interval '1 minute'` })
    .where('id', '=', subscriberId)
    .execute();
}

/** Rows of a table (any table or partition, by name), optionally those where `column op value`. */
export async function countRows(
  db: Kysely<any>,
  table: string,
  where?: [column: string, op: '=' | 'like', value: unknown],
): Promise<number> {
  const filter = where
    ? sql`${sql.ref(where[0])} ${sql.raw(where[1] === 'like' ? 'LIKE' : '=')} ${where[2]}`
    : sql`true`;
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${filter}`.execute(
    db,
  );
  return rows[0]!.n;
}

/** Papers without any sighting (a batch stored half). */
export async function countPapersWithoutSightings(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM papers p WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.paper_id = p.id)`.execute(
    db,
  );
  return rows[0]!.n;
}

/** Title keys held by more than one paper. */
export async function countDuplicateTitleKeys(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (SELECT title_key FROM papers GROUP BY title_key HAVING count(*) > 1) d`.execute(db);
  return rows[0]!.n;
}

/** dashboard.topic_trends as (topic_id, papers, upvotes_sum) rows. */
export async function topicTrendRows(
  db: Db,
): Promise<Array<{ topic_id: string | null; papers: number; upvotes_sum: number }>> {
  const { rows } = await sql<{ topic_id: string | null; papers: number; upvotes_sum: number }>`
    SELECT topic_id, papers, upvotes_sum::int FROM dashboard.topic_trends`.execute(db);
  return rows;
}

/** Drops a table (e.g. a sightings partition, as if it had never been created). */
export async function dropTable(db: Kysely<any>, table: string): Promise<void> {
  await sql`DROP TABLE ${sql.table(table)}`.execute(db);
}

/** Renames a table (e.g. to make every query on it fail). */
export async function renameTable(db: Kysely<any>, from: string, to: string): Promise<void> {
  await sql`ALTER TABLE ${sql.table(from)} RENAME TO ${sql.id(to)}`.execute(db);
}

/** Whether this connection's server is a standby (in recovery). */
export async function isInRecovery(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ r: boolean }>`SELECT pg_is_in_recovery() AS r`.execute(db);
  return rows[0]!.r;
}
