import { sql, type Kysely } from 'kysely';

/**
 * `sightings` becomes a table partitioned by month of `seen_at` (RANGE, UTC month boundaries), so an
 * old month can be detached (and archived or dropped) without a DELETE of millions of rows.
 *
 * - Partitions are `sightings_yYYYYmMM`, plus `sightings_default` for any row no month partition
 *   takes (a month not created yet, or one that was detached): nothing is ever refused.
 * - `sightings_ensure_partitions(months_ahead)` creates the partitions of the current month and the
 *   next `months_ahead` ones when missing, moving any rows of those months out of the default
 *   partition first (ATTACH refuses while the default holds rows of the new range). Idempotent,
 *   serialized by an advisory lock. The nightly full dashboard rebuild calls it; so does this migration.
 * - Unique constraints of a partitioned table must contain the partition key. `sightings_observation`
 *   (paper_id, source, listing, seen_at), which `ON CONFLICT ON CONSTRAINT sightings_observation`
 *   targets, already does: same name, same meaning. The primary key becomes (id, seen_at); ids still
 *   come from the same sequence (unique by construction), and nothing references sightings.id.
 * - The conversion copies every row into the new table under an ACCESS EXCLUSIVE lock (writers wait
 *   for it: on a large table, run it while nothing ingests), repoints the views that read sightings
 *   (their current definitions, re-created as they are), re-creates the triggers, then drops the old
 *   table. Rows, ids, constraint and index names are the same afterwards.
 * Frozen: written against Kysely<any>, no application imports.
 */

/** Views, triggers and comments defined on `relation`, as SQL that re-creates them against the name `sightings`. */
async function dependentsOf(db: Kysely<any>, relation: string): Promise<string[]> {
  const views = await sql<{ statement: string }>`
    SELECT DISTINCT format('CREATE OR REPLACE VIEW %s AS %s', v.oid::regclass, pg_get_viewdef(v.oid)) AS statement
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
    WHERE d.refobjid = ${relation}::regclass AND v.oid <> ${relation}::regclass AND v.relkind = 'v'`.execute(db);
  const triggers = await sql<{ statement: string }>`
    SELECT pg_get_triggerdef(oid) AS statement FROM pg_trigger WHERE tgrelid = ${relation}::regclass AND NOT tgisinternal`.execute(db);
  return [...views.rows, ...triggers.rows].map((r) => r.statement);
}

/** Moves every row of `from` into `to` and swaps them: `to` ends up named sightings, with sightings' dependents. */
async function swap(db: Kysely<any>, build: () => Promise<void>): Promise<void> {
  await sql`LOCK TABLE sightings IN ACCESS EXCLUSIVE MODE`.execute(db);
  // Captured while their text still names the old table `sightings`: executed after the swap, it names the new one.
  const dependents = await dependentsOf(db, 'sightings');
  await build();
  await sql`INSERT INTO sightings_new (id, paper_id, source, listing, rank, upvotes, comments, seen_at, fetch_id)
            SELECT id, paper_id, source, listing, rank, upvotes, comments, seen_at, fetch_id FROM sightings`.execute(db);
  // The sequence must outlive the old table (it is owned by the old column).
  await sql`ALTER SEQUENCE sightings_id_seq OWNED BY sightings_new.id`.execute(db);
  await sql`ALTER TABLE sightings RENAME TO sightings_old`.execute(db);
  await sql`ALTER TABLE sightings_new RENAME TO sightings`.execute(db);
  // Triggers are re-created after the copy: the rows did not change, no dashboard day needs marking.
  for (const statement of dependents) await sql.raw(statement).execute(db);
  await sql`DROP TABLE sightings_old`.execute(db);
  for (const [from, to] of [
    ['sightings_new_pkey', 'sightings_pkey'],
    ['sightings_new_observation', 'sightings_observation'],
    ['sightings_new_paper_id_fkey', 'sightings_paper_id_fkey'],
    ['sightings_new_fetch_id_fkey', 'sightings_fetch_id_fkey'],
  ]) {
    await sql.raw(`ALTER TABLE sightings RENAME CONSTRAINT ${from} TO ${to}`).execute(db);
  }
  await sql`CREATE INDEX sightings_seen_day_utc ON sightings (((seen_at AT TIME ZONE 'UTC')::date))`.execute(db);
  await sql`CREATE INDEX sightings_seen_at ON sightings (seen_at)`.execute(db);
}

const COLUMNS = sql`
  id bigint NOT NULL DEFAULT nextval('sightings_id_seq'),
  paper_id bigint NOT NULL CONSTRAINT sightings_new_paper_id_fkey REFERENCES papers (id) ON DELETE CASCADE,
  source text NOT NULL,
  listing text NOT NULL,
  rank integer NOT NULL,
  upvotes integer,
  comments integer,
  seen_at timestamptz NOT NULL,
  fetch_id bigint CONSTRAINT sightings_new_fetch_id_fkey REFERENCES page_fetches (id) ON DELETE SET NULL`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION sightings_ensure_partitions(months_ahead integer DEFAULT 3) RETURNS integer
    LANGUAGE plpgsql AS $$
    DECLARE
      first_month timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
      month_start timestamptz;
      month_end timestamptz;
      part text;
      created integer := 0;
    BEGIN
      -- One caller at a time: two processes creating the same month would collide.
      PERFORM pg_advisory_xact_lock(hashtext('sightings_ensure_partitions'));
      FOR i IN 0..greatest(months_ahead, 0) LOOP
        month_start := (first_month AT TIME ZONE 'UTC' + make_interval(months => i)) AT TIME ZONE 'UTC';
        month_end := (first_month AT TIME ZONE 'UTC' + make_interval(months => i + 1)) AT TIME ZONE 'UTC';
        part := 'sightings_' || to_char(month_start AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        -- Built apart, filled with that month's rows from the default partition, then attached
        -- (ATTACH refuses while the default partition still holds rows of the new range).
        EXECUTE format('CREATE TABLE %I (LIKE sightings INCLUDING DEFAULTS)', part);
        EXECUTE format('WITH moved AS (DELETE FROM sightings_default WHERE seen_at >= %L AND seen_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       month_start, month_end, part);
        EXECUTE format('ALTER TABLE sightings ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, month_start, month_end);
        created := created + 1;
      END LOOP;
      RETURN created;
    END $$`.execute(db);
  await sql`COMMENT ON FUNCTION sightings_ensure_partitions(integer) IS 'Creates the sightings partitions of the current UTC month and the next months_ahead ones when missing (rows of those months move out of sightings_default); returns how many it created.'`.execute(db);

  await swap(db, async () => {
    await sql`CREATE TABLE sightings_new (${COLUMNS},
      CONSTRAINT sightings_new_pkey PRIMARY KEY (id, seen_at),
      CONSTRAINT sightings_new_observation UNIQUE (paper_id, source, listing, seen_at)
    ) PARTITION BY RANGE (seen_at)`.execute(db);
    await sql`CREATE TABLE sightings_default PARTITION OF sightings_new DEFAULT`.execute(db);
    // A partition for every month that has sightings (UTC), so the old months are detachable one by one.
    await sql`
      DO $$
      DECLARE m timestamptz;
      BEGIN
        FOR m IN SELECT DISTINCT date_trunc('month', seen_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM sightings LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF sightings_new FOR VALUES FROM (%L) TO (%L)',
            'sightings_' || to_char(m AT TIME ZONE 'UTC', '"y"YYYY"m"MM'), m, (m AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
        END LOOP;
      END $$`.execute(db);
  });
  await sql`SELECT sightings_ensure_partitions(3)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // Every row comes back into one plain table (detached partitions are not part of sightings and stay as they are).
  await swap(db, async () => {
    await sql`CREATE TABLE sightings_new (${COLUMNS},
      CONSTRAINT sightings_new_pkey PRIMARY KEY (id),
      CONSTRAINT sightings_new_observation UNIQUE (paper_id, source, listing, seen_at))`.execute(db);
  });
  await sql`DROP FUNCTION sightings_ensure_partitions(integer)`.execute(db);
}
