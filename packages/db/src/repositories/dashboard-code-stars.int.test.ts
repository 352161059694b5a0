import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { type CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, migrateToLatest } from '../connection.js';
import { DashboardRepository } from './dashboard.repository.js';

// The plans of the views of migration 0021 on a few thousand rows (statistics gathered): they read
// indexes, never every paper or sighting.
let t: TestDatabase;

const PAPERS = 4000;

beforeAll(async () => {
  t = await createTestDatabase();
  // 4,000 papers, a third with code (stars for most), 10 sightings each over 10 days, stars on those with code.
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, first_seen_at, last_seen_at, code_url, code_stars)
    SELECT '2612.' || (10000 + i), 'Paper ' || i, 'p' || i, now() - interval '10 days', now(),
      CASE WHEN i % 3 = 0 THEN 'https://github.com/o/r' || i END,
      CASE WHEN i % 3 = 0 AND i % 9 <> 0 THEN i END
    FROM generate_series(1, ${PAPERS}) i`.execute(t.db);
  await sql`
    INSERT INTO sightings (paper_id, source, listing, rank, upvotes, stars, seen_at)
    SELECT p.id, 'hf-papers', 'daily', 1, d, CASE WHEN p.code_url IS NOT NULL THEN p.id + d END, now() - (d || ' days')::interval
    FROM papers p, generate_series(0, 9) d`.execute(t.db);
  await sql`ANALYZE papers`.execute(t.db);
  await sql`ANALYZE sightings`.execute(t.db);
});
afterAll(async () => t?.drop());

async function plan(query: CompiledQuery): Promise<string> {
  const { rows } = await t.db.executeQuery<{ 'QUERY PLAN': string }>({
    ...query,
    sql: `EXPLAIN ${query.sql}`,
  } as CompiledQuery);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('dashboard views of migration 0021 on a few thousand rows', () => {
  it('papers_with_code: a page by stars reads the index papers_code_stars in order, no sort of every paper', async () => {
    const query = t.db
      .selectFrom('dashboard.papers_with_code')
      .selectAll()
      .where('code_stars', 'is not', null)
      .orderBy('code_stars', 'desc')
      .orderBy('paper_id')
      .limit(50)
      .compile();
    const text = await plan(query);
    expect(text).toContain('papers_code_stars');
    expect(text).not.toMatch(/Seq Scan|Sort/);
    // Those without stars: the same index (its first entries), not a walk of every paper by id.
    const unknown = await plan(
      t.db
        .selectFrom('dashboard.papers_with_code')
        .select('paper_id')
        .where('code_stars', 'is', null)
        .orderBy('code_stars', 'desc')
        .orderBy('paper_id')
        .limit(10)
        .compile(),
    );
    expect(unknown).toMatch(/Index (Only )?Scan using papers_code_stars/);
    expect(unknown).not.toMatch(/Seq Scan|Sort|papers_pkey/);
    const rows = await new DashboardRepository(t.db).papersWithCode(PAPERS);
    expect(rows).toHaveLength(Math.floor(PAPERS / 3));
    const stars = rows.map((r) => r.codeStars);
    const known = stars.filter((s) => s !== null) as number[];
    expect(known).toEqual([...known].sort((a, b) => b - a));
    expect(stars.slice(known.length).every((s) => s === null)).toBe(true);
  });

  it("stars_per_day: one paper's days read its sightings by index (by arXiv id or paper id)", async () => {
    for (const where of [sql`arxiv_id = '2612.10300'`, sql`paper_id = 300`]) {
      const text = (
        await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT * FROM dashboard.stars_per_day WHERE ${where}`.execute(t.db)
      ).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      // Partitions with rows are read by paper id; a sequential scan only of an empty (future) partition.
      expect(text).toMatch(/Index Cond: \(paper_id = /);
      expect(text).not.toMatch(/Seq Scan on sightings\S* s_\d+ +\(cost=(?!0\.00\.\.0\.00 )/);
      expect(text).not.toContain('Seq Scan on papers');
    }
    const days = await new DashboardRepository(t.db).starsPerDay('2612.10300');
    expect(days).toHaveLength(10);
    expect(days.map((d) => d.stars)).toEqual(Array.from({ length: 10 }, (_, i) => days[0]!.paperId + 9 - i));
  });

  it('goes down to 0020 (views gone, paper_history as before with its comments) and up again', async () => {
    const columns = async () =>
      (
        await sql<{ column: string; comment: string | null }>`
          SELECT a.attname AS column, col_description(a.attrelid, a.attnum) AS comment FROM pg_attribute a
          WHERE a.attrelid = 'dashboard.paper_history'::regclass AND a.attnum > 0 ORDER BY a.attnum`.execute(t.db)
      ).rows;
    const down = await createMigrator(t.db).migrateTo('2026_12_07_0020_paper_details');
    expect(down.error).toBeUndefined();
    const views = async () =>
      (
        await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.views
          WHERE table_schema = 'dashboard' AND table_name IN ('papers_with_code', 'stars_per_day') ORDER BY 1`.execute(
          t.db,
        )
      ).rows.map((r) => r.name);
    expect(await views()).toEqual([]);
    const before = await columns();
    expect(before.map((c) => c.column)).not.toContain('stars');
    expect(before.filter((c) => !c.comment)).toEqual([]);
    expect((await migrateToLatest(t.db)).error).toBeUndefined();
    expect(await views()).toEqual(['papers_with_code', 'stars_per_day']);
    expect((await columns()).at(-1)).toMatchObject({ column: 'stars' });
  });
});
