import type { Database } from '@paperboy/db';
import { type Kysely, sql } from 'kysely';

type Db = Kysely<Database>;

/** An outbox row as the emitters' tests read it. */
export interface OutboxEventRow {
  position: { tx: string; id: string };
  type: string;
  version: number;
  paperId: number | null;
  source: string | null;
  topics: string[];
  data: unknown;
  dedupeKey: string | null;
}

/**
 * Every event of the outbox in position order, committed ones only, settled or not: a test must not
 * wait for other test databases' transactions (transaction ids, and so the readers' "settled", are
 * the whole server's).
 */
export async function outboxEvents(db: Db, options: { types?: readonly string[] } = {}): Promise<OutboxEventRow[]> {
  const types = [...(options.types ?? [])];
  const { rows } = await sql<OutboxEventRow & { tx: string; id: string }>`
    SELECT tx_id::text AS tx, id::text AS id, type, version, paper_id AS "paperId", source, topics, data,
      dedupe_key AS "dedupeKey"
    FROM events WHERE cardinality(${types}::text[]) = 0 OR type = ANY(${types}::text[])
    ORDER BY events.tx_id, events.id`.execute(db);
  return rows.map(({ tx, id, ...row }) => ({ ...row, position: { tx, id } }));
}

/**
 * Makes every insert into `events` sleep `sleepSeconds` (a writer then sits, its change written,
 * just inside its outbox insert: where a crash is most telling) or fail with `error`. Undo it with
 * `unblockEventInserts`.
 */
export async function blockEventInserts(db: Db, how: { sleepSeconds: number } | { error: string }): Promise<void> {
  const body =
    'sleepSeconds' in how
      ? `PERFORM pg_sleep(${Number(how.sleepSeconds)}); RETURN NEW;`
      : `RAISE EXCEPTION '%', ${sqlLiteral(how.error)};`;
  await sql
    .raw(`CREATE OR REPLACE FUNCTION test_block_events() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} END $$`)
    .execute(db);
  await sql`DROP TRIGGER IF EXISTS test_block_events ON events`.execute(db);
  await sql`CREATE TRIGGER test_block_events BEFORE INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION test_block_events()`.execute(
    db,
  );
}

export async function unblockEventInserts(db: Db): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS test_block_events ON events`.execute(db);
}

const sqlLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;
