import { requireEnv, withDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionConfig, createDb, createMigrator, type Db, ensureDatabase, migrateToLatest } from '../connection.js';
import { DashboardRepository } from './dashboard.repository.js';
import { SightingPartitionRepository } from './sighting-partitions.repository.js';

// Migration 0015 converts a sightings table that already holds rows (a database at 0014) into one
// partitioned by UTC month: every row kept with its id, the views and triggers that read it still
// working, old months detachable, future months created on demand (rows waiting in the default
// partition move into them).
const serverUrl = requireEnv('TEST_DATABASE_URL');
const name = `paperboy_partitions_${process.pid}_${Date.now()}`;
let db: Db;
let partitions: SightingPartitionRepository;

/** The UTC month `offset` months from now, as a partition name and a time inside it. */
function month(offset: number): { part: string; inside: string } {
  const now = new Date();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return {
    part: `sightings_y${start.getUTCFullYear()}m${String(start.getUTCMonth() + 1).padStart(2, '0')}`,
    inside: new Date(start.getTime() + 3 * 86_400_000).toISOString(),
  };
}

const rowsOf = async () =>
  (
    await sql<
      Record<string, unknown>
    >`SELECT id::int, paper_id::int, source, listing, rank, upvotes, comments, seen_at FROM sightings ORDER BY id`.execute(
      db,
    )
  ).rows;
// The view's columns as of migration 0015 (0021 adds stars, which the migrations before it lack).
const history = async () =>
  (
    await sql<
      Record<string, unknown>
    >`SELECT paper_id, arxiv_id, source, listing, seen_at, rank, upvotes, comments FROM dashboard.paper_history ORDER BY 1, 2, 3, 4`.execute(
      db,
    )
  ).rows;
const count = async (table: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db)).rows[0]!.n;
const kind = async () =>
  (await sql<{ k: string }>`SELECT relkind::text AS k FROM pg_class WHERE oid = 'sightings'::regclass`.execute(db))
    .rows[0]!.k;
let before: Array<Record<string, unknown>>;
let historyBefore: Array<Record<string, unknown>>;

beforeAll(async () => {
  const url = withDatabase(serverUrl, name);
  await ensureDatabase(url);
  db = createDb(url, { max: 2 });
  partitions = new SightingPartitionRepository(db);
  const upTo0014 = await createMigrator(db).migrateTo('2026_12_06_0014_planned_deliveries');
  if (upTo0014.error) throw upTo0014.error;
  await sql`INSERT INTO papers (id, arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at)
            VALUES (1, '2501.00001', 'Old paper', 'old paper', 3, '2025-01-10Z', now()), (2, '2611.00002', 'New paper', 'new paper', 9, '2026-11-10Z', now())`.execute(
    db,
  );
  await sql`INSERT INTO sightings (paper_id, source, listing, rank, upvotes, comments, seen_at) VALUES
            (1, 'hf-papers', 'daily', 1, 1, 0, '2025-01-15T10:00:00Z'),
            (1, 'hf-papers', 'daily', 2, 2, NULL, '2025-01-31T23:59:59Z'),
            (1, 'arxiv-list', 'cs.LG', 5, NULL, NULL, '2026-11-01T00:00:00Z'),
            (2, 'hf-papers', 'daily', 1, 9, 4, now())`.execute(db);
  before = await rowsOf();
  historyBefore = await history();
  await migrateToLatest(db);
}, 120_000);

afterAll(async () => {
  await db?.destroy();
  const admin = new pg.Client(connectionConfig(serverUrl));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

describe('sightings partitioned by month (migration 0015)', () => {
  it('keeps every row, id and view row, in one partition per UTC month, with the current and next 3 months ready', async () => {
    expect(await kind()).toBe('p');
    expect(await rowsOf()).toEqual(before);
    expect(await history()).toEqual(historyBefore);
    const list = await partitions.list();
    const rows = Object.fromEntries(list.map((p) => [p.name, p.rows]));
    expect(rows).toMatchObject({ sightings_default: 0, sightings_y2025m01: 2, sightings_y2026m11: 1 });
    expect(rows[month(0).part]).toBe(month(0).part === 'sightings_y2026m11' ? 2 : 1); // the row seen now
    for (const offset of [1, 2, 3]) expect(rows[month(offset).part], month(offset).part).toBe(0);
    expect(list.find((p) => p.name === 'sightings_y2025m01')!.bounds).toBe(
      "FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00')",
    );
    expect(list.find((p) => p.name === 'sightings_default')!.bounds).toBe('DEFAULT');
  });

  it('still refuses a second copy of an observation (ON CONFLICT ON CONSTRAINT sightings_observation) and numbers new rows from the same sequence', async () => {
    const duplicate =
      await sql`INSERT INTO sightings (paper_id, source, listing, rank, seen_at) VALUES (1, 'hf-papers', 'daily', 7, '2025-01-15T10:00:00Z')
                                ON CONFLICT ON CONSTRAINT sightings_observation DO NOTHING`.execute(db);
    expect(Number(duplicate.numAffectedRows)).toBe(0);
    await expect(
      sql`INSERT INTO sightings (paper_id, source, listing, rank, seen_at) VALUES (1, 'hf-papers', 'daily', 7, '2025-01-15T10:00:00Z')`.execute(
        db,
      ),
    ).rejects.toThrow(/duplicate key value violates unique constraint "sightings_y2025m01_/); // enforced per partition
    const maxId = Math.max(...before.map((r) => r.id as number));
    const { rows } = await sql<{
      id: number;
    }>`INSERT INTO sightings (paper_id, source, listing, rank, seen_at) VALUES (2, 'hf-papers', 'weekly', 3, now()) RETURNING id::int`.execute(
      db,
    );
    // The two refused inserts drew an id each (nextval runs before the conflict check), as before.
    expect(rows[0]!.id).toBe(maxId + 3);
    expect(
      (await sql<{ s: string }>`SELECT pg_get_serial_sequence('sightings', 'id') AS s`.execute(db)).rows[0]!.s,
    ).toBe('public.sightings_id_seq');
    await sql`DELETE FROM sightings WHERE id = ${rows[0]!.id}`.execute(db);
  });

  it('marks the dashboard day of a new sighting, as before (the statement triggers moved with the table)', async () => {
    const dashboard = new DashboardRepository(db);
    await dashboard.refresh({ full: true });
    expect((await dashboard.pendingDays()).seen).toBe(0);
    await sql`INSERT INTO sightings (paper_id, source, listing, rank, seen_at) VALUES (2, 'arxiv-list', 'cs.CL', 4, now())`.execute(
      db,
    );
    expect((await dashboard.pendingDays()).seen).toBe(1);
  });

  it('detaches an old month (its rows leave sightings, kept in their own table); a late row of that month lands in the default partition', async () => {
    const total = await count('sightings');
    await sql`ALTER TABLE sightings DETACH PARTITION sightings_y2025m01`.execute(db);
    expect(await count('sightings')).toBe(total - 2);
    expect(await count('sightings_y2025m01')).toBe(2);
    await sql`INSERT INTO sightings (paper_id, source, listing, rank, seen_at) VALUES (1, 'hf-papers', 'daily', 3, '2025-01-20T00:00:00Z')`.execute(
      db,
    );
    expect(await count('sightings_default')).toBe(1);
    await sql`DROP TABLE sightings_y2025m01`.execute(db);
  });

  it('creates later months on demand, moving their rows out of the default partition; a second call does nothing', async () => {
    const far = month(5);
    await sql`INSERT INTO sightings (paper_id, source, listing, rank, seen_at) VALUES (2, 'hf-papers', 'daily', 2, ${far.inside}::timestamptz)`.execute(
      db,
    );
    expect(await count('sightings_default')).toBe(2);
    const total = await count('sightings');
    expect(await partitions.ensure(5)).toBe(2); // months +4 and +5; the 2025-01 row is left where it is
    expect(await count(far.part)).toBe(1);
    expect(await count('sightings_default')).toBe(1);
    expect(await count('sightings')).toBe(total);
    expect(await partitions.ensure(5)).toBe(0);
  });

  it('converts back to a plain table on the way down, every attached row kept', async () => {
    const rows = await rowsOf();
    // Down to 0014: later migrations are undone first, then 0015.
    const down = await createMigrator(db).migrateTo('2026_12_06_0014_planned_deliveries');
    expect(down.error).toBeUndefined();
    expect(await kind()).toBe('r');
    expect(await rowsOf()).toEqual(rows);
    await migrateToLatest(db);
    expect(await kind()).toBe('p');
    expect(await rowsOf()).toEqual(rows);
  });
});
