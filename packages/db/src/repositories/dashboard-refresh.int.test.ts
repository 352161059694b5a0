import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../connection.js';
import { REFRESH_LOCK_KEY } from '../migrations/2026_11_28_0006_dashboard_materialized.js';
import type { Database } from '../schema.js';
import { DashboardRepository } from './dashboard.repository.js';
import { PaperRepository } from './paper.repository.js';

// The precomputed dashboard views of migration 0006: triggers mark the days that changed, an
// incremental refresh redoes only those, and its result must equal a full rebuild.

let t: TestDatabase;
let dashboard: DashboardRepository;

const DAY = 86_400_000;
const HOUR = 3_600_000;
// One time of day on each UTC day from three days ago to today: day arithmetic below never
// straddles midnight. That time of day is also when the 24-hour growth window passes these rows
// (day 2's leave it then), which changes trending rows between two refreshes: at a fixed noon, a
// run across 12:00 UTC would see rows recomputed and rewritten that the tests say are not. So it
// is 18:00 when the test runs before noon UTC and 06:00 from noon on: six hours or more from now.
const started = Date.now();
const midnight = Math.floor(started / DAY) * DAY;
const base = new Date(midnight - 3 * DAY + (started - midnight < DAY / 2 ? 18 : 6) * HOUR);
const day = (n: number) => new Date(base.getTime() + n * DAY); // day(0) .. day(3) = today
const ymd = (n: number) => day(n).toISOString().slice(0, 10);

async function snapshot(db: Kysely<Database>) {
  const topicTrends =
    await sql`SELECT day::text, topic_id, papers, upvotes_sum::int FROM dashboard.topic_trends ORDER BY 1, 2 NULLS LAST`.execute(
      db,
    );
  const perTopic =
    await sql`SELECT day::text, topic_id, papers FROM dashboard.papers_per_topic_day ORDER BY 1, 2 NULLS LAST`.execute(
      db,
    );
  const trending =
    await sql`SELECT paper_id::int, upvotes, growth_24h, best_topic, trend_key FROM dashboard.trending_now`.execute(db);
  return { topicTrends: topicTrends.rows, perTopic: perTopic.rows, trending: trending.rows };
}

beforeAll(async () => {
  t = await createTestDatabase();
  dashboard = new DashboardRepository(t.db);
  await sql`
    INSERT INTO papers (id, arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at) VALUES
      (1, '2611.20001', 'One', 'one', 10, ${day(0)}, ${day(3)}),
      (2, '2611.20002', 'Two', 'two', 3, ${day(1)}, ${day(2)}),
      (3, '2611.20003', 'Three', 'three', NULL, ${day(2)}, ${day(3)})`.execute(t.db);
  await sql`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version) VALUES
      (1, 'llm', 0.9, 0, 'v'), (1, 'vision', 0.4, 1, 'v'), (2, 'vision', 0.8, 0, 'v'), (3, 'agents', 0.7, 0, 'v')`.execute(
    t.db,
  );
  await sql`
    INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at) VALUES
      (1, 'hf', 'daily', 1, 2, ${day(0)}), (1, 'hf', 'daily', 1, 6, ${day(1)}), (1, 'hf', 'daily', 2, 10, ${day(3)}),
      (2, 'hf', 'daily', 2, 3, ${day(1)}), (2, 'hf', 'daily', 3, 3, ${day(2)}),
      (3, 'arxiv', 'cs.AI', 1, NULL, ${day(2)}), (3, 'arxiv', 'cs.AI', 1, NULL, ${day(3)})`.execute(t.db);
});
afterAll(async () => t?.drop());

describe('dashboard refresh', () => {
  it('marks the days new sightings and papers fall on, and an incremental refresh redoes only those', async () => {
    expect(await dashboard.pendingDays()).toEqual({ seen: 4, first: 3 });
    const first = await dashboard.refresh();
    expect(first).toMatchObject({ mode: 'incremental', trendDays: 4, newPaperDays: 3, trendingPapers: 3 });
    expect(await dashboard.pendingDays()).toEqual({ seen: 0, first: 0 });
    expect((await snapshot(t.db)).topicTrends).toEqual([
      { day: ymd(0), topic_id: 'llm', papers: 1, upvotes_sum: 2 },
      { day: ymd(1), topic_id: 'llm', papers: 1, upvotes_sum: 6 },
      { day: ymd(1), topic_id: 'vision', papers: 1, upvotes_sum: 3 },
      { day: ymd(2), topic_id: 'agents', papers: 1, upvotes_sum: 0 },
      { day: ymd(2), topic_id: 'vision', papers: 1, upvotes_sum: 3 },
      { day: ymd(3), topic_id: 'agents', papers: 1, upvotes_sum: 0 },
      { day: ymd(3), topic_id: 'llm', papers: 1, upvotes_sum: 10 },
    ]);

    // A late (backfilled) sighting on day 0 marks day 0 only.
    await sql`INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at) VALUES (2, 'hf', 'daily', 9, 1, ${day(0)})`.execute(
      t.db,
    );
    expect(await dashboard.pendingDays()).toEqual({ seen: 1, first: 0 });
    expect(await dashboard.refresh()).toMatchObject({ trendDays: 1, newPaperDays: 0 });
    expect((await dashboard.topicTrends(10)).filter((r) => r.day === ymd(0))).toEqual([
      { day: ymd(0), topicId: 'llm', papers: 1, upvotesSum: 2 },
      { day: ymd(0), topicId: 'vision', papers: 1, upvotesSum: 1 },
    ]);
  });

  it('marks nothing for what cannot change a view: counts updated, topics rewritten unchanged', async () => {
    await dashboard.refresh();
    await sql`UPDATE papers SET upvotes = upvotes + 1, last_seen_at = now() WHERE id IN (1, 2)`.execute(t.db);
    // The ingest path: computed topics replaced with the same positions (ON CONFLICT DO UPDATE).
    await new PaperRepository(t.db).replaceTopics(
      [1],
      [
        { paperId: 1, topicId: 'llm', score: 0.95, position: 0, evidence: [] },
        { paperId: 1, topicId: 'vision', score: 0.3, position: 1, evidence: [] },
      ],
      'v2',
    );
    expect(await dashboard.pendingDays()).toEqual({ seen: 0, first: 0 });
  });

  it('marks every day of a paper whose best topic changed: a label, or a new computed topic at position 0', async () => {
    await dashboard.refresh();
    await sql`INSERT INTO paper_labels (paper_id, topic_id) VALUES (1, 'theory')`.execute(t.db);
    expect(await dashboard.pendingDays()).toEqual({ seen: 3, first: 1 }); // paper 1: sighted days 0, 1, 3; first seen day 0
    await dashboard.refresh();
    expect((await dashboard.topicTrends(10)).filter((r) => r.topicId === 'theory').map((r) => r.day)).toEqual([
      ymd(0),
      ymd(1),
      ymd(3),
    ]);
    expect((await dashboard.papersPerTopicDay(10)).find((r) => r.day === ymd(0))).toEqual({
      day: ymd(0),
      topicId: 'theory',
      papers: 1,
    });

    // Reclassified: paper 2's topics swap places (vision 0 -> 1, llm new at 0).
    await new PaperRepository(t.db).replaceTopics(
      [2],
      [
        { paperId: 2, topicId: 'llm', score: 0.9, position: 0, evidence: [] },
        { paperId: 2, topicId: 'vision', score: 0.5, position: 1, evidence: [] },
      ],
      'v3',
    );
    expect(await dashboard.pendingDays()).toEqual({ seen: 3, first: 1 }); // paper 2: days 0, 1, 2; first seen day 1
    await dashboard.refresh();
    expect((await dashboard.topicTrends(10)).filter((r) => r.topicId === 'vision')).toEqual([]);

    await sql`DELETE FROM paper_labels WHERE paper_id = 1`.execute(t.db);
    expect(await dashboard.pendingDays()).toEqual({ seen: 3, first: 1 });
  });

  it("marks both days when a paper's first sighting moves, and the days of deleted rows", async () => {
    await dashboard.refresh();
    await sql`UPDATE papers SET first_seen_at = ${day(0)} WHERE id = 3`.execute(t.db); // was day 2
    expect(await dashboard.pendingDays()).toEqual({ seen: 0, first: 2 });
    await sql`DELETE FROM sightings WHERE paper_id = 3 AND seen_at = ${day(3)}`.execute(t.db);
    expect(await dashboard.pendingDays()).toEqual({ seen: 1, first: 2 });
    await dashboard.refresh();
    expect((await dashboard.papersPerTopicDay(10)).filter((r) => r.topicId === 'agents')).toEqual([
      { day: ymd(0), topicId: 'agents', papers: 1 },
    ]);
    expect((await dashboard.topicTrends(10)).filter((r) => r.topicId === 'agents')).toEqual([
      { day: ymd(2), topicId: 'agents', papers: 1, upvotesSum: 0 },
    ]);
  });

  it('gives, incrementally, exactly what a full rebuild gives', async () => {
    // A mix of every kind of change, then an incremental refresh, then a full rebuild.
    await sql`
      INSERT INTO papers (id, arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at) VALUES
        (4, '2611.20004', 'Four', 'four', 50, ${day(3)}, ${day(3)}), (5, NULL, 'Five', 'five', NULL, ${day(1)}, ${day(1)})`.execute(
      t.db,
    );
    await sql`INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version) VALUES (4, 'vision', 0.9, 0, 'v')`.execute(
      t.db,
    );
    await sql`
      INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at) VALUES
        (4, 'hf', 'daily', 1, 20, ${day(3)}), (4, 'hf', 'trending', 1, 50, ${new Date(day(3).getTime() + 3_600_000)}),
        (5, 'arxiv', 'cs.LG', 4, NULL, ${day(1)}), (1, 'hf', 'trending', 4, 11, ${day(2)})`.execute(t.db);
    await sql`INSERT INTO paper_labels (paper_id, topic_id) VALUES (3, 'safety')`.execute(t.db);
    await sql`UPDATE paper_topics SET position = 0 WHERE paper_id = 1 AND topic_id = 'vision'`.execute(t.db);
    await sql`UPDATE paper_topics SET position = 1 WHERE paper_id = 1 AND topic_id = 'llm'`.execute(t.db);
    await sql`DELETE FROM sightings WHERE paper_id = 2 AND seen_at = ${day(0)}`.execute(t.db);

    const incremental = await dashboard.refresh();
    expect(incremental.mode).toBe('incremental');
    const afterIncremental = await snapshot(t.db);
    const full = await dashboard.refresh({ full: true });
    expect(full).toMatchObject({ mode: 'full', trendDays: 4, newPaperDays: 3, trendingPapers: 5 }); // first seen: days 0, 1 and 3
    expect(await snapshot(t.db)).toEqual(afterIncremental);
    expect(afterIncremental.topicTrends.length).toBeGreaterThan(5);

    // The full rebuild's set-based best topics agree with the per-paper rule the plain views used.
    const { rows: disagreements } = await sql`
      SELECT p.id, b.topic_id, coalesce(
        (SELECT min(l.topic_id) FROM paper_labels l WHERE l.paper_id = p.id),
        (SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = p.id ORDER BY t.position, t.topic_id LIMIT 1)) AS expected
      FROM papers p JOIN dashboard_cache.best_topics b ON b.paper_id = p.id
      WHERE b.topic_id IS DISTINCT FROM coalesce(
        (SELECT min(l.topic_id) FROM paper_labels l WHERE l.paper_id = p.id),
        (SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = p.id ORDER BY t.position, t.topic_id LIMIT 1))`.execute(
      t.db,
    );
    expect(disagreements).toEqual([]);

    const refreshes = await dashboard.refreshes();
    expect(refreshes.map((r) => r.mode)).toEqual(['full', 'incremental']);
    expect(refreshes[0]!.startedAt.getTime()).toBeGreaterThanOrEqual(refreshes[1]!.startedAt.getTime());
  });

  it('ranks trending papers by trend_key exactly as by score', async () => {
    const rows = (
      await sql<{ paper_id: string; score: number }>`SELECT paper_id, score FROM dashboard.trending_now`.execute(t.db)
    ).rows;
    const byScore = [...rows].sort((a, b) => b.score - a.score || Number(a.paper_id) - Number(b.paper_id));
    expect(rows.map((r) => r.paper_id)).toEqual(byScore.map((r) => r.paper_id));
    expect(rows[0]!.score).toBeGreaterThan(0);
  });

  it('rewrites only the trending rows that changed, and drops papers no longer candidates', async () => {
    await dashboard.refresh();
    const versions = async () =>
      new Map(
        (
          await sql<{
            paper_id: string;
            v: string;
          }>`SELECT paper_id, xmin::text AS v FROM dashboard_cache.trending`.execute(t.db)
        ).rows.map((r) => [Number(r.paper_id), r.v]),
      );
    const before = await versions();
    await sql`UPDATE papers SET upvotes = 99 WHERE id = 4`.execute(t.db);
    await sql`UPDATE papers SET last_seen_at = now() - interval '9 days' WHERE id = 5`.execute(t.db);
    await dashboard.refresh();
    const after = await versions();
    expect(after.has(5)).toBe(false); // last seen 9 days ago: no longer a candidate
    expect(after.get(4)).not.toBe(before.get(4)); // its upvotes changed
    for (const id of [1, 2, 3]) expect(after.get(id)).toBe(before.get(id)); // untouched rows are not rewritten
    expect((await dashboard.trendingNow(10)).find((r) => r.paperId === 4)?.upvotes).toBe(99);
  });

  it('recomputes only the trending rows of papers marked or whose sightings left the 24-hour window', async () => {
    await dashboard.refresh();
    expect((await dashboard.refresh()).trendingRecomputed).toBe(0); // nothing changed
    await sql`UPDATE papers SET upvotes = 100 WHERE id = 1`.execute(t.db);
    expect((await dashboard.refresh()).trendingRecomputed).toBe(1);

    // Paper 2 got a sighting 24.5 hours ago: inside the window as of a refresh two hours back,
    // outside it now. Its row is made stale as that refresh would have left it. Paper 6 (sighted
    // two hours ago only) gets a wrong row too, but nothing about it changed: an incremental
    // refresh leaves it, a full rebuild mends it.
    await sql`INSERT INTO papers (id, arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at) VALUES (6, '2611.20006', 'Six', 'six', 4, now() - interval '2 hours', now() - interval '2 hours')`.execute(
      t.db,
    );
    await sql`INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at) VALUES
      (6, 'hf', 'daily', 1, 4, now() - interval '2 hours'), (2, 'hf', 'late', 1, 1, now() - interval '24.5 hours')`.execute(
      t.db,
    );
    await dashboard.refresh();
    await sql`UPDATE dashboard_cache.trending SET growth_24h = 777 WHERE paper_id IN (2, 6)`.execute(t.db);
    await sql`UPDATE dashboard_cache.refreshes SET computed_at = computed_at - interval '2 hours'`.execute(t.db);
    const result = await dashboard.refresh();
    // Paper 2 only: no other sighting left the window in those two hours (the day rows sit six
    // hours or more from now's time of day).
    expect(result.trendingRecomputed).toBe(1);
    expect(result.trendingRecomputed).toBeLessThan(result.trendingPapers);
    const growth = async () => new Map((await dashboard.trendingNow(10)).map((r) => [r.paperId, r.growth24h]));
    expect((await growth()).get(2)).not.toBe(777);
    expect((await growth()).get(6)).toBe(777);
    await dashboard.refresh({ full: true });
    expect((await growth()).get(6)).toBe(0);
  });

  it('analyzes the trending rows after a full rebuild, not after an incremental refresh', async () => {
    const analyzed = async () =>
      Number(
        (
          await sql<{ n: string }>`SELECT analyze_count AS n FROM pg_stat_user_tables
                                   WHERE schemaname = 'dashboard_cache' AND relname = 'trending'`.execute(t.db)
        ).rows[0]!.n,
      );
    const before = await analyzed();
    await dashboard.refresh();
    // Counts of ANALYZE runs: an incremental refresh leaves them alone, a full one raises them.
    expect(await analyzed()).toBe(before);
    await dashboard.refresh({ full: true });
    await sql`SELECT pg_stat_clear_snapshot()`.execute(t.db);
    expect(await analyzed()).toBeGreaterThan(before);
  });

  it('never blocks readers, and runs one refresh at a time', async () => {
    const other = createDb(t.url, { max: 2 });
    try {
      let secondDone = false;
      let second: Promise<unknown> | undefined;
      await t.db.transaction().execute(async (trx) => {
        await new DashboardRepository(trx).refresh({ full: true }); // holds its locks until commit
        // Another connection reads every precomputed view meanwhile (a 2 s statement timeout turns a wait into a failure).
        const reads = await other.transaction().execute(async (o) => {
          await sql`SET LOCAL statement_timeout = 2000`.execute(o);
          return snapshot(o);
        });
        expect(reads.trending.length).toBeGreaterThan(0);
        const holder = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
        second = new DashboardRepository(other).refresh().then(() => (secondDone = true));
        // Seen in Postgres, not guessed from a sleep: the refresh lock (one advisory lock, its
        // 64-bit key split over classid/objid) is granted to this transaction, and the second
        // refresh's backend queues for it.
        const refreshLock = async () =>
          (
            await sql<{ pid: number; granted: boolean; waitEvent: string | null }>`
              SELECT l.pid, l.granted, a.wait_event AS "waitEvent"
              FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND ((l.classid::bigint << 32) | l.objid::bigint) = ${REFRESH_LOCK_KEY}
              ORDER BY l.granted DESC`.execute(t.db)
          ).rows;
        const deadline = Date.now() + 30_000;
        while ((await refreshLock()).length < 2 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20));
        const locks = await refreshLock();
        expect(locks).toEqual([
          expect.objectContaining({ pid: holder, granted: true }),
          { pid: expect.any(Number), granted: false, waitEvent: 'advisory' },
        ]);
        expect(locks[1]!.pid).not.toBe(holder);
        expect(secondDone).toBe(false); // still waiting for the lock this transaction holds
      });
      await second;
      expect(secondDone).toBe(true);
    } finally {
      await other.destroy();
    }
  });
});
